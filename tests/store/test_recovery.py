"""A run whose process died is signed as interrupted, keeping what it had stored."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text

from annexa.connectors.records import Observation, Scope
from annexa.store import Store
from annexa.store.recovery import interrupt_abandoned_runs
from tests.support.evidence import write_run
from tests.support.periods import engine, open_store, run_writer


@contextmanager
def execute_on(store: Store) -> Iterator[Any]:
    """A connection that may change a running run's host (runs may change while running)."""
    with store.engine.begin() as connection:
        yield connection


def dead_pid() -> int:
    """The pid of a process that has exited."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def test_an_abandoned_run_is_signed_as_interrupted(tmp_path: Path) -> None:
    store, signer = open_store(tmp_path)
    first = write_run(store, signer)
    dead = run_writer(store, signer)  # like a collector killed after flushing some evidence
    rules = engine()
    for n in range(3):
        observation = Observation(
            "aws.s3.bucket",
            f"arn:aws:s3:::b{n}",
            Scope("aws", "123456789012", "global"),
            {"name": f"b{n}", "public": n == 1},
            datetime.now(UTC),
        )
        dead.add_observation(1, observation, rules.evaluate(observation))
    dead.flush()
    assert store.run(dead.run_id).status == "running"

    now = datetime.now(UTC) + timedelta(seconds=1)
    # the run's process is this one, alive: only a restarted process may take it over
    with execute_on(store) as connection:
        connection.execute(
            text("UPDATE runs SET host = :host WHERE id = :id"),
            {"host": f"{socket.gethostname()}:{dead_pid()}", "id": dead.run_id},
        )
    live = run_writer(store, signer)  # another live process on this machine: left alone
    with execute_on(store) as connection:
        connection.execute(
            text("UPDATE runs SET host = :host WHERE id = :id"),
            {"host": f"{socket.gethostname()}:{os.getppid()}", "id": live.run_id},
        )
    assert interrupt_abandoned_runs(store.engine, signer, started_before=now) == [dead.run_id]
    run = store.run(dead.run_id)
    assert run.status == "interrupted" and run.chain_position == first.position + 1
    assert store.counts(dead.run_id) == {"observations": 3, "evaluations": 3}
    report = store.verify({signer.key_id: signer.public_key})
    assert report.ok, report
    later = write_run(store, signer)  # the chain goes on through the recovered run
    assert later.position == run.chain_position + 1
    assert store.verify({signer.key_id: signer.public_key}).ok
    assert interrupt_abandoned_runs(store.engine, signer, started_before=now) == []
    # abandoned by age, from any host
    old = run_writer(store, signer, lambda: datetime(2026, 1, 1, tzinfo=UTC))
    with execute_on(store) as connection:
        connection.execute(
            text("UPDATE runs SET host = 'elsewhere:1' WHERE id = :id"), {"id": old.run_id}
        )
    assert interrupt_abandoned_runs(store.engine, signer, started_before=now) == []
    cutoff = datetime(2026, 1, 2, tzinfo=UTC)
    closed = interrupt_abandoned_runs(store.engine, signer, started_before=now, stale_before=cutoff)
    assert closed == [old.run_id] and store.run(live.run_id).status == "running"
    store.close()
