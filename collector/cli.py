"""The ``annexa`` command line.

Exit codes: 0 success; 1 the run left evidence gaps, or verification failed; 2 bad
configuration or usage; 3 the store or signing key cannot be used.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from annexa.collector import output
from annexa.collector.config import Config, ConfigError, find_config_path, load_config, parse_config
from annexa.collector.signals import stop_on_signals
from annexa.store import AttachmentError, SigningKeyError, StoreError

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
@click.option(
    "--shard",
    "shard_spec",
    default=None,
    metavar="i/N",
    help="Only the targets of shard i (0-based) of N (default: $ANNEXA_SHARD, or an Indexed "
    "Job's $JOB_COMPLETION_INDEX with $ANNEXA_SHARD_COUNT).",
)
def collect(
    config_path: Path | None,
    targets: tuple[str, ...],
    connectors: tuple[str, ...],
    quiet: bool,
    shard_spec: str | None,
) -> None:
    """Collect evidence from every configured target and sign the run."""
    from annexa.collector.collect import TargetsLocked
    from annexa.collector.collect import collect as run_collect
    from annexa.collector.shard import ShardError, resolve_shard

    config = load(config_path)
    try:
        shard = resolve_shard(shard_spec, os.environ)
    except ShardError as exc:
        raise click.UsageError(str(exc)) from None
    if shard is not None:
        targets = tuple(shard.select(targets or [t.name for t in config.targets]))
        if not targets:
            click.echo(f"Shard {shard} owns none of the targets: nothing to collect.")
            return
    with stop_on_signals(threading.Event()) as stop, output.Progress(enabled=not quiet) as progress:
        try:
            result = run_collect(
                config,
                only_targets=targets,
                only_connectors=connectors,
                on_start=progress.start,
                on_unit=progress.advance,
                stop=stop,
            )
        except TargetsLocked as exc:
            click.echo(f"annexa: {exc}", err=True)
            sys.exit(EXIT_GAPS)
    output.print_run(result, config)
    if result.gaps or result.skipped_targets:
        sys.exit(EXIT_GAPS)


@main.command()
@config_option
@store_option
@click.option("--run", "run_id", default=None, help="Run id or unique prefix (default: latest).")
@click.option("--all", "show_all", is_flag=True, help="Also list manual controls without evidence.")
@click.option(
    "--at",
    default=None,
    metavar="DATE",
    help="As of this day's end (YYYY-MM-DD, UTC) or ISO timestamp: the last run finished by then.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
def status(
    config_path: Path | None,
    store_url: str | None,
    run_id: str | None,
    show_all: bool,
    at: str | None,
    fmt: str,
) -> None:
    """Per control: pass / fail / gap counts and the time of the latest evidence."""
    from annexa.collector.history import parse_moment

    if at is not None and run_id is not None:
        raise click.UsageError("--at and --run cannot be used together")
    try:
        moment = parse_moment(at) if at is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from None
    config = load(config_path, store_url, required=False)
    output.print_status(config, run_id, show_all=show_all, fmt=fmt, at=moment)


@main.command()
@config_option
@store_option
@click.option("--from", "from_run", default=None, help="Run id or prefix (default: one before).")
@click.option("--to", "to_run", default=None, help="Run id or prefix (default: latest).")
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.option("--fail-on-new", is_flag=True, help="Exit 1 on new failures or new evidence gaps.")
def diff(
    config_path: Path | None,
    store_url: str | None,
    from_run: str | None,
    to_run: str | None,
    fmt: str,
    fail_on_new: bool,
) -> None:
    """What changed between two runs: failures, fixes, resources and evidence gaps."""
    from annexa.collector.history import print_diff

    config = load(config_path, store_url, required=False)
    if print_diff(config, from_run, to_run, fmt).has_new and fail_on_new:
        sys.exit(EXIT_GAPS)


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


class EvidenceGroup(AnnexaGroup):
    """Bad manual-evidence input (unknown control, bad period, unreadable file) exits 2."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except AttachmentError as exc:
            click.echo(f"annexa: {exc}", err=True)
            ctx.exit(EXIT_CONFIG)


DAY = click.DateTime(formats=["%Y-%m-%d"])
EVIDENCE_FORMAT = click.Choice(["table", "csv", "json"])


@main.group(cls=EvidenceGroup)
def evidence() -> None:
    """Manual evidence: files attached to controls, hashed and signed in the digest chain."""


@evidence.command("add")
@config_option
@store_option
@click.option("--control", required=True, help="Annex A control id (A.5.1).")
@click.option("--file", "path", required=True, type=click.Path(path_type=Path), help="The file.")
@click.option("--effective-from", type=DAY, default=None, help="First day (default: today, UTC).")
@click.option("--effective-to", type=DAY, default=None, help="Last day (default: open-ended).")
@click.option("--note", default="", help="Who approved it, when; secrets are redacted.")
@click.option("--max-size-mb", type=click.FloatRange(min=0), default=50.0, show_default=True)
def evidence_add(
    config_path: Path | None,
    store_url: str | None,
    control: str,
    path: Path,
    effective_from: Any,
    effective_to: Any,
    note: str,
    max_size_mb: float,
) -> None:
    """Attach FILE to a control, stored by SHA-256 in a signed run of its own."""
    from annexa.collector import evidence as manual

    manual.add(
        load(config_path, store_url),
        path,
        control=control,
        effective_from=effective_from.date() if effective_from else manual.today(),
        effective_to=effective_to.date() if effective_to else None,
        note=note,
        max_size=int(max_size_mb * 1_048_576),
    )


@evidence.command("list")
@config_option
@store_option
@click.option("--control", default=None, help="Only this control.")
@click.option("--at", type=DAY, default=None, help="Only evidence effective on this day.")
@click.option("--format", "fmt", type=EVIDENCE_FORMAT, default="table")
def evidence_list(
    config_path: Path | None, store_url: str | None, control: str | None, at: Any, fmt: str
) -> None:
    """Attachments: control, file, size, SHA-256, effective period, note, run and position."""
    from annexa.collector import evidence as manual

    config = load(config_path, store_url, required=False)
    manual.print_list(config, control, at.date() if at else None, fmt)


@evidence.command("show")
@config_option
@store_option
@click.argument("sha256")
@click.option("--out", required=True, help="Where to write the file (- for standard output).")
@click.option("--force", is_flag=True, help="Overwrite --out if it exists.")
def evidence_show(
    config_path: Path | None, store_url: str | None, sha256: str, out: str, force: bool
) -> None:
    """Write the stored file with this SHA-256 (or unique prefix) back out, byte for byte."""
    from annexa.collector import evidence as manual

    manual.write_out(load(config_path, store_url, required=False), sha256, out, force)


@evidence.command("needed")
@config_option
@store_option
@click.option("--at", type=DAY, default=None, help="On this day (default: today, UTC).")
@click.option("--format", "fmt", type=EVIDENCE_FORMAT, default="table")
def evidence_needed(config_path: Path | None, store_url: str | None, at: Any, fmt: str) -> None:
    """Manual and partial controls with no manual evidence effective, and what auditors expect."""
    from annexa.collector import evidence as manual

    config = load(config_path, store_url, required=False)
    manual.print_needed(config, at.date() if at else None, fmt)


def _register_export_commands() -> None:
    from annexa.collector.daemon.command import daemon
    from annexa.collector.export.commands import export, verify_bundle

    main.add_command(export)
    main.add_command(verify_bundle)
    main.add_command(daemon)


_register_export_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
