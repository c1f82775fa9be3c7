"""The daemon's metrics and its health server, over real sockets."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from annexa.collector.daemon.http import HealthServer
from annexa.collector.daemon.metrics import DaemonMetrics, gaps_by_control
from annexa.collector.runner import RunResult
from annexa.store import ClosedRun
from tests.support.periods import day_run, engine, open_store


def result(status: str = "complete", **statuses: int) -> RunResult:
    closed = ClosedRun("run-1", status, 1, "d" * 64, {"observations": 7, "evaluations": 9})
    return RunResult(closed, Counter(statuses), api_calls=42, observations=7)


def samples(metrics: DaemonMetrics) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of the exposition, keyed by (name, labels)."""
    text = metrics.exposition().decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(metrics: DaemonMetrics, name: str, **labels: str) -> float | None:
    return samples(metrics).get((name, frozenset(labels.items())))


def test_runs_units_calls_and_duration_are_counted() -> None:
    metrics = DaemonMetrics(version="1.2.3", schedules=["nightly"])
    assert value(metrics, "annexa_runs_total", schedule="nightly", outcome="complete") == 0
    assert value(metrics, "annexa_units_total", status="denied") == 0

    metrics.run_finished("nightly", result(ok=5, denied=2), 12.5)
    metrics.run_finished("nightly", result("interrupted", ok=1, interrupted=3), 400)
    metrics.run_failed("hourly", "StoreError: database is unreachable")

    assert value(metrics, "annexa_runs_total", schedule="nightly", outcome="complete") == 1
    assert value(metrics, "annexa_runs_total", schedule="nightly", outcome="interrupted") == 1
    assert value(metrics, "annexa_runs_total", schedule="nightly", outcome="failed") == 0
    assert value(metrics, "annexa_runs_total", schedule="hourly", outcome="failed") == 1
    assert value(metrics, "annexa_units_total", status="ok") == 6
    assert value(metrics, "annexa_units_total", status="denied") == 2
    assert value(metrics, "annexa_units_total", status="interrupted") == 3
    assert value(metrics, "annexa_api_calls_total") == 84
    assert value(metrics, "annexa_observations_total") == 14
    assert value(metrics, "annexa_run_duration_seconds_count", schedule="nightly") == 2
    assert value(metrics, "annexa_run_duration_seconds_sum", schedule="nightly") == 412.5
    assert value(metrics, "annexa_run_duration_seconds_bucket", schedule="nightly", le="15.0") == 1
    assert value(metrics, "annexa_run_duration_seconds_bucket", schedule="nightly", le="600.0") == 2
    assert metrics.last_error == "StoreError: database is unreachable"


def test_an_unexpected_closed_status_counts_as_failed() -> None:
    metrics = DaemonMetrics(version="1")
    metrics.run_finished("nightly", result("aborted"), 1)
    assert value(metrics, "annexa_runs_total", schedule="nightly", outcome="failed") == 1


def test_gauges_up_ready_build_info_and_last_collection() -> None:
    metrics = DaemonMetrics(version="1.2.3")
    assert value(metrics, "annexa_up") == 1
    assert value(metrics, "annexa_ready") == 0
    assert value(metrics, "annexa_build_info", version="1.2.3") == 1
    metrics.set_ready(True)
    assert value(metrics, "annexa_ready") == 1

    when = datetime(2026, 3, 1, 2, 0, 30, tzinfo=UTC)
    metrics.target_collected("acme", when)
    assert value(metrics, "annexa_last_successful_collection_timestamp_seconds", target="acme") == (
        when.timestamp()
    )
    metrics.target_collected("acme", datetime(2026, 3, 1, 1, tzinfo=UTC))  # older: ignored
    assert value(metrics, "annexa_last_successful_collection_timestamp_seconds", target="acme") == (
        when.timestamp()
    )
    with pytest.raises(ValueError, match="naive datetime"):
        metrics.target_collected("acme", datetime(2026, 3, 1))


def test_open_gaps_replace_the_whole_set() -> None:
    metrics = DaemonMetrics(version="1")
    metrics.set_open_gaps({"A.8.3": 2, "A.8.24": 1})
    assert value(metrics, "annexa_open_evidence_gaps", control="A.8.3") == 2
    assert value(metrics, "annexa_open_evidence_gaps", control="A.8.24") == 1
    metrics.set_open_gaps({"A.8.3": 0})
    assert value(metrics, "annexa_open_evidence_gaps", control="A.8.3") == 0
    assert value(metrics, "annexa_open_evidence_gaps", control="A.8.24") is None


