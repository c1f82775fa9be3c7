"""What the CLI prints: progress, run summaries, status, findings, catalogue, connectors, verify."""

from __future__ import annotations

import csv
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
from rich.progress import Progress as RichProgress
from rich.table import Table

from annexa.collector.collect import rule_engine
from annexa.collector.config import Config
from annexa.collector.inventory import ai_asset_kinds, ai_inventory
from annexa.collector.inventory import summary as inventory_summary
from annexa.collector.plan import Plan
from annexa.collector.report import ControlStatus, control_summary
from annexa.collector.runner import RunResult
from annexa.connectors.base import Connector
from annexa.connectors.records import utc_iso
from annexa.connectors.registry import connector_registry
from annexa.mappings.catalogue import load_catalogue
from annexa.store import RunInfo, Signer, Store, StoreError, UnitRecord
from annexa.store.integrity import key_id, load_public_key

STATUS_STYLE = {
    "pass": "green",
    "fail": "red",
    "gap": "yellow",
    "error": "yellow",
    "no evidence": "yellow",
    "n/a": "dim",
    "manual": "dim",
    "not_applicable": "dim",
    "ok": "green",
    "partial": "yellow",
    "denied": "red",
    "interrupted": "yellow",
    "skipped": "dim",
}


def console(err: bool = False) -> Console:
    """Rich output; when piped, a fixed width of 140 keeps tables readable in logs."""
    stream = sys.stderr if err else sys.stdout
    return Console(stderr=err, highlight=False, width=None if stream.isatty() else 140)


def short(when: Any) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%SZ") if when else "-"


