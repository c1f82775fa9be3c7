"""Per-target run locks, so that one target is never collected by two runs at the same time.

Two daemon replicas, or a daemon and a manual ``annexa collect``, may share one store. Before a
run plans its work it takes a lock per target; targets locked elsewhere are left out of that run.
Locks are try-locks: :meth:`TargetLocks.acquire` never waits, it reports who holds the others.

- PostgreSQL: session-level advisory locks (``pg_try_advisory_lock``) on a dedicated connection
  opened for the holder alone. A holder that dies drops its connection, and the server releases
  its locks; TCP keepalives make a silently vanished client count as dead within about a minute.
  The connection's ``application_name`` carries the owner, so a contender can say who holds it.
- SQLite (and any other database): an expiring row per target in ``target_locks``, taken in one
  write transaction (insert, or take over a row whose ``expires_at`` has passed) and refreshed by
  a heartbeat thread while held. A holder that dies stops refreshing; its row expires after
  ``ttl`` seconds and the next run takes it over. Sooner when the row says the holder ran on
  this machine, in this PID namespace, and its process is gone (a daemon killed with -9 and
  restarted need not wait for the ttl); a container restarted in a new namespace waits.
"""

from __future__ import annotations

import hashlib
import logging
import os
import socket
import threading
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import (
    Connection,
    Engine,
    Integer,
    String,
    create_engine,
    delete,
    insert,
    select,
    text,
)
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.pool import NullPool

from annexa.store.database import translate_errors
from annexa.store.models import Base, UTCDateTime

log = logging.getLogger(__name__)

KEY_PREFIX = b"annexa-target-lock:"
PG_KEEPALIVES = {
    "keepalives": 1,
    "keepalives_idle": 30,
    "keepalives_interval": 10,
    "keepalives_count": 3,
}


class TargetLockRow(Base):
    """A target's lock on databases without advisory locks; not evidence, rows come and go."""

    __tablename__ = "target_locks"

    target: Mapped[str] = mapped_column(String(128), primary_key=True)
    owner: Mapped[str] = mapped_column(String(255))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


