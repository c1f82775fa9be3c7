"""Reading across runs: which run was current at a moment, and a run's resources and evaluations
streamed in one stable order, so that two runs can be compared by merging without holding either.

Rows come ordered by :data:`RESOURCE_ORDER` (and rule id), compared byte-wise — ``COLLATE "C"`` on
PostgreSQL, SQLite's default ``BINARY`` — which is the order in which Python compares ``str``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, select

from annexa.store.attachments import EVIDENCE_TRIGGER
from annexa.store.database import translate_errors
from annexa.store.models import EvaluationRow, ObservationRow, Run
from annexa.store.queries import RunInfo, _run_info

ResourceKey = tuple[str, str, str, str, str]
"""(provider, account, region, kind, resource_id): one resource, the order runs are read in."""

RESOURCE_ORDER = ("provider", "account", "region", "kind", "resource_id")


@dataclass(frozen=True, slots=True)
class ObservedResource:
    """One observation of a resource in a run, with the work unit that made it."""

    key: ResourceKey
    unit_seq: int


@dataclass(frozen=True, slots=True)
class KeyedEvaluation:
    """One evaluation of a run, keyed by the resource it judged."""

    key: ResourceKey
    rule_id: str
    status: str
    reason: str
    controls: tuple[str, ...]
    severity: str


class History:
    """Read queries across runs. Takes the engine of an opened :class:`~annexa.store.Store`."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _closed(self) -> Any:
        """Signed collection runs (runs that only attach manual evidence are not collections)."""
        return select(Run).where(
            Run.status != "running",
            Run.chain_position.is_not(None),
            Run.trigger != EVIDENCE_TRIGGER,
        )

    def _one(self, query: Any) -> RunInfo | None:
        with translate_errors("reading runs"), self._engine.connect() as connection:
            row = connection.execute(query.limit(1)).first()
        return _run_info(row) if row is not None else None

    def latest_closed(self, before: RunInfo | None = None) -> RunInfo | None:
        """The last closed run in chain order, or the last one closed before ``before``."""
        query = self._closed()
        if before is not None and before.chain_position is not None:
            query = query.where(Run.chain_position < before.chain_position)
        return self._one(query.order_by(Run.chain_position.desc()))

    def run_at(self, moment: datetime) -> RunInfo | None:
        """The latest closed run that had finished at ``moment`` (timezone-aware)."""
        query = self._closed().where(Run.finished_at <= moment)
        return self._one(query.order_by(Run.finished_at.desc(), Run.chain_position.desc()))

    def first_closed(self) -> RunInfo | None:
        """The earliest closed run by finish time."""
        return self._one(self._closed().order_by(Run.finished_at, Run.chain_position))

    def _ordered(self, *columns: Any) -> list[ColumnElement[Any]]:
        if self._engine.dialect.name == "postgresql":
            return [column.collate("C") for column in columns]
        return list(columns)

    def resources(self, run_id: str) -> Iterator[ObservedResource]:
        """A run's observations as resource keys, in resource order (repeats kept)."""
        o = ObservationRow
        keys = [getattr(o, name) for name in RESOURCE_ORDER]
        query = (
            select(*keys, o.unit_seq)
            .where(o.run_id == run_id)
            .order_by(*self._ordered(*keys), o.seq)
        )
        with translate_errors("reading resources"), self._engine.connect() as connection:
            for row in connection.execution_options(yield_per=5000).execute(query):
                yield ObservedResource(tuple(row[:5]), row.unit_seq)

    def evaluations(self, run_id: str) -> Iterator[KeyedEvaluation]:
        """A run's evaluations with their resource keys, in resource order, then by rule id."""
        e, o = EvaluationRow, ObservationRow
        keys = [getattr(o, name) for name in RESOURCE_ORDER]
        query = (
            select(*keys, e.rule_id, e.status, e.reason, e.controls, e.severity)
            .join(o, (o.run_id == e.run_id) & (o.seq == e.observation_seq))
            .where(e.run_id == run_id)
            .order_by(*self._ordered(*keys, e.rule_id), e.seq)
        )
        with translate_errors("reading evaluations"), self._engine.connect() as connection:
            for row in connection.execution_options(yield_per=5000).execute(query):
                yield KeyedEvaluation(
                    key=tuple(row[:5]),
                    rule_id=row.rule_id,
                    status=row.status,
                    reason=row.reason,
                    controls=tuple(json.loads(row.controls)),
                    severity=row.severity,
                )
