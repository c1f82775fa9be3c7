"""``annexa demo``: the whole pipeline against a simulated AWS account, no credentials needed.

moto (the ``demo`` extra) simulates AWS in a thread of this process, reached over HTTP. Every
``seed_*`` module in this package seeds a realistic mix of compliant and non-compliant resources
for its connector family. Where moto cannot answer an API the run shows a gap, exactly as a
denied API would in a real account.
"""

from __future__ import annotations

import importlib
import logging
import os
import pkgutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from annexa.collector import output
from annexa.collector.collect import collect
from annexa.collector.config import parse_config

REGIONS = ("eu-west-1", "us-east-1")
DEMO_CONFIG = """\
# Written by `annexa demo`: the store and key of the demo run, for follow-up commands such as
#   annexa status --config annexa-demo.toml
# It has no [[targets]] on purpose: the demo's AWS account only existed while the demo ran.
[store]
url = "sqlite:///{db}"

[signing]
key_path = "{key}"
"""


@contextmanager
def simulated_aws() -> Iterator[str]:
    """A moto server on 127.0.0.1 inside this process, and fake credentials; yields its URL.

    Going through HTTP means annexa reads the simulated account exactly as it reads AWS: an
    API that moto does not implement answers with an error and becomes a recorded gap.
    """
    try:
        from moto.server import ThreadedMotoServer
    except ImportError as exc:
        raise click.ClickException("the demo needs moto: pip install 'annexa[demo]'") from exc
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 (moto's fake credentials)
        AWS_DEFAULT_REGION=REGIONS[0],
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        MOTO_EC2_LOAD_DEFAULT_AMIS="false",
    )
    logging.getLogger("werkzeug").disabled = True  # moto's request log and 500 tracebacks
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    os.environ["AWS_ENDPOINT_URL"] = f"http://{host}:{port}"
    try:
        yield os.environ["AWS_ENDPOINT_URL"]
    finally:
        server.stop()
        os.environ.clear()
        os.environ.update(saved)


def seed() -> None:
    """Run every ``seed_*`` module of this package against the simulated account, in name order.

    Each connector family seeds its own resources in its own module, so adding a family to the
    demo touches no shared file.
    """
    for module in sorted(
        m.name for m in pkgutil.iter_modules(__path__) if m.name.startswith("seed_")
    ):
        importlib.import_module(f"{__name__}.{module}").seed()


def run_demo(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    db, key = (directory / "annexa-demo.db").resolve(), (directory / "annexa-demo.key").resolve()
    config_path = directory / "annexa-demo.toml"
    config_path.write_text(
        DEMO_CONFIG.format(db=db.as_posix(), key=key.as_posix()), encoding="utf-8"
    )
    config = parse_config(
        {
            "store": {"url": f"sqlite:///{db.as_posix()}"},
            "signing": {"key_path": str(key)},
            "collector": {"max_workers": 4, "max_attempts": 1},
            "targets": [{"name": "demo", "provider": "aws", "regions": list(REGIONS)}],
        },
        config_path,
    )
    out = output.console()
    out.print(
        "[bold]annexa demo[/]: a simulated AWS account (moto), two regions, no credentials needed\n"
    )
    with simulated_aws():
        seed()
        with output.Progress() as progress:
            result = collect(config, on_start=progress.start, on_unit=progress.advance)
    output.print_run(result, config)
    out.print()
    output.print_status(config, result.closed.run_id, show_all=False, fmt="table")
    out.print(
        f"\nEvidence is in {db} (signed with {key}).\nTry:\n"
        f"  annexa findings --config {config_path} --status fail\n"
        f"  annexa verify --config {config_path}\n"
    )