class Progress:
    """A progress bar on a terminal; silence otherwise (logs and pipes stay clean)."""

    def __init__(self, enabled: bool = True) -> None:
        self._enabled = enabled and sys.stderr.isatty()
        self._bar: RichProgress | None = None
        self._task: Any = None
        self._calls = 0

    def __enter__(self) -> Progress:
        if self._enabled:
            self._bar = RichProgress(
                TextColumn("[bold]collecting"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("units  {task.fields[calls]} API calls  {task.fields[last]}"),
                TimeElapsedColumn(),
                console=console(err=True),
                transient=True,
            )
            self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(None, None, None)

    def start(self, plan: Plan, run_id: str) -> None:
        if self._bar is not None:
            self._task = self._bar.add_task("collect", total=len(plan), calls=0, last="")

    def advance(self, unit: UnitRecord, done: int, total: int) -> None:
        self._calls += unit.api_calls
        if self._bar is not None and self._task is not None:
            self._bar.update(self._task, completed=done, calls=self._calls, last=unit.unit_key)


def open_store(config: Config) -> Store:
    return Store.open(config.store_url)


def resolve_run(store: Store, run_id: str | None) -> RunInfo:
    run = store.run(run_id)
    if run is None:
        what = (
            f"no single run matches {run_id!r}" if run_id else "the store holds no finished run yet"
        )
        raise StoreError(f"{what} (store {store.url}); run `annexa collect` first")
    return run


def print_run(result: RunResult, config: Config) -> None:
    out = console()
    closed = result.closed
    seconds = (
        (result.finished_at - result.started_at).total_seconds()
        if result.finished_at and result.started_at
        else 0
    )
    statuses = ", ".join(f"{n} {s}" for s, n in sorted(result.statuses.items()))
    out.print(
        f"Run [bold]{closed.run_id}[/] {closed.status}: {sum(result.statuses.values())} units "
        f"({statuses}), {closed.counts['observations']} observations, "
        f"{closed.counts['evaluations']} evaluations, "
        f"{result.api_calls} API calls in {seconds:.1f}s"
    )
    out.print(f"Signed at chain position {closed.position} (digest sha256 {closed.digest_sha256})")
    store = open_store(config)
    try:
        gaps = [u for u in store.units(closed.run_id) if u.status != "ok"]
    finally:
        store.close()
    if gaps:
        out.print(f"\n[yellow]Units with gaps or partial evidence ({len(gaps)}):[/]")
        for unit in gaps:
            reason = (unit.error_message or "").splitlines()[0][:160]
            out.print(f"  {unit.unit_key:<40} {unit.status:<11} {reason}")
    for target, owner in sorted(result.skipped_targets.items()):
        out.print(f"[yellow]target {target} skipped: being collected by {owner}[/]")
    out.print("\nNext: `annexa status` per control, `annexa findings --status fail` per resource.")


def _summary(config: Config, store: Store, run: RunInfo) -> list[ControlStatus]:
    engine = rule_engine(config)
    return control_summary(load_catalogue(), engine, store.findings(run.id), store.units(run.id))


def print_status(
    config: Config, run_id: str | None, *, show_all: bool, fmt: str, at: datetime | None = None
) -> None:
    """Per-control status of a run; with ``at``, of the last run finished by that moment."""
    from annexa.collector.history import run_at

    store = open_store(config)
    try:
        run = resolve_run(store, run_id) if at is None else run_at(store, at)
        summary = _summary(config, store, run)
        units = store.units(run.id)
        assets = ai_inventory(store, run.id)
    finally:
        store.close()
    shown = [s for s in summary if show_all or s.rules or s.control.automation == "automated"]
    if fmt == "json":
        inventory = Counter(a.category for a in assets)
        document: dict[str, Any] = {
            "run": run.id,
            "controls": [_status_dict(s) for s in shown],
            "ai_assets": inventory,
        }
        if at is not None:
            finished = utc_iso(run.finished_at) if run.finished_at else None
            document |= {"as_of": utc_iso(at), "run_finished_at": finished}
        print(json.dumps(document, indent=2))
        return
    title = f"Run {run.id} ({run.status}, {short(run.started_at)})"
    if at is not None:
        title = f"As of {short(at)}: run {run.id} ({run.status}, finished {short(run.finished_at)})"
    table = Table(title=title, title_justify="left")
    for column in (
        "Control",
        "Title",
        "Class",
        "Pass",
        "Fail",
        "Gap",
        "N/A",
        "Latest evidence",
        "Status",
    ):
        table.add_column(
            column, justify="right" if column in ("Pass", "Fail", "Gap", "N/A") else "left"
        )
    for s in shown:
        style = STATUS_STYLE.get(s.status, "")
        table.add_row(
            s.control.id,
            s.control.title[:44],
            s.control.automation,
            str(s.passed),
            str(s.failed),
            str(s.gaps),
            str(s.not_applicable),
            short(s.latest),
            f"[{style}]{s.status}[/]",
        )
    out = console()
    out.print(table)
    counts = Counter(s.status for s in shown)
    out.print("  ".join(f"{status}: {n}" for status, n in sorted(counts.items())))
    if ai_asset_kinds():
        out.print(f"AI asset inventory (A.5.9): {inventory_summary(assets)}  (annexa inventory)")
    gaps = [u for u in units if u.is_gap]
    if gaps:
        out.print(
            f"[yellow]{len(gaps)} unit(s) are evidence gaps:[/] "
            + ", ".join(f"{u.unit_key} ({u.status})" for u in gaps)
        )


def _status_dict(s: ControlStatus) -> dict[str, Any]:
    return {
        "control": s.control.id,
        "title": s.control.title,
        "automation": s.control.automation,
        "rules": s.rules,
        "pass": s.passed,
        "fail": s.failed,
        "gap": s.gaps,
        "not_applicable": s.not_applicable,
        "latest_evidence": utc_iso(s.latest) if s.latest else None,
        "status": s.status,
        "gap_reasons": s.gap_reasons,
    }


FINDING_FIELDS = (
    "status",
    "rule_id",
    "kind",
    "resource_id",
    "account",
    "region",
    "controls",
    "severity",
    "reason",
    "observed_at",
)


def print_findings(
    config: Config,
    run_id: str | None,
    *,
    statuses: Sequence[str],
    control: str | None,
    kind: str | None,
    fmt: str,
) -> None:
    store = open_store(config)
    try:
        run = resolve_run(store, run_id)
        rows = (
            {
                "status": f.status,
                "rule_id": f.rule_id,
                "kind": f.kind,
                "resource_id": f.resource_id,
                "account": f.account,
                "region": f.region,
                "controls": list(f.controls),
                "severity": f.severity,
                "reason": f.reason,
                "observed_at": utc_iso(f.observed_at),
            }
            for f in store.findings(run.id, statuses=statuses, control=control, kind=kind)
        )
        columns = ("status", "rule_id", "resource_id", "region", "controls", "reason")
        _emit_rows(rows, fmt, f"Findings of run {run.id}", columns)
    finally:
        store.close()


def _emit_rows(
    rows: Iterable[dict[str, Any]], fmt: str, title: str, columns: Sequence[str]
) -> None:
    """Rows as CSV, a JSON array or a table of ``columns`` (long values fold, never vanish)."""
    if fmt == "csv":
        writer: Any = None
        for row in rows:
            if writer is None:
                writer = csv.DictWriter(sys.stdout, fieldnames=list(row), lineterminator="\n")
                writer.writeheader()
            writer.writerow({k: " ".join(v) if isinstance(v, list) else v for k, v in row.items()})
        return
    if fmt == "json":
        sys.stdout.write("[")
        for index, row in enumerate(rows):
            sys.stdout.write(("," if index else "") + "\n  " + json.dumps(row))
        sys.stdout.write("\n]\n")
        return
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, overflow="fold")
    count = 0
    for row in rows:
        cells = [" ".join(row[c]) if isinstance(row[c], list) else str(row[c]) for c in columns]
        if columns[0] == "status":
            cells[0] = f"[{STATUS_STYLE.get(row['status'], '')}]{row['status']}[/]"
        table.add_row(*cells)
        count += 1
    console().print(table if count else "No matching rows.")


