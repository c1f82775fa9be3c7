"""Looking back: ``annexa diff`` (choosing two runs, printing what changed as a table, CSV or
JSON) and the run that was current at a moment, for ``annexa status --at``."""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime, time, timedelta
from typing import Any

import click
from rich.table import Table

from annexa.collector.config import Config
from annexa.collector.diff import EvaluationChange, ResourceChange, RunDiff, UnitChange, diff_runs
from annexa.collector.output import console, open_store, resolve_run, short
from annexa.connectors.records import utc_iso
from annexa.store import History, RunInfo, Store, StoreError
from annexa.store.attachments import EVIDENCE_TRIGGER

CSV_FIELDS = (
    "section",
    "rule_id",
    "kind",
    "resource_id",
    "provider",
    "account",
    "region",
    "controls",
    "unit_key",
    "before",
    "after",
    "new_resource",
    "detail",
)


def parse_moment(text: str) -> datetime:
    """A day (``YYYY-MM-DD``: its last microsecond, UTC) or an ISO timestamp (naive means UTC)."""
    text = text.strip()
    try:
        if len(text) == 10:
            day = datetime.strptime(text, "%Y-%m-%d").date()
            return datetime.combine(day + timedelta(days=1), time(), UTC) - timedelta(
                microseconds=1
            )
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date (YYYY-MM-DD) or an ISO timestamp (2024-05-01T12:00:00Z)"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def run_at(store: Store, moment: datetime) -> RunInfo:
    """The latest closed collection run that had finished by ``moment``, or a clear error."""
    history = History(store.engine)
    run = history.run_at(moment)
    if run is None:
        first = history.first_closed()
        since = f"; the first finished at {short(first.finished_at)}" if first else ""
        raise StoreError(f"no run had finished by {short(moment)} (store {store.url}){since}")
    return run


def _closed(store: Store, run_id: str) -> RunInfo:
    run = resolve_run(store, run_id)
    if run.status == "running" or run.chain_position is None:
        raise StoreError(f"run {run.id} was never closed (still running, or stopped hard)")
    if run.trigger == EVIDENCE_TRIGGER:
        raise StoreError(f"run {run.id} only attached manual evidence; it is not a collection")
    return run


def choose_runs(store: Store, from_id: str | None, to_id: str | None) -> tuple[RunInfo, RunInfo]:
    """``--to`` defaults to the latest closed run, ``--from`` to the closed run before it."""
    history = History(store.engine)
    after = _closed(store, to_id) if to_id else history.latest_closed()
    if after is None:
        raise StoreError(f"the store holds no finished run yet (store {store.url})")
    before = _closed(store, from_id) if from_id else history.latest_closed(before=after)
    if before is None:
        raise StoreError(f"no finished run before {after.id} to compare it with; pass --from")
    if before.id == after.id:
        raise click.UsageError(f"--from and --to are the same run ({after.id})")
    return before, after


def compute_diff(store: Store, before: RunInfo, after: RunInfo) -> RunDiff:
    history = History(store.engine)
    return diff_runs(
        store.units(before.id),
        store.units(after.id),
        (history.resources(before.id), history.evaluations(before.id)),
        (history.resources(after.id), history.evaluations(after.id)),
    )


def print_diff(config: Config, from_id: str | None, to_id: str | None, fmt: str) -> RunDiff:
    """Print the diff of two runs and return it."""
    store = open_store(config)
    try:
        before, after = choose_runs(store, from_id, to_id)
        result = compute_diff(store, before, after)
    finally:
        store.close()
    if fmt == "json":
        print(json.dumps(as_document(before, after, result), indent=2))
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=CSV_FIELDS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(csv_rows(result))
    else:
        print_table(before, after, result)
    return result


def _run(run: RunInfo) -> dict[str, Any]:
    return {
        "run": run.id,
        "status": run.status,
        "started_at": utc_iso(run.started_at),
        "finished_at": utc_iso(run.finished_at) if run.finished_at else None,
    }


def _evaluation(change: EvaluationChange, with_new: bool = False) -> dict[str, Any]:
    entry = asdict(change)
    entry["controls"] = list(change.controls)
    if not with_new:
        del entry["new_resource"]
    return entry


