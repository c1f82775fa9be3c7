"""The ``annexa export`` and ``annexa verify-bundle`` commands."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

EXIT_GAPS = 1
EXIT_CONFIG = 2


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        message = f"{value!r} is not a date (YYYY-MM-DD)"
        raise click.BadParameter(message, param_hint=option) from exc


@click.command("export")
@click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--store", "store_url", default=None, help="Store URL, overriding the config file.")
@click.option("--from", "start", required=True, metavar="YYYY-MM-DD", help="First day (UTC).")
@click.option("--to", "end", required=True, metavar="YYYY-MM-DD", help="Last day (UTC), included.")
@click.option(
    "--out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="The bundle to write (a .zip).",
)
@click.option("--control", "controls", multiple=True, help="Only this control (repeatable).")
@click.option("--target", "targets", multiple=True, help="Only this target (repeatable).")
def export(
    config_path: Path | None,
    store_url: str | None,
    start: str,
    end: str,
    out: Path,
    controls: tuple[str, ...],
    targets: tuple[str, ...],
) -> None:
    """Write the signed evidence bundle of a period for the certification body."""
    from annexa.collector.cli import load
    from annexa.collector.collect import rule_engine
    from annexa.collector.export.bundle import ExportError, export_bundle
    from annexa.collector.export.model import ExportScope, Period
    from annexa.store import Signer, Store

    try:
        period = Period(_day(start, "--from"), _day(end, "--to"))
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--to") from exc
    config = load(config_path, store_url)
    engine = rule_engine(config)
    signer = Signer.load(config.key_path)
    store = Store.open(config.store_url)
    scope = ExportScope(period, tuple(sorted(set(controls))), tuple(sorted(set(targets))))
    try:
        excluded = config.model.soa.excluded
        result = export_bundle(store, signer, engine, scope, out, excluded)
    except ExportError as exc:
        click.echo(f"annexa: {exc}", err=True)
        sys.exit(EXIT_CONFIG)
    finally:
        store.close()
    statuses = ", ".join(f"{n} {status}" for status, n in sorted(result.statuses.items()))
    click.echo(
        f"Wrote {result.path} ({result.size:,} bytes, {result.files} files): "
        f"{result.runs} runs, {result.observations:,} observations, "
        f"{result.evaluations:,} evaluations. Controls: {statuses}."
    )
    click.echo(f"Check it with `annexa verify-bundle {result.path}` or the commands in VERIFY.txt.")


@click.command("verify-bundle")
@click.argument("bundle", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--key-id",
    "key_ids",
    multiple=True,
    help="The signing key id you were given independently (repeatable); the bundle must use it.",
)
def verify_bundle(bundle: Path, key_ids: tuple[str, ...]) -> None:
    """Check an evidence bundle offline: signatures, file hashes, run chain, record hashes."""
    from annexa.store.bundle_verify import verify_bundle as check

    report = check(bundle, key_ids)
    for note in report.notes:
        click.echo(f"note: {note}")
    if report.ok:
        click.echo(
            f"OK: {report.files} files, {report.runs} run digests and {report.records:,} "
            f"records verify; signed by key {report.key_id}"
            + ("" if key_ids else " (pass --key-id to check it is the one you expect)")
        )
        return
    for problem in report.problems:
        click.echo(f"FAIL: {problem}")
    sys.exit(EXIT_GAPS)
