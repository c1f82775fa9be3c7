"""Read side for exports: the signed runs of a period, their units, and the evidence stream.

Everything here streams in store order (runs by start time, then record sequence), so an export
of a million observations holds one batch of rows at a time, and the same store always yields
the same rows in the same order.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, and_, select

from annexa.store.database import translate_errors
from annexa.store.models import EvaluationRow, ObservationRow, Payload, Run, Unit
from annexa.store.records import UnitRecord

BATCH = 2000


@dataclass(frozen=True)
class RunRef:
    """A signed run whose evidence is exported, with what is needed to check it offline."""

    id: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    chain_position: int | None
    digest: str | None  # the signed digest document (canonical JSON text)
    digest_sha256: str | None
    signature: str | None  # base64 Ed25519 over the digest document
    key_id: str | None


@dataclass(frozen=True)
class EvidenceRow:
    """One evaluation and the observation it judged, as stored, in store order."""

    run_id: str
    evaluation_seq: int
    rule_id: str
    status: str  # pass | fail | not_applicable | error
    reason: str
    controls: tuple[str, ...]
    severity: str
    evaluation_hash: str  # the evaluation record's record_hash
    observation_seq: int
    kind: str
    resource_id: str
    target: str
    provider: str
    account: str
    region: str
    observed_at: datetime
    source: tuple[str, ...]  # API operations that produced the observation
    attributes: dict[str, Any]
    gaps: dict[str, str]
    payload_sha256: str  # content hash of {attributes, gaps}
    observation_hash: str  # the observation record's record_hash
    unit_seq: int = 0  # the unit that made the observation (part of its record hash)

    @property
    def day(self) -> date:
        return self.observed_at.astimezone(UTC).date()

    @property
    def observation_key(self) -> tuple[str, int]:
        return (self.run_id, self.observation_seq)


@dataclass(frozen=True)
class UnitRef:
    """A unit of an exported run (its status says whether its evidence arrived)."""

    run_id: str
    record: UnitRecord


def signed_runs(engine: Engine, start: datetime, end: datetime) -> list[RunRef]:
    """Signed runs that started in ``[start, end)``, oldest first."""
    query = (
        select(Run.__table__)
        .where(Run.chain_position.is_not(None), Run.started_at >= start, Run.started_at < end)
        .order_by(Run.chain_position)
    )
    with translate_errors("reading runs"), engine.connect() as connection:
        return [
            RunRef(
                id=row.id,
                trigger=row.trigger,
                started_at=row.started_at,
                finished_at=row.finished_at,
                status=row.status,
                chain_position=row.chain_position,
                digest=row.digest,
                digest_sha256=row.digest_sha256,
                signature=row.signature,
                key_id=row.key_id,
            )
            for row in connection.execute(query)
        ]


def run_units(engine: Engine, run_ids: Iterable[str], targets: Iterable[str] = ()) -> list[UnitRef]:
    """The units of these runs (optionally of some targets only), in run and sequence order."""
    run_ids, targets = list(run_ids), tuple(targets)
    found: list[UnitRef] = []
    columns = [name for name in UnitRecord.__dataclass_fields__ if name != "kinds"]
    with translate_errors("reading units"), engine.connect() as connection:
        for run_id in run_ids:
            query = select(Unit).where(Unit.run_id == run_id).order_by(Unit.seq)
            if targets:
                query = query.where(Unit.target.in_(targets))
            for row in connection.execute(query).mappings():
                record = UnitRecord(
                    **{name: row[name] for name in columns}, kinds=tuple(json.loads(row["kinds"]))
                )
                found.append(UnitRef(run_id, record))
    return found


def evidence_rows(
    engine: Engine,
    run_ids: Iterable[str],
    start: datetime,
    end: datetime,
    targets: Iterable[str] = (),
) -> Iterator[EvidenceRow]:
    """Every evaluation observed in ``[start, end)`` with its observation and payload, run by
    run (in the order given) and in record order within a run; one batch in memory at a time.
    The rows of one observation are contiguous."""
    e, o, p, u = EvaluationRow, ObservationRow, Payload, Unit
    targets = tuple(targets)
    with translate_errors("reading evidence"), engine.connect() as connection:
        for run_id in run_ids:
            query = (
                select(
                    e.seq.label("evaluation_seq"),
                    e.rule_id,
                    e.status,
                    e.reason,
                    e.controls,
                    e.severity,
                    e.record_hash.label("evaluation_hash"),
                    o.seq.label("observation_seq"),
                    o.unit_seq,
                    o.kind,
                    o.resource_id,
                    u.target,
                    o.provider,
                    o.account,
                    o.region,
                    o.observed_at,
                    o.source,
                    o.payload_sha256,
                    o.record_hash.label("observation_hash"),
                    p.body,
                )
                .join(o, and_(o.run_id == e.run_id, o.seq == e.observation_seq))
                .join(u, and_(u.run_id == o.run_id, u.seq == o.unit_seq))
                .join(p, p.sha256 == o.payload_sha256)
                .where(e.run_id == run_id, o.observed_at >= start, o.observed_at < end)
                .order_by(e.seq)
            )
            if targets:
                query = query.where(u.target.in_(targets))
            rows = connection.execution_options(yield_per=BATCH).execute(query)
            for row in rows:
                body = json.loads(row.body)
                yield EvidenceRow(
                    run_id=run_id,
                    evaluation_seq=row.evaluation_seq,
                    rule_id=row.rule_id,
                    status=row.status,
                    reason=row.reason,
                    controls=tuple(json.loads(row.controls)),
                    severity=row.severity,
                    evaluation_hash=row.evaluation_hash,
                    observation_seq=row.observation_seq,
                    kind=row.kind,
                    resource_id=row.resource_id,
                    target=row.target,
                    provider=row.provider,
                    account=row.account,
                    region=row.region,
                    observed_at=row.observed_at,
                    source=tuple(json.loads(row.source)),
                    attributes=body["attributes"],
                    gaps=body["gaps"],
                    payload_sha256=row.payload_sha256,
                    observation_hash=row.observation_hash,
                    unit_seq=row.unit_seq,
                )
