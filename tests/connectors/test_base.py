"""Records, gap-aware reads and the unit context's fan-out."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone

import pytest
import rfc8785

from annexa.connectors.base import Reads, UnitContext, Unreadable
from annexa.connectors.errors import ConfigurationError, PermissionDenied
from annexa.connectors.records import Observation, Scope, canonical_json


def test_observation_is_utc_and_validated() -> None:
    moment = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    obs = Observation("aws.s3.bucket", "arn", Scope("aws", "1"), {}, moment, source=("b", "a", "a"))
    assert obs.observed_at == datetime(2026, 1, 1, 10, tzinfo=UTC)
    assert obs.source == ("a", "b")
    with pytest.raises(ValueError, match="timezone-aware"):
        Observation("aws.s3.bucket", "arn", Scope("aws", "1"), {}, datetime(2026, 1, 1))
    with pytest.raises(ValueError, match=r"provider\.family"):
        Observation("bucket", "arn", Scope("aws", "1"), {}, moment)
    with pytest.raises(ValueError, match="both read and unreadable"):
        Observation("aws.s3.bucket", "arn", Scope("aws", "1"), {"a": 1}, moment, gaps={"a": "x"})


def test_canonical_json_is_rfc8785_for_evidence_values() -> None:
    value = {
        "b": [1, True, None, "ünïcode", {"z": "", "a": -5}],
        "a": {"nested": 'quote"d'},
        "é": 0,
    }
    assert canonical_json(value) == rfc8785.dumps(value)


def translate(exc: BaseException):
    return PermissionDenied("no", code="AccessDenied") if isinstance(exc, LookupError) else None


def test_reads_turn_readable_failures_into_gaps() -> None:
    reads = Reads(translate)
    assert reads.read("ok", lambda: 1) is True
    assert reads.read("denied", lambda: {}["missing"]) is False
    assert reads.gaps["denied"].startswith("PermissionDenied [AccessDenied]")
    reads.derive("derived", ["ok", "denied"], lambda: 2)
    assert "derived" in reads.gaps and "derived" not in reads.attributes
    reads.read_many(("x", "y"), lambda: {"x": 1, "y": Unreadable("not in this API version")})
    assert reads.attributes["x"] == 1 and reads.gaps["y"] == "not in this API version"
    with pytest.raises(ZeroDivisionError):  # unexpected errors are not swallowed
        reads.read("boom", lambda: 1 / 0)
    with pytest.raises(ConfigurationError):
        reads.read("config", lambda: (_ for _ in ()).throw(ConfigurationError("bad")))


def context(pool) -> UnitContext:
    return UnitContext(
        "run", "unit", Scope("aws", "1", "eu-west-1"), None, translate, executor=pool
    )


def test_map_keeps_order_and_uses_idle_workers() -> None:
    threads: set[str] = set()

    def work(i: int) -> int:
        threads.add(threading.current_thread().name)
        time.sleep(0.01)
        return i * 2

    with ThreadPoolExecutor(4) as pool:
        assert list(context(pool).map(work, range(40), chunk=16)) == [i * 2 for i in range(40)]
    assert len(threads) > 1


def test_map_cannot_deadlock_a_saturated_pool() -> None:
    """Units that fan out while every worker is busy still finish: callers do their own work."""
    with ThreadPoolExecutor(2) as pool:

        def unit(n: int) -> int:
            return sum(context(pool).map(lambda i: i, range(n)))

        futures = [pool.submit(unit, 50) for _ in range(6)]
        assert [f.result(timeout=20) for f in futures] == [1225] * 6


def test_map_raises_the_first_error() -> None:
    def work(i: int) -> int:
        if i == 7:
            raise KeyError("seven")
        return i

    with ThreadPoolExecutor(3) as pool, pytest.raises(KeyError):
        list(context(pool).map(work, range(20)))
