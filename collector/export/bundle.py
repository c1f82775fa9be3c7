"""``annexa export``: one pass over a period's evidence, into a signed, self-verifying ZIP.

The store is read once, in store order; each :class:`EvidenceRow` goes to the per-control
files, the period aggregator and the OSCAL writer, none of which keeps it. Everything written
is derived from the store and the arguments alone (no clock, no random ids, stable order), so
the same store and arguments give a byte-identical bundle. The ZIP is written next to its
destination and renamed into place only when sealed: a failed export leaves nothing behind.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import tempfile
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annexa.collector.export.files import EVALUATION_COLUMNS, ControlFiles
from annexa.collector.export.model import (
    AttachmentRef,
    ControlPeriod,
    ExportMeta,
    ExportScope,
    GapEntry,
    RunRef,
)
from annexa.collector.export.oscal import OscalWriter
from annexa.collector.export.period import PeriodAggregator
from annexa.collector.export.report_html import render
from annexa.collector.export.soa import soa_csv, soa_rows, soa_xlsx
from annexa.collector.export.verify_text import verify_instructions
from annexa.collector.inventory import AiAsset, ai_asset_kinds
from annexa.connectors.records import utc_iso
from annexa.mappings.catalogue import load_catalogue
from annexa.mappings.engine import RuleEngine
from annexa.store import Signer, Store
from annexa.store.bundle import TRAILER, BundleWriter
from annexa.store.evidence import EvidenceRow, evidence_rows, run_units, signed_runs

GAP_COLUMNS = ("day", "type", "control", "run_id", "unit", "status", "reason")


class ExportError(Exception):
    """The export cannot be made as asked (no evidence in the period, bad filters)."""


@dataclass(frozen=True)
class ExportResult:
    path: Path
    runs: int
    evaluations: int
    observations: int
    files: int
    size: int
    statuses: Counter[str]


class _Inventory:
    """The AI assets seen in the period: latest observation per resource."""

    def __init__(self) -> None:
        self.kinds = ai_asset_kinds()
        self.assets: dict[tuple[str, str, str, str], AiAsset] = {}

    def add(self, row: EvidenceRow) -> None:
        category = self.kinds.get(row.kind)
        if category is None:
            return
        key = (row.kind, row.resource_id, row.account, row.region)
        known = self.assets.get(key)
        if known is None or row.observed_at >= known.observed_at:
            name = str(row.attributes.get("name", row.resource_id))
            self.assets[key] = AiAsset(
                category, row.kind, name, row.resource_id, row.account, row.region, row.observed_at
            )

    def listing(self) -> list[AiAsset]:
        return sorted(
            self.assets.values(), key=lambda a: (a.category, a.account, a.region, a.name, a.kind)
        )


def _gaps_csv(gaps: list[GapEntry]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(GAP_COLUMNS)
    for gap in gaps:
        writer.writerow(
            [
                gap.day.isoformat(),
                gap.type,
                gap.control,
                gap.run_id,
                gap.unit,
                gap.status,
                gap.reason,
            ]
        )
    return buffer.getvalue().encode("utf-8")


def _ruleset_digests(runs: Sequence[RunRef]) -> tuple[str, ...]:
    found = set()
    for run in runs:
        if run.digest:
            found.add(str(json.loads(run.digest)["run"].get("ruleset_digest", "")))
    return tuple(sorted(found - {""}))


def _attachments(store: Store, scope: ExportScope, controls: list[ControlPeriod]) -> None:
    """Attach the manual evidence effective at some point of the period to its controls."""
    by_control = {entry.control.id: entry for entry in controls}
    period = scope.period
    for attachment in store.attachments():
        entry = by_control.get(attachment.control)
        ends = attachment.effective_to
        if entry is None or (ends is not None and ends < period.start):
            continue
        if attachment.effective_from > period.end:
            continue
        sha = attachment.content_sha256
        entry.attachments.append(
            AttachmentRef(
                control=attachment.control,
                file_name=attachment.file_name,
                media_type=attachment.media_type,
                size=attachment.size,
                sha256=sha,
                effective_from=attachment.effective_from,
                effective_to=ends,
                note=attachment.note,
                added_at=attachment.added_at,
                path=f"controls/{attachment.control}/manual/{sha[:16]}-{attachment.file_name}",
            )
        )


def export_bundle(
    store: Store,
    signer: Signer,
    engine: RuleEngine,
    scope: ExportScope,
    out: Path,
    exclusions: Mapping[str, str] | None = None,
) -> ExportResult:
    """Write the bundle for ``scope`` to ``out``; raise :class:`ExportError` if there is
    nothing to export."""
    catalogue = load_catalogue()
    unknown = sorted(set(scope.controls) - {c.id for c in catalogue})
    if unknown:
        raise ExportError(f"--control: no Annex A control {', '.join(unknown)}")
    period = scope.period
    runs = signed_runs(store.engine, period.start_at, period.end_at)
    if not runs:
        raise ExportError(f"no signed runs between {period.start} and {period.end}")
    run_ids = [run.id for run in runs]
    units = run_units(store.engine, run_ids, scope.targets)
    if scope.targets and not units:
        raise ExportError(f"--target: no units of {', '.join(scope.targets)} in the period")
    in_scope = set(scope.controls) or {c.id for c in catalogue}
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="annexa-export-") as work:
        workdir = Path(work)
        files = ControlFiles(workdir / "controls", in_scope)
        aggregator = PeriodAggregator(scope, catalogue, engine.rules)
        oscal = OscalWriter(workdir / "oscal", in_scope)
        inventory = _Inventory()
        evaluations = 0
        last_key: tuple[str, int] | None = None
        observation_count = 0
        for row in evidence_rows(
            store.engine, run_ids, period.start_at, period.end_at, scope.targets
        ):
            evaluations += 1
            if row.observation_key != last_key:
                last_key = row.observation_key
                observation_count += 1
            files.add(row)
            aggregator.add(row)
            oscal.add(row)
            inventory.add(row)
        files.close()
        controls, gaps = aggregator.build(units)
        for entry in controls:
            entry.applicable = entry.control.id not in (exclusions or {})
        _attachments(store, scope, controls)
        meta = ExportMeta(
            scope=scope,
            generated_at=max(r.finished_at or r.started_at for r in runs),
            agent_version=_agent_version(),
            catalogue_version=catalogue.version,
            ruleset_digests=_ruleset_digests(runs),
            runs=tuple(runs),
            key_id=signer.key_id,
            freshness_hours={rule.id: rule.freshness_hours for rule in engine.rules},
        )
        bundle = BundleWriter(partial, signer)
        try:
            _write(
                bundle,
                exclusions or {},
                store,
                meta,
                controls,
                gaps,
                files,
                aggregator,
                oscal,
                inventory,
            )
            bundle.finish(
                _metadata(meta, evaluations, observation_count), verify_instructions(meta)
            )
        except BaseException:
            bundle.abort()
            partial.unlink(missing_ok=True)
            raise
    partial.replace(out)
    return ExportResult(
        path=out,
        runs=len(runs),
        evaluations=evaluations,
        observations=observation_count,
        files=len(bundle.files) + len(TRAILER),
        size=out.stat().st_size,
        statuses=Counter(entry.status for entry in controls),
    )


def _write(
    bundle: BundleWriter,
    exclusions: Mapping[str, str],
    store: Store,
    meta: ExportMeta,
    controls: list[ControlPeriod],
    gaps: list[GapEntry],
    files: ControlFiles,
    aggregator: PeriodAggregator,
    oscal: OscalWriter,
    inventory: _Inventory,
) -> None:
    title = f"annexa evidence {meta.scope.period.start} to {meta.scope.period.end}"
    bundle.add_bytes(
        "report.html",
        render(meta, controls, aggregator.samples(), gaps, inventory.listing()).encode("utf-8"),
    )
    rows = soa_rows(controls, exclusions)
    bundle.add_bytes("soa.csv", soa_csv(rows))
    xlsx = io.BytesIO()
    soa_xlsx(rows, title, meta.generated_at, xlsx)
    bundle.add_bytes("soa.xlsx", xlsx.getvalue())
    bundle.add_bytes("gaps.csv", _gaps_csv(gaps))
    header = (",".join(EVALUATION_COLUMNS) + "\n").encode()
    for entry in controls:
        folder = f"controls/{entry.control.id}"
        spooled = files.paths(entry.control.id)
        if spooled is None:
            bundle.add_bytes(f"{folder}/evaluations.csv", header)
            bundle.add_bytes(f"{folder}/observations.jsonl", b"")
        else:
            bundle.add_file(f"{folder}/evaluations.csv", spooled[0])
            bundle.add_file(f"{folder}/observations.jsonl", spooled[1])
        for attachment in entry.attachments:
            bundle.add_bytes(attachment.path, store.attachment_content(attachment.sha256))
    with bundle.open("oscal/assessment-results.json") as out:
        oscal.write(meta, controls, out)  # type: ignore[arg-type]
    for run in meta.runs:
        if run.digest and run.signature:
            name = f"runs/{run.chain_position:06d}-{run.id}"
            bundle.add_bytes(f"{name}.digest.json", run.digest.encode("utf-8"))
            bundle.add_bytes(f"{name}.digest.sig", _raw_signature(run.signature))


def _raw_signature(signature_b64: str) -> bytes:
    return base64.b64decode(signature_b64)


def _metadata(meta: ExportMeta, evaluations: int, observations: int) -> dict[str, Any]:
    period = meta.scope.period
    return {
        "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
        "scope": {"controls": list(meta.scope.controls), "targets": list(meta.scope.targets)},
        "generated_at": utc_iso(meta.generated_at),
        "agent_version": meta.agent_version,
        "catalogue_version": meta.catalogue_version,
        "ruleset_digests": list(meta.ruleset_digests),
        "evaluations": evaluations,
        "observations": observations,
        "runs": [
            {
                "id": run.id,
                "chain_position": run.chain_position,
                "status": run.status,
                "started_at": utc_iso(run.started_at),
                "finished_at": utc_iso(run.finished_at) if run.finished_at else None,
                "digest_sha256": run.digest_sha256,
                "key_id": run.key_id,
            }
            for run in meta.runs
        ],
    }


def _agent_version() -> str:
    from annexa.connectors.provider import user_agent

    return user_agent().partition("/")[2]
