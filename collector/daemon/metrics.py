"""Prometheus metrics of the daemon, on a registry of its own (never the process-global one).

The daemon calls :class:`DaemonMetrics` when a run finishes or fails, when a target delivered,
and after each run with the open evidence gaps per control; ``GET /metrics`` serves
:meth:`DaemonMetrics.exposition`. Gaps count as gaps here exactly as in ``annexa status``:
a unit that was denied, failed or was interrupted is a gap for every control its kinds evidence.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from annexa.collector.collect import agent_version
from annexa.collector.report import control_summary
from annexa.collector.runner import RunResult
from annexa.mappings.catalogue import load_catalogue
from annexa.mappings.engine import RuleEngine
from annexa.store import History, Store

OUTCOMES = ("complete", "interrupted", "failed")
UNIT_STATUSES = ("ok", "partial", "denied", "error", "interrupted", "skipped")
# A collection of a large estate takes minutes to an hour; the buckets follow that.
DURATION_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, float("inf"))


def outcome_of(status: str) -> str:
    """The run outcome label of a closed run's status: anything unexpected counts as failed."""
    return status if status in ("complete", "interrupted") else "failed"


class DaemonMetrics:
    """The daemon's counters, gauges and histogram, and their text exposition."""

    def __init__(self, version: str | None = None, schedules: Iterable[str] = ()) -> None:
        """``schedules`` are pre-declared at zero so that rates and alerts work from the start."""
        self.registry = CollectorRegistry(auto_describe=True)
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._gap_controls: set[str] = set()
        self._collected: dict[str, float] = {}
        registry = self.registry
        self.runs = Counter(
            "annexa_runs",
            "Collection runs by schedule and outcome (complete, interrupted, failed).",
            ("schedule", "outcome"),
            registry=registry,
        )
        self.units = Counter(
            "annexa_units", "Work units by final status.", ("status",), registry=registry
        )
        self.api_calls = Counter(
            "annexa_api_calls", "API requests made by collection runs.", registry=registry
        )
        self.observations = Counter(
            "annexa_observations", "Observations stored by collection runs.", registry=registry
        )
        self.duration = Histogram(
            "annexa_run_duration_seconds",
            "Wall-clock duration of finished collection runs.",
            ("schedule",),
            buckets=DURATION_BUCKETS,
            registry=registry,
        )
        self.last_collected = Gauge(
            "annexa_last_successful_collection_timestamp_seconds",
            "Unix time of the last successful collection of a target.",
            ("target",),
            registry=registry,
        )
        self.open_gaps = Gauge(
            "annexa_open_evidence_gaps",
            "Evidence gaps per Annex A control in the latest closed run.",
            ("control",),
            registry=registry,
        )
        self.up = Gauge("annexa_up", "1 while the daemon process runs.", registry=registry)
        self.ready = Gauge(
            "annexa_ready", "1 when the daemon is ready (store reachable).", registry=registry
        )
        self.build_info = Gauge(
            "annexa_build_info", "The annexa version, as a label.", ("version",), registry=registry
        )
        self.build_info.labels(version=version or agent_version()).set(1)
        self.up.set(1)
        self.ready.set(0)
        for status in UNIT_STATUSES:
            self.units.labels(status=status)
        for schedule in schedules:
            for outcome in OUTCOMES:
                self.runs.labels(schedule=schedule, outcome=outcome)
            self.duration.labels(schedule=schedule)

    def run_finished(self, schedule: str, result: RunResult, seconds: float) -> None:
        """Count a run that closed (signed), complete or interrupted, and what it did."""
        self.runs.labels(schedule=schedule, outcome=outcome_of(result.closed.status)).inc()
        for status, count in result.statuses.items():
            self.units.labels(status=status).inc(count)
        self.api_calls.inc(result.api_calls)
        self.observations.inc(result.observations)
        self.duration.labels(schedule=schedule).observe(max(seconds, 0.0))

    def run_failed(self, schedule: str, error: str) -> None:
        """Count a run that could not run or close (store unreachable, bad config, crash)."""
        self.runs.labels(schedule=schedule, outcome="failed").inc()
        self.last_error = error

    def target_collected(self, target: str, when: datetime) -> None:
        """Record that ``target`` delivered its evidence at ``when`` (timezone-aware); an earlier
        time than the one recorded is ignored, so units may be reported in any order."""
        if when.tzinfo is None:
            raise ValueError(f"naive datetime {when!r} for target {target!r}: pass an aware time")
        with self._lock:
            moment = max(when.timestamp(), self._collected.get(target, 0.0))
            self._collected[target] = moment
            self.last_collected.labels(target=target).set(moment)

    def set_open_gaps(self, gaps_by_control: Mapping[str, int]) -> None:
        """Replace the whole set of per-control gap gauges: controls absent here disappear."""
        with self._lock:
            for control in self._gap_controls - set(gaps_by_control):
                self.open_gaps.remove(control)
            for control, gaps in gaps_by_control.items():
                self.open_gaps.labels(control=control).set(gaps)
            self._gap_controls = set(gaps_by_control)

    def set_ready(self, ready: bool) -> None:
        self.ready.set(1 if ready else 0)

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format (``GET /metrics``)."""
        return generate_latest(self.registry)


def gaps_by_control(store: Store, engine: RuleEngine, run_id: str | None = None) -> dict[str, int]:
    """Open evidence gaps per control that has rules, in ``run_id`` or the latest closed run.

    The counts are those of ``annexa status``' Gap column. Controls with rules but no gap read
    0, so that a gap that closes shows as 0 rather than vanishing; no closed run yet gives {}.
    """
    run = store.run(run_id) if run_id else History(store.engine).latest_closed()
    if run is None:
        return {}
    summary = control_summary(load_catalogue(), engine, store.findings(run.id), store.units(run.id))
    return {s.control.id: s.gaps for s in summary if s.rules or s.gaps}
