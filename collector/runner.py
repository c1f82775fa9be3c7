"""Executing a plan: a bounded pool of unit workers feeding one writer.

Workers run connectors, check each observation against the connector's declared kinds, redact
it, evaluate the rules and hand it to the writer through a bounded queue, so memory stays flat
however large the estate. The calling thread is the only one that writes to the store. Every
unit ends with a status; anything a connector raises is classified at the unit boundary, and
nothing that failed is ever read as "nothing there".
"""

from __future__ import annotations

import queue
import threading
import traceback
from collections import Counter
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from annexa.collector.plan import Plan, WorkUnit
from annexa.connectors.base import Connector, UnitContext
from annexa.connectors.calls import CallCounter, counting
from annexa.connectors.errors import ConnectorError
from annexa.connectors.provider import RuntimeSettings
from annexa.connectors.records import Observation, Scope
from annexa.connectors.redact import Redactor
from annexa.mappings.engine import Evaluation, RuleEngine
from annexa.store import ClosedRun, RunWriter, UnitRecord

QUEUE_SIZE = 2000


class Interrupted(Exception):
    """The run was asked to stop before this unit finished."""


class ContractViolation(Exception):
    """A connector emitted something it did not declare: a bug in the connector."""


@dataclass
class RunResult:
    closed: ClosedRun
    statuses: Counter[str] = field(default_factory=Counter)
    api_calls: int = 0
    observations: int = 0
    started_at: datetime | None = None
    finished_at: datetime | None = None
    skipped_targets: dict[str, str] = field(default_factory=dict)  # target -> who collects it

    @property
    def gaps(self) -> int:
        return sum(
            n for status, n in self.statuses.items() if status in ("denied", "error", "interrupted")
        )


class Sessions:
    """Opens each target's session once, on first use, and remembers failures too."""

    def __init__(self, settings: RuntimeSettings) -> None:
        self._settings = settings
        self._lock = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._done: dict[str, Any] = {}

    def get(self, unit: WorkUnit) -> Any:
        name = unit.target.name
        with self._lock:
            lock = self._locks.setdefault(name, threading.Lock())
        with lock:
            if name not in self._done:
                try:
                    self._done[name] = unit.provider.open_session(unit.target, self._settings)
                except Exception as exc:  # noqa: BLE001 (remembered, re-raised for every unit)
                    self._done[name] = exc
            found = self._done[name]
        if isinstance(found, Exception):
            raise found
        return found


def check_observation(connector: type[Connector], obs: Observation) -> None:
    """Refuse observations of undeclared kinds or with undeclared attributes."""
    declared = {kind.name: kind for kind in connector.kinds}
    kind = declared.get(obs.kind)
    if kind is None:
        raise ContractViolation(f"{connector.name} emitted undeclared kind {obs.kind!r}")
    extra = (set(obs.attributes) | set(obs.gaps)) - set(kind.attributes)
    if extra:
        raise ContractViolation(f"{obs.kind} carries undeclared attribute(s) {sorted(extra)}")


def partial_reason(unreadable: dict[str, str], notes: list[str]) -> str:
    """One readable line: which attributes could not be read, and the first reason of each."""
    parts = list(notes)
    by_reason: dict[str, list[str]] = {}
    for attribute, reason in unreadable.items():
        by_reason.setdefault(reason, []).append(attribute)
    for reason, attributes in by_reason.items():
        parts.append(f"could not read {', '.join(sorted(attributes))}: {reason}")
    return "; ".join(parts)


