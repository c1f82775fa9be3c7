"""Read side of the store: runs, unit statuses and findings, as plain records."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, func, select

from annexa.store.attachments import EVIDENCE_TRIGGER
from annexa.store.database import translate_errors
from annexa.store.models import EvaluationRow, ObservationRow, Payload, Run, Unit
from annexa.store.records import UnitRecord


@dataclass(frozen=True)
class RunInfo:
    id: str
    trigger: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    agent_version: str
    chain_position: int | None
    digest_sha256: str | None


@dataclass(frozen=True)
class Finding:
    """An evaluation joined with the observation it judged."""

    run_id: str
    seq: int
    rule_id: str
    status: str
    reason: str
    controls: tuple[str, ...]
    severity: str
    kind: str
    resource_id: str
    provider: str
    account: str
    region: str
    observed_at: datetime


@dataclass(frozen=True)
class StoredObservation:
    """An observation as stored: its record, its payload and its hashes."""

    run_id: str
    seq: int
    kind: str
    resource_id: str
    provider: str
    account: str
    region: str
    observed_at: datetime
    source: tuple[str, ...]
    attributes: dict[str, Any]
    gaps: dict[str, str]
    payload_sha256: str
    record_hash: str


def _run_info(row: Any) -> RunInfo:
    return RunInfo(
        id=row.id,
        trigger=row.trigger,
        started_at=row.started_at,
        finished_at=row.finished_at,
        status=row.status,
        agent_version=row.agent_version,
        chain_position=row.chain_position,
        digest_sha256=row.digest_sha256,
    )


class Queries:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def runs(self, limit: int = 20) -> list[RunInfo]:
        query = select(Run).order_by(Run.started_at.desc()).limit(limit)
        with translate_errors("reading runs"), self._engine.connect() as connection:
            return [_run_info(row) for row in connection.execute(query)]

    def run(self, run_id: str | None = None) -> RunInfo | None:
        """One run by id (a unique prefix is enough), or the latest closed collection run
        (runs that only attach manual evidence are not collections)."""
        query = select(Run)
        if run_id:
            query = query.where(Run.id.startswith(run_id)).limit(2)
        else:
            query = (
                query.where(Run.status != "running", Run.trigger != EVIDENCE_TRIGGER)
                .order_by(Run.started_at.desc())
                .limit(1)
            )
        with translate_errors("reading runs"), self._engine.connect() as connection:
            rows = connection.execute(query).all()
        if len(rows) != 1:
            return None
        return _run_info(rows[0])

    def units(self, run_id: str) -> list[UnitRecord]:
        query = select(Unit).where(Unit.run_id == run_id).order_by(Unit.seq)
        with translate_errors("reading units"), self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        columns = [name for name in UnitRecord.__dataclass_fields__ if name != "kinds"]
        return [
            UnitRecord(
                **{name: row[name] for name in columns}, kinds=tuple(json.loads(row["kinds"]))
            )
            for row in rows
        ]

    def findings(
        self,
        run_id: str,
        *,
        statuses: Iterable[str] = (),
        control: str | None = None,
        kind: str | None = None,
    ) -> Iterator[Finding]:
        """Evaluations of a run with their resources, streamed in the order they were made."""
        e, o = EvaluationRow, ObservationRow
        query = (
            select(
                e.run_id,
                e.seq,
                e.rule_id,
                e.status,
                e.reason,
                e.controls,
                e.severity,
                o.kind,
                o.resource_id,
                o.provider,
                o.account,
                o.region,
                o.observed_at,
            )
            .join(o, (o.run_id == e.run_id) & (o.seq == e.observation_seq))
            .where(e.run_id == run_id)
            .order_by(e.seq)
        )
        statuses = tuple(statuses)
        if statuses:
            query = query.where(e.status.in_(statuses))
        if kind:
            query = query.where(o.kind == kind)
        if control:
            query = query.where(e.controls.contains(f'"{control}"'))
        with translate_errors("reading findings"), self._engine.connect() as connection:
            for row in connection.execution_options(yield_per=2000).execute(query):
                controls = tuple(json.loads(row.controls))
                if control and control not in controls:
                    continue
                yield Finding(
                    run_id=row.run_id,
                    seq=row.seq,
                    rule_id=row.rule_id,
                    status=row.status,
                    reason=row.reason,
                    controls=controls,
                    severity=row.severity,
                    kind=row.kind,
                    resource_id=row.resource_id,
                    provider=row.provider,
                    account=row.account,
                    region=row.region,
                    observed_at=row.observed_at,
                )

    def observations(self, run_id: str, kinds: Iterable[str] = ()) -> Iterator[StoredObservation]:
        """A run's observations with their payloads, streamed in the order they were made."""
        o, p = ObservationRow, Payload
        query = (
            select(o.__table__, p.body)
            .join(p, p.sha256 == o.payload_sha256)
            .where(o.run_id == run_id)
            .order_by(o.seq)
        )
        kinds = tuple(kinds)
        if kinds:
            query = query.where(o.kind.in_(kinds))
        with translate_errors("reading observations"), self._engine.connect() as connection:
            for record in connection.execution_options(yield_per=2000).execute(query):
                body = json.loads(record.body)
                yield StoredObservation(
                    run_id=record.run_id,
                    seq=record.seq,
                    kind=record.kind,
                    resource_id=record.resource_id,
                    provider=record.provider,
                    account=record.account,
                    region=record.region,
                    observed_at=record.observed_at,
                    source=tuple(json.loads(record.source)),
                    attributes=body["attributes"],
                    gaps=body["gaps"],
                    payload_sha256=record.payload_sha256,
                    record_hash=record.record_hash,
                )

    def counts(self, run_id: str) -> dict[str, int]:
        with translate_errors("reading counts"), self._engine.connect() as connection:
            observations = connection.execute(
                select(func.count())
                .select_from(ObservationRow)
                .where(ObservationRow.run_id == run_id)
            ).scalar_one()
            evaluations = connection.execute(
                select(func.count())
                .select_from(EvaluationRow)
                .where(EvaluationRow.run_id == run_id)
            ).scalar_one()
        return {"observations": int(observations), "evaluations": int(evaluations)}