def as_document(before: RunInfo, after: RunInfo, result: RunDiff) -> dict[str, Any]:
    """The JSON form: both runs, the counts, then every section."""
    return {
        "from": _run(before),
        "to": _run(after),
        "summary": result.summary(),
        "new_failures": [_evaluation(c, with_new=True) for c in result.new_failures],
        "fixed": [_evaluation(c) for c in result.fixed],
        "new_resources": [asdict(r) for r in result.new_resources],
        "removed_resources": [asdict(r) for r in result.removed_resources],
        "new_gaps": {
            "units": [asdict(u) for u in result.new_gap_units],
            "evaluations": [_evaluation(c) for c in result.new_gap_evaluations],
            "resources": [asdict(r) for r in result.unobservable_resources],
        },
        "closed_gaps": {
            "units": [asdict(u) for u in result.closed_gap_units],
            "evaluations": [_evaluation(c) for c in result.closed_gap_evaluations],
            "resources": [asdict(r) for r in result.observable_resources],
        },
    }


def _sections(
    result: RunDiff,
) -> list[tuple[str, str, list[EvaluationChange] | list[ResourceChange] | list[UnitChange]]]:
    return [
        ("new_failure", "New failures", result.new_failures),
        ("fixed", "Fixed", result.fixed),
        ("new_resource", "New resources", result.new_resources),
        ("removed_resource", "Removed resources", result.removed_resources),
        ("new_gap_unit", "New gaps: units", result.new_gap_units),
        ("new_gap_evaluation", "New gaps: evaluations in error", result.new_gap_evaluations),
        ("unobservable", "New gaps: resources no longer observable", result.unobservable_resources),
        ("closed_gap_unit", "Closed gaps: units", result.closed_gap_units),
        ("closed_gap_evaluation", "Closed gaps: evaluations", result.closed_gap_evaluations),
        ("observable", "Closed gaps: resources newly observable", result.observable_resources),
    ]


def _flat(section: str, item: EvaluationChange | ResourceChange | UnitChange) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(CSV_FIELDS, "")
    row["section"] = section
    if isinstance(item, EvaluationChange):
        row.update(asdict(item))
        row["controls"] = " ".join(item.controls)
        row["detail"] = item.reason
        if section == "new_failure":
            row["new_resource"] = {True: "yes", False: "no", None: "unknown"}[item.new_resource]
        else:
            row["new_resource"] = ""
    elif isinstance(item, ResourceChange):
        row.update(asdict(item))
        run = "later" if section in ("removed_resource", "unobservable") else "earlier"
        row["detail"] = f"unit {item.unit_key}: {item.unit_status} in the {run} run"
    else:
        row.update(unit_key=item.unit_key, before=item.before, after=item.after)
        row["detail"] = (item.error or "").splitlines()[0] if item.error else ""
    return {name: row[name] if row[name] is not None else "" for name in CSV_FIELDS}


def csv_rows(result: RunDiff) -> list[dict[str, Any]]:
    """One row per change, with a ``section`` column (the counts are in the JSON form)."""
    return [_flat(key, item) for key, _, items in _sections(result) for item in items]


def summary_line(result: RunDiff) -> str:
    n = result.summary()
    return (
        f"{n['new_failures']} new failures, {n['fixed']} fixed, "
        f"{n['still_failing']} still failing; {n['new_resources']} new resources, "
        f"{n['removed_resources']} removed; new gaps: {n['new_gap_units']} units, "
        f"{n['new_gap_evaluations']} evaluations, {n['unobservable_resources']} resources no "
        f"longer observable; closed gaps: {n['closed_gap_units']} units, "
        f"{n['closed_gap_evaluations']} evaluations, {n['observable_resources']} resources "
        "newly observable"
    )


TABLE_COLUMNS = {
    "evaluation": ("rule_id", "resource_id", "region", "before", "after", "new_resource", "detail"),
    "resource": ("kind", "resource_id", "account", "region", "detail"),
    "unit": ("unit_key", "before", "after", "detail"),
}


def print_table(before: RunInfo, after: RunInfo, result: RunDiff) -> None:
    out = console()
    out.print(
        f"Diff from run [bold]{before.id}[/] ({before.status}, finished "
        f"{short(before.finished_at)}) to run [bold]{after.id}[/] ({after.status}, finished "
        f"{short(after.finished_at)})",
        soft_wrap=True,
    )
    for key, title, items in _sections(result):
        if not items:
            continue
        shape = (
            "evaluation"
            if isinstance(items[0], EvaluationChange)
            else "resource"
            if isinstance(items[0], ResourceChange)
            else "unit"
        )
        columns = TABLE_COLUMNS[shape]
        if key != "new_failure":
            columns = tuple(c for c in columns if c != "new_resource")
        table = Table(title=f"{title} ({len(items)})", title_justify="left")
        for column in columns:
            table.add_column(column, overflow="fold")
        for item in items:
            row = _flat(key, item)
            table.add_row(*(str(row[c]) for c in columns))
        out.print(table)
    out.print(summary_line(result), soft_wrap=True)