def test_metrics_stay_off_the_global_registry() -> None:
    DaemonMetrics(version="1")
    DaemonMetrics(version="2")  # a second instance must not clash on names
    assert REGISTRY.get_sample_value("annexa_up") is None


def test_gaps_by_control_from_the_latest_closed_run(tmp_path: Path) -> None:
    store, signer = open_store(tmp_path)
    try:
        assert gaps_by_control(store, engine()) == {}
        first = day_run(store, signer, date(2026, 3, 1), {"logs": False})
        day_run(store, signer, date(2026, 3, 2), {}, status="denied")
        # the denied aws.s3 unit leaves A.8.3 (bucket rule) uncovered; A.8.24 has no gap
        assert gaps_by_control(store, engine()) == {"A.8.3": 1, "A.8.24": 0}
        assert gaps_by_control(store, engine(), first) == {"A.8.3": 0, "A.8.24": 0}
    finally:
        store.close()


@pytest.fixture
def server() -> Iterator[tuple[HealthServer, DaemonMetrics, list[object]]]:
    """A started server whose readiness answers the first item of ``state``."""
    metrics = DaemonMetrics(version="9.9.9")
    state: list[object] = [(True, "store reachable")]

    def readiness() -> tuple[bool, str]:
        answer = state[0]
        if isinstance(answer, Exception):
            raise answer
        return answer  # type: ignore[return-value]

    health = HealthServer("127.0.0.1", 0, metrics, readiness)
    health.start()
    yield health, metrics, state
    health.stop()


def get(health: HealthServer, path: str, method: str = "GET") -> tuple[int, str, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{health.port}{path}", method=method)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.headers["Content-Type"], response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read().decode()


def test_healthz_and_readyz(server: tuple[HealthServer, DaemonMetrics, list[object]]) -> None:
    health, _, state = server
    assert health.port > 0
    assert get(health, "/healthz") == (200, "text/plain; charset=utf-8", "ok\n")
    assert get(health, "/readyz")[::2] == (200, "store reachable\n")

    state[0] = (False, "store unreachable: connection refused")
    assert get(health, "/readyz")[::2] == (503, "store unreachable: connection refused\n")

    state[0] = RuntimeError("check blew up, key AKIAIOSFODNN7EXAMPLE")
    status, _, body = get(health, "/readyz")
    assert status == 503
    assert body == (
        "readiness check failed: RuntimeError: check blew up, key [REDACTED:aws-access-key-id]\n"
    )
    assert get(health, "/healthz?probe=1")[0] == 200


def test_metrics_endpoint(server: tuple[HealthServer, DaemonMetrics, list[object]]) -> None:
    health, metrics, _ = server
    metrics.run_finished("nightly", result(ok=3), 2.0)
    status, content_type, body = get(health, "/metrics")
    assert (status, content_type) == (200, CONTENT_TYPE_LATEST)
    families = {f.name: f for f in text_string_to_metric_families(body)}
    assert {"annexa_runs", "annexa_up", "annexa_build_info", "annexa_run_duration_seconds"} <= set(
        families
    )
    runs = {
        (s.name, tuple(sorted(s.labels.items()))): s.value for s in families["annexa_runs"].samples
    }
    assert runs[("annexa_runs_total", (("outcome", "complete"), ("schedule", "nightly")))] == 1


def test_unknown_paths_and_methods(
    server: tuple[HealthServer, DaemonMetrics, list[object]],
) -> None:
    health, _, _ = server
    assert get(health, "/")[0] == 404
    assert get(health, "/metrics/extra")[0] == 404
    for method in ("POST", "PUT", "DELETE", "HEAD"):
        assert get(health, "/healthz", method)[0] == 405


def test_stop_frees_the_port_and_a_taken_port_is_a_clear_error() -> None:
    first = HealthServer("127.0.0.1", 0, DaemonMetrics(version="1"), lambda: (True, "ok"))
    first.start()
    try:
        second = HealthServer(
            "127.0.0.1", first.port, DaemonMetrics(version="1"), lambda: (True, "")
        )
        with pytest.raises(OSError, match=f"health server cannot listen on 127.0.0.1:{first.port}"):
            second.start()
    finally:
        first.stop()
    first.stop()  # twice is fine
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{first.port}/healthz", timeout=2)
