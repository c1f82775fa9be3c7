"""``annexa daemon``: collect on schedules for years without being watched.

* **Schedules** from the config's ``[daemon]`` section run in an APScheduler background
  scheduler: cron triggers in their time zones, jobs named by import path with the schedule name
  as their only argument, missed runs coalesced into one, at most one instance per schedule, a
  misfire grace time, and optionally a run at start.
* **Shutdown**: SIGTERM or SIGINT stops scheduling; running collections get ``grace_seconds`` to
  finish, then are told to stop — their unfinished units are recorded as interrupted and what they
  collected is signed. The process exits 0.
* **Crash recovery**: at start, runs left ``running`` by a dead process of this machine (or older
  than a day, from anywhere) are signed as interrupted, keeping what they stored.
* **The store going away** fails the run being written, not the daemon: the schedule is retried
  with backoff, ``/readyz`` says why it is not ready, and the next success makes it ready again.
* **Health and metrics** on ``http_address:http_port``: ``/healthz``, ``/readyz``, ``/metrics``.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import Any, Protocol

from apscheduler.schedulers.background import BackgroundScheduler

from annexa.collector.collect import TargetsLocked, collect, rule_engine
from annexa.collector.config import Config, ScheduleSpec
from annexa.collector.daemon import jobs
from annexa.collector.daemon.http import HealthServer
from annexa.collector.daemon.metrics import DaemonMetrics, gaps_by_control
from annexa.collector.plan import Plan
from annexa.store import Signer, Store, StoreError, UnitRecord
from annexa.store.recovery import interrupt_abandoned_runs

log = logging.getLogger("annexa.daemon")

READY_CHECK_SECONDS = 10.0
MAX_BACKOFF = 300.0
STALE_AFTER = timedelta(days=1)


class TargetSelector(Protocol):
    def select(self, names: Iterable[str]) -> list[str]: ...


class Daemon:
    """One daemon process. :meth:`serve` blocks until a stop signal has been handled."""

    def __init__(
        self,
        config: Config,
        shard: TargetSelector | None = None,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.config = config
        self.settings = config.model.daemon
        self.shard = shard
        self.clock = clock
        self.schedules = {spec.name: spec for spec in self.settings.schedules}
        self.metrics = DaemonMetrics(schedules=self.schedules)
        self.stop = threading.Event()  # tells running collections to stop
        self.stopping = threading.Event()  # a stop signal arrived
        self._lock = threading.Lock()
        self._active: dict[str, str] = {}  # schedule -> run id being collected
        self._idle = threading.Condition(self._lock)
        self._running = 0
        self._ready: tuple[bool, str] = (False, "starting")
        self._checked = 0.0
        self._store_failed = False
        self.scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={
                "coalesce": True,
                "max_instances": 1,
                "misfire_grace_time": self.settings.misfire_grace_seconds,
            },
        )
        self.http: HealthServer | None = None

    # ---- what a schedule collects --------------------------------------------------------
    def targets_for(self, spec: ScheduleSpec) -> list[str]:
        names = list(spec.targets) or [target.name for target in self.config.targets]
        return self.shard.select(names) if self.shard is not None else names

    def run_schedule(self, name: str) -> None:
        """Collect schedule ``name`` once; retry with backoff while the store is unreachable."""
        spec = self.schedules[name]
        targets = self.targets_for(spec)
        if not targets:
            log.info("no targets of this shard in the schedule", extra={"schedule": name})
            return
        with self._lock:
            self._running += 1
        try:
            self._collect_with_retries(name, targets)
        finally:
            with self._lock:
                self._running -= 1
                self._active.pop(name, None)
                self._idle.notify_all()

    def _collect_with_retries(self, name: str, targets: list[str]) -> None:
        delay = 5.0
        while not self.stopping.is_set():
            started = time.monotonic()
            log.info("collection starting", extra={"schedule": name, "targets": targets})
            try:
                result = collect(
                    self.config,
                    trigger="schedule",
                    only_targets=targets,
                    on_start=lambda plan, run_id: self._started(name, plan, run_id),
                    on_unit=lambda unit, done, total: self._unit(name, unit, done, total),
                    stop=self.stop,
                )
            except StoreError as exc:
                self._store_failed = True
                self._set_ready(False, f"store unreachable: {exc}")
                self.metrics.run_failed(name, str(exc))
                log.error(
                    "collection failed, the store is unreachable; retrying",
                    extra={"schedule": name, "retry_in_seconds": delay, "error": str(exc)},
                )
                if self.stopping.wait(delay):
                    return
                delay = min(delay * 2, MAX_BACKOFF)
                continue
            except TargetsLocked as exc:  # another replica or a manual run has them: not a failure
                log.info(
                    "schedule skipped: its targets are being collected elsewhere",
                    extra={"schedule": name, "holders": exc.holders},
                )
                return
            except Exception as exc:  # one schedule's failure never stops the daemon
                self.metrics.run_failed(name, str(exc))
                log.exception("collection failed", extra={"schedule": name})
                return
            seconds = time.monotonic() - started
            self.metrics.run_finished(name, result, seconds)
            log.info(
                "collection finished",
                extra={
                    "schedule": name,
                    "run_id": result.closed.run_id,
                    "status": result.closed.status,
                    "units": dict(result.statuses),
                    "api_calls": result.api_calls,
                    "observations": result.observations,
                    "seconds": round(seconds, 3),
                },
            )
            for target, holder in result.skipped_targets.items():
                log.warning(
                    "target skipped: being collected elsewhere",
                    extra={"schedule": name, "target": target, "holder": holder},
                )
            self._after_run(result.closed.run_id)
            return

    def _started(self, name: str, plan: Plan, run_id: str) -> None:
        with self._lock:
            self._active[name] = run_id
        log.info("run started", extra={"schedule": name, "run_id": run_id, "units": len(plan)})

    def _unit(self, name: str, unit: UnitRecord, done: int, total: int) -> None:
        extra: dict[str, Any] = {"schedule": name, "unit": unit.unit_key, "status": unit.status}
        extra.update(progress=f"{done}/{total}", api_calls=unit.api_calls)
        if unit.error_class:
            extra["error"] = f"{unit.error_class}: {unit.error_message}"
        log.info("unit finished", extra=extra)

    def _after_run(self, run_id: str) -> None:
        """Metrics from the stored run; runs this process abandoned while the store was away are
        signed as interrupted now that it is back."""
        store = Store.open(self.config.store_url, migrate_schema=False)
        try:
            if self._store_failed:
                self._store_failed = False
                with self._lock:
                    live = set(self._active.values())
                recovered = self._recover(store, exclude=live)
                if recovered:
                    log.warning(
                        "runs interrupted by the store outage signed", extra={"runs": recovered}
                    )
            for unit in store.units(run_id):
                if unit.status in ("ok", "partial"):
                    self.metrics.target_collected(unit.target, unit.finished_at)
            self.metrics.set_open_gaps(gaps_by_control(store, rule_engine(self.config), run_id))
        finally:
            store.close()
        self._set_ready(True, "store reachable, schedules loaded")

    def _recover(self, store: Store, exclude: Iterable[str] = ()) -> list[str]:
        signer = Signer.load_or_create(self.config.key_path)
        now = self.clock()
        return interrupt_abandoned_runs(
            store.engine,
            signer,
            started_before=now,
            stale_before=now - STALE_AFTER,
            exclude=set(exclude),
        )

    # ---- readiness -----------------------------------------------------------------------
    def _set_ready(self, ready: bool, reason: str) -> None:
        self._ready = (ready, reason)
        self._checked = time.monotonic()
        self.metrics.set_ready(ready)

    def readiness(self) -> tuple[bool, str]:
        """Cached: at most one store check every few seconds, however often probes ask."""
        if self.stopping.is_set():
            return False, "stopping"
        if time.monotonic() - self._checked > READY_CHECK_SECONDS:
            self._check_store()
        return self._ready

    def _check_store(self) -> None:
        if not self.scheduler.running:
            self._set_ready(False, "schedules not loaded")
            return
        try:
            store = Store.open(self.config.store_url, migrate_schema=False)
            try:
                store.runs(limit=1)
            finally:
                store.close()
        except StoreError as exc:
            self._set_ready(False, f"store unreachable: {exc}")
            return
        self._set_ready(True, f"store reachable, {len(self.schedules)} schedule(s) loaded")

    # ---- lifecycle -----------------------------------------------------------------------
    def start(self) -> None:
        """Recover, open the endpoints, load the schedules, start scheduling."""
        store = Store.open(self.config.store_url)  # migrates the schema, fails fast when down
        try:
            recovered = self._recover(store)
        finally:
            store.close()
        if recovered:
            log.warning("runs of a dead process signed as interrupted", extra={"runs": recovered})
        if self.settings.http_port or self.http is not None:
            self.http = HealthServer(
                self.settings.http_address, self.settings.http_port, self.metrics, self.readiness
            )
            self.http.start()
            log.info("health and metrics endpoints up", extra={"port": self.http.port})
        jobs.attach(self)
        now = self.clock()
        for spec in self.schedules.values():
            trigger = jobs.cron_trigger(spec.cron, spec.timezone)
            options: dict[str, Any] = {"next_run_time": now} if self.settings.run_at_start else {}
            self.scheduler.add_job(
                jobs.JOB_FUNCTION,
                trigger,
                args=[spec.name],
                id=spec.name,
                name=spec.name,
                **options,
            )
        self.scheduler.start()
        self._check_store()
        for job in self.scheduler.get_jobs():
            log.info(
                "schedule loaded", extra={"schedule": job.id, "next_run": str(job.next_run_time)}
            )

    def shutdown(self) -> None:
        """Stop scheduling; give running collections the grace period, then interrupt them."""
        self.stopping.set()
        self.metrics.set_ready(False)
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        deadline = time.monotonic() + self.settings.grace_seconds
        with self._lock:
            while self._running and time.monotonic() < deadline:
                self._idle.wait(timeout=min(1.0, max(0.0, deadline - time.monotonic())))
            if self._running:
                log.warning("grace period over: interrupting the running collection")
                self.stop.set()
                while self._running:
                    self._idle.wait(timeout=1.0)
        if self.http is not None:
            self.http.stop()
        jobs.attach(None)
        log.info("daemon stopped")

    def serve(self) -> None:
        """Run until SIGTERM or SIGINT, then shut down cleanly."""

        def handle(signum: int, frame: FrameType | None) -> None:
            log.info("stop signal received", extra={"signal": signal.Signals(signum).name})
            self.stopping.set()

        previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            self.start()
            while not self.stopping.wait(1.0):
                pass
        finally:
            self.shutdown()
            for sig, handler in previous.items():
                signal.signal(sig, handler)