def print_inventory(config: Config, run_id: str | None, fmt: str) -> None:
    store = open_store(config)
    try:
        run = resolve_run(store, run_id)
        assets = ai_inventory(store, run.id)
    finally:
        store.close()
    rows = (
        {
            "category": a.category,
            "name": a.name,
            "kind": a.kind,
            "account": a.account,
            "region": a.region,
            "resource_id": a.resource_id,
            "observed_at": utc_iso(a.observed_at),
        }
        for a in assets
    )
    columns = ("category", "name", "account", "region", "resource_id")
    _emit_rows(rows, fmt, f"AI asset inventory of run {run.id}", columns)


def print_units(config: Config, run_id: str | None, statuses: tuple[str, ...], fmt: str) -> None:
    """Each work unit of a run: its status, API calls, observations, duration and error."""
    store = open_store(config)
    try:
        run = resolve_run(store, run_id)
        units = store.units(run.id)
    finally:
        store.close()
    rows = (
        {
            "status": u.status,
            "unit": u.unit_key,
            "api_calls": u.api_calls,
            "observations": u.observations,
            "seconds": round((u.finished_at - u.started_at).total_seconds(), 2),
            "error": u.error_message or "",
        }
        for u in units
        if not statuses or u.status in statuses
    )
    columns = ("status", "unit", "api_calls", "observations", "seconds", "error")
    _emit_rows(rows, fmt, f"Units of run {run.id}", columns)


def print_controls(automation: str | None, fmt: str) -> None:
    from annexa.mappings.rules import load_rules

    rules = load_rules()
    counts = Counter(c for rule in rules for c in rule.controls)
    rows = (
        {
            "id": c.id,
            "theme": c.theme,
            "title": c.title,
            "automation": c.automation,
            "rules": counts.get(c.id, 0),
            "iso27001_2013": list(c.iso27001_2013),
        }
        for c in load_catalogue()
        if automation in (None, c.automation)
    )
    columns = ("id", "title", "automation", "rules", "iso27001_2013")
    _emit_rows(rows, fmt, "ISO/IEC 27001:2022 Annex A", columns)


