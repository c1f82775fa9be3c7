"""Target locks on SQLite and PostgreSQL: contention, release, expiry, a holder killed with -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from annexa.store import Store
from annexa.store.locks import TargetLocks, advisory_key

HOLDER = """
import sys, time
from annexa.store import Store
from annexa.store.locks import TargetLocks
locks = TargetLocks(Store.open(sys.argv[1]), "doomed-holder", ttl=float(sys.argv[2]))
print(sorted(locks.acquire(["acme", "globex"])[0]), flush=True)
time.sleep(60)
"""


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    opened = Store.open(store_url)
    yield opened
    opened.close()


def test_acquire_contend_release(store: Store) -> None:
    first = TargetLocks(store, "replica-a")
    second = TargetLocks(store.engine, "replica-b")
    assert first.acquire(["acme", "globex"]) == ({"acme", "globex"}, {})
    assert first.acquire(["acme"]) == ({"acme"}, {})  # held already: still ours
    assert second.acquire(["globex", "initech"]) == ({"initech"}, {"globex": "replica-a"})
    first.release()
    first.release()  # twice is harmless
    assert second.acquire(["acme", "globex"]) == ({"acme", "globex"}, {})
    with TargetLocks(store, "replica-c") as third:
        busy = {"acme": "replica-b", "globex": "replica-b", "initech": "replica-b"}
        assert third.acquire(["acme", "globex", "initech"]) == (set(), busy)
    second.release()
    with TargetLocks(store, "replica-c") as third:
        assert third.acquire(["initech"]) == ({"initech"}, {})
    assert TargetLocks(store, "replica-d").acquire(["initech"])[0] == {"initech"}


def test_sqlite_rows_are_deleted_on_release(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'a.db'}")
    with TargetLocks(store, "me") as locks:
        locks.acquire(["acme", "globex"])
        with store.engine.connect() as conn:
            rows = conn.execute(text("SELECT target, owner FROM target_locks ORDER BY 1")).all()
        assert [tuple(r) for r in rows] == [("acme", "me"), ("globex", "me")]
    with store.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM target_locks")).scalar_one() == 0
    store.close()


def test_sqlite_heartbeat_keeps_a_live_lock(tmp_path: Path) -> None:
    store = Store.open(f"sqlite:///{tmp_path / 'a.db'}")
    with TargetLocks(store, "alive", ttl=0.6, refresh=0.1) as locks:
        locks.acquire(["acme"])
        time.sleep(1.2)  # twice the ttl: only the heartbeat keeps it
        assert TargetLocks(store, "other").acquire(["acme"]) == (set(), {"acme": "alive"})
        assert locks.held == {"acme"} and locks.lost == set()
    store.close()


def _start_holder(url: str, ttl: float) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, url, str(ttl)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "['acme', 'globex']"
    return holder


def _kill(holder: subprocess.Popen[str]) -> None:
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    assert holder.stdout is not None
    holder.stdout.close()


def _acquire_within(locks: TargetLocks, seconds: float) -> set[str]:
    deadline = time.monotonic() + seconds
    while True:
        acquired, _ = locks.acquire(["acme", "globex"])
        if acquired == {"acme", "globex"} or time.monotonic() > deadline:
            return acquired
        time.sleep(0.05)


def test_sqlite_dead_holder_on_this_host_is_taken_over_at_once(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = Store.open(url)
    holder = _start_holder(url, ttl=120)
    try:
        locks = TargetLocks(store, "successor")
        busy = {"acme": "doomed-holder", "globex": "doomed-holder"}
        assert locks.acquire(["acme", "globex"]) == (set(), busy)
    finally:
        _kill(holder)
    assert locks.acquire(["acme", "globex"]) == ({"acme", "globex"}, {})  # its pid is gone
    locks.release()
    store.close()


def test_sqlite_expiry_takes_over_a_dead_holder_elsewhere(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'a.db'}"
    store = Store.open(url)
    holder = _start_holder(url, ttl=1.0)
    with store.engine.begin() as conn:  # as if it ran on another machine sharing the file
        conn.execute(text("UPDATE target_locks SET host = 'elsewhere'"))
    try:
        time.sleep(1.2)  # its heartbeat keeps the lock past the ttl while it lives
        locks = TargetLocks(store, "successor")
        busy = {"acme": "doomed-holder", "globex": "doomed-holder"}
        assert locks.acquire(["acme", "globex"]) == (set(), busy)
    finally:
        _kill(holder)
    assert locks.acquire(["acme"])[0] == set()  # dead, but its pid cannot be checked from here
    started = time.monotonic()
    assert _acquire_within(locks, 3) == {"acme", "globex"}
    assert time.monotonic() - started < 1.5
    locks.release()
    store.close()


@pytest.mark.postgres
def test_postgres_lock_dies_with_its_holder(postgres_url: str) -> None:
    store = Store.open(postgres_url)
    holder = _start_holder(postgres_url, ttl=120)
    try:
        locks = TargetLocks(store, "successor")
        busy = {"acme": "doomed-holder", "globex": "doomed-holder"}
        assert locks.acquire(["acme", "globex"]) == (set(), busy)
    finally:
        _kill(holder)
    assert _acquire_within(locks, 10) == {"acme", "globex"}  # no ttl: the connection is gone
    locks.release()
    store.close()


@pytest.mark.postgres
def test_postgres_release_returns_the_locks_to_the_server(postgres_url: str) -> None:
    store = Store.open(postgres_url)
    with TargetLocks(store, "a") as locks:
        locks.acquire(["acme"])
        with store.engine.connect() as conn:
            held = conn.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted")
            ).scalar_one()
        assert held == 1
    with store.engine.connect() as conn:
        got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": advisory_key("acme")})
        assert got.scalar_one() is True
    store.close()


def test_advisory_keys_are_stable_signed_64_bit() -> None:
    assert advisory_key("acme") == advisory_key("acme") != advisory_key("acme2")
    keys = [advisory_key(f"target-{i}") for i in range(200)]
    assert all(-(2**63) <= k < 2**63 for k in keys) and any(k < 0 for k in keys)
    # Fixed values (sha256sum of "annexa-target-lock:<name>", first 16 hex digits, signed):
    # every replica and every release must agree on them.
    assert advisory_key("acme") == 677026364089305995
    assert advisory_key("globex") == -5396914749519050905


def test_bad_arguments_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="Store or an Engine"):
        TargetLocks("sqlite:///x.db", "me")
    store = Store.open(f"sqlite:///{tmp_path / 'a.db'}")
    with pytest.raises(ValueError, match="ttl must be positive"):
        TargetLocks(store, "me", ttl=0)
    store.close()
