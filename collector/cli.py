"""The ``annexa`` command line.

Exit codes: 0 success; 1 the run left evidence gaps, or verification failed; 2 bad
configuration or usage; 3 the store or signing key cannot be used.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from annexa.collector import output
from annexa.collector.config import Config, ConfigError, find_config_path, load_config, parse_config
from annexa.collector.signals import stop_on_signals
from annexa.store import SigningKeyError, StoreError

F = TypeVar("F", bound=Callable[..., Any])

EXIT_GAPS = 1
EXIT_CONFIG = 2
EXIT_STORE = 3


def config_option(func: F) -> F:
    return click.option(
        "--config",
        "config_path",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="Config file (default: $ANNEXA_CONFIG, else ./annexa.toml).",
    )(func)


def store_option(func: F) -> F:
    return click.option(
        "--store", "store_url", default=None, help="Store URL, overriding the config file."
    )(func)


def load(
    config_path: Path | None, store_url: str | None = None, *, required: bool = True
) -> Config:
    """Load the config; read-only commands also work from --store alone."""
    path = find_config_path(config_path)
    if store_url and not required and not path.exists():
        return parse_config({"store": {"url": store_url}}, None)
    config = load_config(path)
    if store_url:
        config.store_url = store_url
    return config


class AnnexaGroup(click.Group):
    """Turns annexa's own errors into one clear line and the documented exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            for line in str(exc).splitlines():
                click.echo(f"annexa: config error: {line}", err=True)
            ctx.exit(EXIT_CONFIG)
        except (StoreError, SigningKeyError) as exc:
            click.echo(f"annexa: {exc}", err=True)
            ctx.exit(EXIT_STORE)


@click.group(cls=AnnexaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="annexa")
def main() -> None:
    """Automated, read-only evidence collection for ISO/IEC 27001:2022 Annex A."""


@main.command()
@config_option
@click.option("--target", "targets", multiple=True, help="Only this target (repeatable).")
@click.option("--connector", "connectors", multiple=True, help="Only this connector (repeatable).")
@click.option("--quiet", is_flag=True, help="No progress display.")
def collect(
    config_path: Path | None, targets: tuple[str, ...], connectors: tuple[str, ...], quiet: bool
) -> None:
    """Collect evidence from every configured target and sign the run."""
    from annexa.collector.collect import collect as run_collect

    config = load(config_path)
    with stop_on_signals(threading.Event()) as stop, output.Progress(enabled=not quiet) as progress:
        result = run_collect(
            config,
            only_targets=targets,
            only_connectors=connectors,
            on_start=progress.start,
            on_unit=progress.advance,
            stop=stop,
        )
    output.print_run(result, config)
    if result.gaps:
        sys.exit(EXIT_GAPS)


@main.command()
@config_option
@store_option
@click.option("--run", "run_id", default=None, help="Run id or unique prefix (default: latest).")
@click.option("--all", "show_all", is_flag=True, help="Also list manual controls without evidence.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def status(
    config_path: Path | None, store_url: str | None, run_id: str | None, show_all: bool, fmt: str
) -> None:
    """Per control: pass / fail / gap counts and the time of the latest evidence."""
    config = load(config_path, store_url, required=False)
    output.print_status(config, run_id, show_all=show_all, fmt=fmt)


@main.command()
@config_option
@store_option
@click.option("--run", "run_id", default=None, help="Run id or unique prefix (default: latest).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["pass", "fail", "not_applicable", "error"]),
)
@click.option("--control", default=None, help="Only evaluations supporting this control (A.8.24).")
@click.option("--kind", default=None, help="Only this observation kind (aws.s3.bucket).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def findings(
    config_path: Path | None,
    store_url: str | None,
    run_id: str | None,
    statuses: tuple[str, ...],
    control: str | None,
    kind: str | None,
    fmt: str,
) -> None:
    """The evaluations of a run: resource, rule, status, controls, reason."""
    config = load(config_path, store_url, required=False)
    output.print_findings(config, run_id, statuses=statuses, control=control, kind=kind, fmt=fmt)


@main.command()
@config_option
@store_option
@click.option("--run", "run_id", default=None, help="Run id or unique prefix (default: latest).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def inventory(
    config_path: Path | None, store_url: str | None, run_id: str | None, fmt: str
) -> None:
    """The AI asset inventory: models, endpoints, notebooks, guardrails, invocation logging."""
    config = load(config_path, store_url, required=False)
    output.print_inventory(config, run_id, fmt)


@main.command()
@config_option
@store_option
@click.option("--run", "run_id", default=None, help="Run id or unique prefix (default: latest).")
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(["ok", "partial", "denied", "error", "interrupted", "skipped"]),
)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def units(
    config_path: Path | None,
    store_url: str | None,
    run_id: str | None,
    statuses: tuple[str, ...],
    fmt: str,
) -> None:
    """Each work unit of a run: status, API calls, observations, seconds, error."""
    config = load(config_path, store_url, required=False)
    output.print_units(config, run_id, statuses, fmt)


@main.command()
@click.option("--automation", type=click.Choice(["automated", "partial", "manual"]), default=None)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
def controls(automation: str | None, fmt: str) -> None:
    """The Annex A 2022 catalogue with automation class and rule count."""
    output.print_controls(automation, fmt)


@main.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def connectors(fmt: str) -> None:
    """Registered connectors, what they emit and the read-only permissions they need."""
    if not output.print_connectors(fmt):
        sys.exit(EXIT_GAPS)


@main.command()
@click.argument("provider")
def policy(provider: str) -> None:
    """Print the least-privilege read-only policy for PROVIDER's connectors (aws: an IAM policy;
    kubernetes: ServiceAccount, ClusterRole and binding)."""
    if not output.print_policy(provider):
        sys.exit(EXIT_CONFIG)


@main.command()
@config_option
@store_option
@click.option(
    "--public-key",
    "public_keys",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="Trust this public key (PEM) instead of the configured signing key (repeatable).",
)
@click.option(
    "--expect-head",
    default=None,
    help="A digest SHA-256 noted earlier that must still be in the chain.",
)
def verify(
    config_path: Path | None,
    store_url: str | None,
    public_keys: tuple[Path, ...],
    expect_head: str | None,
) -> None:
    """Walk the digest chain and every record; name the first one that does not verify."""
    config = load(config_path, store_url, required=not public_keys)
    if not output.print_verify(config, public_keys, expect_head):
        sys.exit(EXIT_GAPS)


@main.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("."),
    help="Where to write annexa-demo.db, its signing key and annexa-demo.toml.",
)
def demo(directory: Path) -> None:
    """Run the whole pipeline against a simulated AWS account (no credentials needed)."""
    from annexa.collector.demo import run_demo

    run_demo(directory)


if __name__ == "__main__":  # pragma: no cover
    main()