def advisory_key(target: str) -> int:
    """A stable signed 64-bit advisory lock key: the first 8 bytes of SHA-256 of the name."""
    digest = hashlib.sha256(KEY_PREFIX + target.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def host_id() -> str:
    """This machine and PID namespace: where a lock row's ``pid`` can be checked for life."""
    try:
        namespace = os.readlink("/proc/self/ns/pid")
    except OSError:
        namespace = ""
    return f"{socket.gethostname()} {namespace}".strip()[:255]


def process_gone(pid: int) -> bool:
    """Whether no process ``pid`` exists here (a process of another user counts as alive)."""
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


class TargetLocks:
    """Try-locks on target names, held until :meth:`release` (or the end of a ``with`` block).

    ``owner`` names the holder in what contenders report ("host pid 42"); make it unique per
    holder. ``ttl`` is how long a SQLite lock outlives a holder that stopped refreshing it;
    ``refresh`` (default ``ttl / 4``) is the heartbeat interval. On PostgreSQL both are unused:
    the lock lives exactly as long as the holder's connection.
    """

    def __init__(
        self,
        store_or_engine: Any,
        owner: str,
        ttl: float = 120,
        *,
        refresh: float | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        engine = getattr(store_or_engine, "engine", store_or_engine)
        if not isinstance(engine, Engine):
            raise TypeError(f"expected a Store or an Engine, got {type(store_or_engine).__name__}")
        if ttl <= 0:
            raise ValueError(f"ttl must be positive, got {ttl}")
        self.engine = engine
        self.owner = owner
        self.ttl = ttl
        self.refresh = refresh if refresh is not None else ttl / 4
        self.clock = clock
        self.held: set[str] = set()
        self.lost: set[str] = set()  # SQLite: held, then taken over after missed heartbeats
        self._postgres = engine.dialect.name == "postgresql"
        self._pg_engine: Engine | None = None
        self._pg: Connection | None = None
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None
        self._mutex = threading.Lock()

    def __enter__(self) -> TargetLocks:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()

    def acquire(self, targets: Iterable[str]) -> tuple[set[str], dict[str, str]]:
        """Try to lock each target without waiting.

        Returns the targets now held by this holder (including ones it already held) and, for
        the others, who holds them ("unknown holder" when the database cannot say).
        """
        wanted = sorted(set(targets))
        with self._mutex, translate_errors("cannot take target locks"):
            if self._postgres:
                busy = self._acquire_postgres([t for t in wanted if t not in self.held])
            else:
                busy = self._acquire_rows([t for t in wanted if t not in self.held])
        if self.held and not self._postgres and self._heartbeat is None:
            self._heartbeat = threading.Thread(
                target=self._beat, name="annexa-target-locks", daemon=True
            )
            self._heartbeat.start()
        return {t for t in wanted if t in self.held}, busy

    def release(self) -> None:
        """Release every lock this holder took; safe to call twice, or after the store failed.

        Never raises: a lock that cannot be released here expires (SQLite) or goes with the
        closed connection (PostgreSQL).
        """
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join()
            self._heartbeat = None
        with self._mutex:
            try:
                if self._postgres:
                    self._release_postgres()
                elif self.held:
                    with self._begin() as conn:
                        conn.execute(
                            delete(TargetLockRow).where(
                                TargetLockRow.target.in_(self.held),
                                TargetLockRow.owner == self.owner,
                            )
                        )
            except Exception as exc:  # noqa: BLE001 (the rows expire after ttl anyway)
                log.warning("releasing target locks %s: %s", sorted(self.held), exc)
            finally:
                self.held.clear()
                self._stop = threading.Event()

    def _acquire_postgres(self, targets: list[str]) -> dict[str, str]:
        conn = self._pg_connection()
        busy: dict[str, str] = {}
        for target in targets:
            key = advisory_key(target)
            if conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar_one():
                self.held.add(target)
            else:
                busy[target] = self._pg_holder(conn, key)
        return busy

    def _pg_connection(self) -> Connection:
        if self._pg is None:
            # NullPool: closing this connection really closes it, and with it every lock.
            self._pg_engine = create_engine(
                self.engine.url,
                poolclass=NullPool,
                connect_args={"application_name": self.owner[:63], **PG_KEEPALIVES},
            )
            self._pg = self._pg_engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        return self._pg

    @staticmethod
    def _pg_holder(conn: Connection, key: int) -> str:
        unsigned = key & 0xFFFF_FFFF_FFFF_FFFF
        row = conn.execute(
            text(
                "SELECT a.application_name, a.pid FROM pg_locks l "
                "JOIN pg_stat_activity a ON a.pid = l.pid "
                "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 "
                "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
                "AND l.classid::bigint = :hi AND l.objid::bigint = :lo LIMIT 1"
            ),
            {"hi": unsigned >> 32, "lo": unsigned & 0xFFFF_FFFF},
        ).first()
        if row is None:
            return "unknown holder"
        return row[0] or f"PostgreSQL backend pid {row[1]}"

    def _release_postgres(self) -> None:
        conn, engine = self._pg, self._pg_engine
        self._pg = self._pg_engine = None
        if conn is None or engine is None:
            return
        try:
            for target in self.held:
                conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": advisory_key(target)})
        except Exception as exc:  # noqa: BLE001 (closing the connection releases them anyway)
            log.warning("releasing target locks: %s", exc)
        finally:
            conn.close()
            engine.dispose()

    def _begin(self) -> Any:
        return self.engine.execution_options(sqlite_immediate=True).begin()

    def _acquire_rows(self, targets: list[str]) -> dict[str, str]:
        if not targets:
            return {}
        busy: dict[str, str] = {}
        now = self.clock()
        expires = now + timedelta(seconds=self.ttl)
        with self._begin() as conn:
            table = TargetLockRow.__table__
            rows = conn.execute(select(table).where(table.c.target.in_(targets))).all()
            current = {row.target: row for row in rows}
            here = host_id()
            for target in targets:
                row = current.get(target)
                values = {
                    "owner": self.owner,
                    "host": here,
                    "pid": os.getpid(),
                    "acquired_at": now,
                    "expires_at": expires,
                }
                if row is None:
                    conn.execute(insert(TargetLockRow).values(target=target, **values))
                elif (
                    row.owner == self.owner
                    or row.expires_at <= now
                    or (row.host == here and process_gone(row.pid))
                ):
                    if row.owner != self.owner:
                        log.info("taking over the lock on %s from %s (gone)", target, row.owner)
                    conn.execute(
                        sql_update(TargetLockRow)
                        .where(TargetLockRow.target == target)
                        .values(**values)
                    )
                else:
                    busy[target] = row.owner
                    continue
                self.held.add(target)
        return busy

    def _beat(self) -> None:
        stop = self._stop
        while not stop.wait(self.refresh):
            try:
                self._refresh()
            except Exception as exc:  # noqa: BLE001 (retried at the next beat, before expiry)
                log.warning("refreshing target locks failed: %s", exc)

    def _refresh(self) -> None:
        with self._mutex:
            if not self.held:
                return
            expires = self.clock() + timedelta(seconds=self.ttl)
            with self._begin() as conn:
                mine = TargetLockRow.owner == self.owner
                held = TargetLockRow.target.in_(self.held)
                conn.execute(sql_update(TargetLockRow).where(held, mine).values(expires_at=expires))
                still = set(conn.execute(select(TargetLockRow.target).where(held, mine)).scalars())
            for target in self.held - still:
                log.error("lost the lock on %s: it expired and was taken over", target)
            self.lost |= self.held - still
            self.held &= still
