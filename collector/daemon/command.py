"""The ``annexa daemon`` command."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

EXIT_CONFIG = 2


@click.command("daemon")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--shard",
    default=None,
    metavar="I/N",
    help="Collect only the targets of shard I of N (0-based; default: $ANNEXA_SHARD, or "
    "$JOB_COMPLETION_INDEX with $ANNEXA_SHARD_COUNT).",
)
@click.option("--log-level", default="INFO", show_default=True, help="DEBUG, INFO, WARNING, ...")
def daemon(config_path: Path | None, shard: str | None, log_level: str) -> None:
    """Collect on the config's [daemon] schedules until SIGTERM, with health and metrics."""
    from annexa.collector.cli import load
    from annexa.collector.daemon.core import Daemon
    from annexa.collector.logs import configure_logging
    from annexa.collector.shard import ShardError, resolve_shard
    from annexa.connectors.redact import Redactor

    config = load(config_path)
    settings = config.model.daemon
    if not settings.schedules:
        click.echo("annexa: config error: daemon.schedules: no schedule to run", err=True)
        sys.exit(EXIT_CONFIG)
    try:
        selected = resolve_shard(shard, os.environ)
    except ShardError as exc:
        click.echo(f"annexa: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    try:
        configure_logging(
            settings.log_format, log_level, redactor=Redactor(config.model.redaction.patterns)
        )
    except ValueError as exc:
        click.echo(f"annexa: --log-level: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    Daemon(config, selected).serve()