class Runner:
    def __init__(
        self,
        writer: RunWriter,
        engine: RuleEngine,
        redactor: Redactor,
        settings: RuntimeSettings,
        *,
        on_unit: Callable[[UnitRecord, int, int], None] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        stop: threading.Event | None = None,
    ) -> None:
        self.writer = writer
        self.engine = engine
        self.redactor = redactor
        self.settings = settings
        self.sessions = Sessions(settings)
        self.on_unit = on_unit
        self.clock = clock
        self.stop = stop or threading.Event()
        self._queue: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=QUEUE_SIZE)

    def execute(self, plan: Plan) -> RunResult:
        """Run every unit, write everything, close (sign) the run and return its summary.

        Setting :attr:`stop` (the CLI's SIGINT/SIGTERM handlers do) stops the run: units not
        started are cancelled, running ones stop at their next observation, every unfinished
        unit is recorded as ``interrupted`` and the run is still signed, as ``interrupted``.
        """
        result = RunResult(closed=None, started_at=self.writer.started_at)  # type: ignore[arg-type]
        done: set[int] = set()
        with ThreadPoolExecutor(
            self.settings.max_workers, thread_name_prefix="annexa-unit"
        ) as pool:
            futures = {unit.seq: pool.submit(self._work, unit, pool) for unit in plan.units}
            try:
                self._drain(plan, futures, done, result)
            except KeyboardInterrupt:
                if self.stop.is_set():  # a second interrupt: abort, leaving the run unsigned
                    self._cancel(futures)
                    self._discard(futures)
                    raise
                self.stop.set()  # no signal handler installed: the same as setting stop
                self._drain(plan, futures, done, result)
            except BaseException:
                self._cancel(futures)
                self._discard(futures)
                raise
        now = self.clock()
        for unit in plan.units:  # cancelled before they started: interrupted, never a pass
            error = Interrupted("run stopped before this unit started")
            self._record(
                self._unit_record(unit, None, "interrupted", error, CallCounter(), 0, now),
                result,
                done,
                len(plan),
            )
        result.closed = self.writer.close("interrupted" if self.stop.is_set() else "complete")
        result.finished_at = self.clock()
        return result

    def _cancel(self, futures: dict[int, Future[None]]) -> None:
        self.stop.set()
        for future in futures.values():
            future.cancel()

    def _discard(self, futures: dict[int, Future[None]]) -> None:
        """Keep the queue moving so that workers can finish after the writer failed."""
        while not all(f.done() for f in futures.values()):
            try:
                self._queue.get(timeout=0.1)
            except queue.Empty:
                continue

    def _drain(
        self, plan: Plan, futures: dict[int, Future[None]], done: set[int], result: RunResult
    ) -> None:
        cancelled = False
        while len(done) < len(plan.units):
            if self.stop.is_set() and not cancelled:
                self._cancel(futures)
                cancelled = True
            if all(f.done() for s, f in futures.items() if s not in done) and self._queue.empty():
                return  # everything left was cancelled before it started
            try:
                item_type, item = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            if item_type == "observation":
                unit_seq, obs, evaluations = item
                self.writer.add_observation(unit_seq, obs, evaluations)
                result.observations += 1
            else:
                self._record(item, result, done, len(plan))

    def _record(self, record: UnitRecord, result: RunResult, done: set[int], total: int) -> None:
        """Write a unit's status once; the progress callback comes after the bookkeeping."""
        if record.seq in done:
            return
        self.writer.add_unit(record)
        done.add(record.seq)
        result.statuses[record.status] += 1
        result.api_calls += record.api_calls
        if self.on_unit:
            self.on_unit(record, len(done), total)

    def _work(self, unit: WorkUnit, pool: ThreadPoolExecutor) -> None:
        started = self.clock()
        counter = CallCounter()
        emitted = 0
        account = unit.provider.placeholder_account(unit.target)
        status: str = "ok"
        error: BaseException | None = None
        try:
            if self.stop.is_set():
                raise Interrupted("run stopped before this unit started")
            if unit.failure is not None:
                raise unit.failure
            if unit.connector is None:
                raise ConnectorError(f"{unit.key}: nothing to run")
            with counting(counter):
                session = self.sessions.get(unit)
                account = session.account
                ctx = UnitContext(
                    run_id=self.writer.run_id,
                    unit_id=unit.key,
                    scope=Scope(unit.target.provider, account, unit.scope),
                    session=session,
                    translate=unit.provider.translate_error,
                    clock=self.clock,
                    executor=pool,
                    calls=counter,
                )
                unreadable: dict[str, str] = {}
                for obs in unit.connector().collect(ctx):
                    check_observation(unit.connector, obs)
                    obs = self.redactor.observation(obs)
                    evaluations: list[Evaluation] = self.engine.evaluate(obs)
                    self._queue.put(("observation", (unit.seq, obs, evaluations)))
                    emitted += 1
                    for name, reason in obs.gaps.items():
                        unreadable.setdefault(f"{obs.kind}.{name}", reason)
                    if self.stop.is_set():
                        raise Interrupted("run stopped while this unit was collecting")
                if unreadable or ctx.notes:
                    status = "partial"
                    error = ConnectorError(partial_reason(unreadable, ctx.notes))
        except Interrupted as exc:
            status, error = "interrupted", exc
        except BaseException as exc:  # noqa: BLE001 (the unit boundary: everything is recorded)
            status, error = "error", exc
        record = self._unit_record(unit, account, status, error, counter, emitted, started)
        self._queue.put(("unit", record))

    def _unit_record(
        self,
        unit: WorkUnit,
        account: str | None,
        status: str,
        error: BaseException | None,
        counter: CallCounter,
        emitted: int,
        started: datetime,
    ) -> UnitRecord:
        error_class = message = None
        if error is not None:
            status, error_class, message = self._classify(unit, status, error)
        return UnitRecord(
            seq=unit.seq,
            unit_key=unit.key,
            target=unit.target.name,
            connector=unit.connector_name,
            provider=unit.target.provider,
            account=account or unit.provider.placeholder_account(unit.target),
            region=unit.scope,
            status=status,
            error_class=error_class,
            error_message=self.redactor.text(message) if message else None,
            started_at=started,
            finished_at=self.clock(),
            api_calls=counter.requests,
            observations=emitted,
            kinds=unit.kinds,
        )

    def _classify(self, unit: WorkUnit, status: str, error: BaseException) -> tuple[str, str, str]:
        if status in ("partial", "interrupted"):
            return status, type(error).__name__, str(error)
        translated = (
            error if isinstance(error, ConnectorError) else unit.provider.translate_error(error)
        )
        if translated is not None:
            return translated.status, type(translated).__name__, translated.describe()
        trace = "".join(traceback.format_exception(error, limit=-4))
        return "error", type(error).__name__, f"{error}\n{trace}"
