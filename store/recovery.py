"""Closing runs whose process died: what they stored is signed, as ``interrupted``.

A collector killed mid-run (SIGKILL, OOM, node loss) leaves a run row in status ``running`` with
the records it had flushed. :func:`interrupt_abandoned_runs` recomputes that run's hash chains
from its stored records, in order, and closes it through the normal signing path with status
``interrupted``: nothing it collected is lost, nothing is read as complete, and the digest chain
continues through it. Which runs are abandoned is the caller's call (the daemon: runs started by
this host before it started, or older than any run could last).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, select

from annexa.store.database import translate_errors
from annexa.store.integrity import CHAINED_TABLES, Chain, Signer
from annexa.store.models import Base, Run
from annexa.store.writer import RunWriter


def _chains(connection: Any, run_id: str) -> tuple[dict[str, Chain], list[dict[str, Any]]]:
    chains = {table: Chain(run_id, table) for table in CHAINED_TABLES}
    units: list[dict[str, Any]] = []
    for table in CHAINED_TABLES:
        model = Base.metadata.tables[table]
        query = select(model.c.seq, model.c.record_hash).where(model.c.run_id == run_id)
        for row in connection.execute(query.order_by(model.c.seq)):
            chains[table].add(row.record_hash)
            if table == "units":
                units.append({"seq": row.seq, "record_hash": row.record_hash})
    return chains, units


def process_is_gone(host: str, started_before: datetime) -> bool:
    """Whether the process named by a run's ``host`` (``<hostname>:<pid>``) is dead: it ran on
    this machine and that pid no longer exists, or is this very process (a container restarted
    with the same pid) and the run is older than this process."""
    name, _, pid_text = host.rpartition(":")
    if name != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return True  # the caller only asks about runs started before this process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


def interrupt_abandoned_runs(
    engine: Engine,
    signer: Signer,
    *,
    started_before: datetime,
    stale_before: datetime | None = None,
    exclude: Collection[str] = (),
    clock: Callable[[], datetime] = lambda: datetime.now(UTC),
) -> list[str]:
    """Sign as ``interrupted`` every ``running`` run started before ``started_before`` whose
    process is gone (:func:`process_is_gone`), or started before ``stale_before`` (longer ago
    than any run can last, from any host), except the ``exclude`` d ones (runs this process is
    still writing). Return their ids."""
    query = select(Run.__table__).where(Run.status == "running", Run.started_at < started_before)
    closed = []
    with translate_errors("recovering abandoned runs"), engine.connect() as connection:
        rows = [
            dict(row)
            for row in connection.execute(query.order_by(Run.started_at)).mappings()
            if row["id"] not in exclude
            and (
                process_is_gone(row["host"], started_before)
                or (stale_before is not None and row["started_at"] < stale_before)
            )
        ]
        found = [(row, *_chains(connection, row["id"])) for row in rows]
    for row, chains, units in found:
        stored = {t: c for t, c in chains.items() if t != "units"}
        RunWriter.resume(engine, signer, row, stored, units, clock).close("interrupted")
        closed.append(row["id"])
    return closed