def _scope(connector: type[Connector]) -> str:
    """How a connector's units split: its provider says (per region, global, per cluster)."""
    from annexa.connectors.registry import PluginError, provider_registry

    try:
        return provider_registry().load(connector.provider)().describe_scope(connector)
    except PluginError:
        return "per region" if connector.regional else "global"


def print_connectors(fmt: str) -> bool:
    loaded, failures = connector_registry().load_all()
    data: list[dict[str, Any]] = [
        {
            "name": name,
            "provider": cls.provider,
            "scope": _scope(cls),
            "kinds": [k.name for k in cls.kinds],
            "permissions": list(cls.permissions),
            "description": cls.description,
        }
        for name, cls in loaded.items()
    ]
    if fmt == "json":
        print(json.dumps({"connectors": data, "broken": [f.__dict__ for f in failures]}, indent=2))
        return not failures
    table = Table(title="Connectors", title_justify="left")
    for column in ("Name", "Scope", "Observation kinds", "Read-only permissions"):
        table.add_column(column)
    for entry in data:
        table.add_row(
            entry["name"],
            entry["scope"],
            "\n".join(entry["kinds"]),
            ", ".join(entry["permissions"]),
        )
    out = console()
    out.print(table)
    for failure in failures:
        out.print(f"[red]broken plugin[/] {failure.name} ({failure.target}): {failure.error}")
    return not failures


def print_policy(provider_name: str) -> bool:
    from annexa.connectors.registry import PluginError, provider_registry

    try:
        provider = provider_registry().load(provider_name)()
    except PluginError as exc:
        console(err=True).print(f"annexa: {exc}")
        return False
    loaded, _ = connector_registry().load_all()
    document = provider.least_privilege([c for c in loaded.values() if c.provider == provider_name])
    if document is None:
        console(err=True).print(f"annexa: provider {provider_name!r} has no policy document")
        return False
    sys.stdout.write(document)
    return True


def trusted_keys(config: Config, public_keys: Sequence[Path]) -> dict[str, Any]:
    keys = {}
    if public_keys:
        pems = list(public_keys)
    else:
        signer = Signer.load(config.key_path) if config.key_path.exists() else None
        if signer is None:
            raise StoreError(f"signing key {config.key_path} not found; pass --public-key")
        keys[signer.key_id] = signer.public_key
        pems = list(config.trusted_public_keys)
    for pem in pems:
        public = load_public_key(pem.read_bytes())
        keys[key_id(public)] = public
    return keys


def print_verify(config: Config, public_keys: Sequence[Path], expect_head: str | None) -> bool:
    store = open_store(config)
    try:
        report = store.verify(trusted_keys(config, public_keys))
        if expect_head:
            known = {run.digest_sha256 for run in store.runs(limit=1_000_000)}
            if expect_head not in known:
                from annexa.store.verify import Problem

                report.problems.append(
                    Problem(
                        f"digest {expect_head}",
                        "expected in the chain but not found (runs deleted?)",
                    )
                )
    finally:
        store.close()
    out = console()
    for warning in report.warnings:
        out.print(f"[yellow]warning:[/] {warning}")
    if report.ok:
        out.print(
            f"[green]OK[/]: {report.runs} run(s), {report.records} records verified; "
            f"chain head at position {report.head_position} (digest sha256 {report.head_digest})"
        )
        return True
    out.print(f"[red]FAILED[/]: {len(report.problems)} problem(s); first: {report.problems[0]}")
    for problem in report.problems[1:20]:
        out.print(f"  {problem}")
    if len(report.problems) > 20:
        out.print(f"  ... and {len(report.problems) - 20} more")
    return False
