"""Opening the store: engine set-up for SQLite and PostgreSQL, and migrations on open."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from typing import Any

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import ArgumentError, OperationalError, SQLAlchemyError

MIGRATION_LOCK = 7_112_027_001  # PostgreSQL advisory lock id: one migrator at a time


class StoreError(Exception):
    """The store cannot be opened or written. Messages never contain passwords."""


def redact_url(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]+@", r"\1***@", url)


def normalise_url(url: str) -> str:
    """Accept ``postgresql://`` and ``postgres://`` as psycopg 3 URLs."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _sqlite_setup(engine: Engine) -> None:
    """WAL, foreign keys, and explicit BEGIN so that closing a run can take the write lock."""

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_store_engine(url: str) -> Engine:
    url = normalise_url(url)
    try:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            _sqlite_setup(engine)
        else:
            engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=5)
    except (ArgumentError, ImportError) as exc:
        raise StoreError(f"cannot use store URL {redact_url(url)}: {exc}") from exc
    return engine


def _alembic_config(connection: Connection) -> AlembicConfig:
    config = AlembicConfig()
    config.set_main_option("script_location", str(files("annexa.store").joinpath("migrations")))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    config = AlembicConfig()
    config.set_main_option("script_location", str(files("annexa.store").joinpath("migrations")))
    head = ScriptDirectory.from_config(config).get_current_head()
    assert head is not None
    return head


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (idempotent; serialised on PostgreSQL)."""
    try:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            connection.rollback()
            if current == head_revision():
                return
            if engine.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_lock(:id)"), {"id": MIGRATION_LOCK})
                connection.commit()
            try:
                command.upgrade(_alembic_config(connection), "head")
                connection.commit()
            finally:
                if engine.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_unlock(:id)"), {"id": MIGRATION_LOCK}
                    )
                    connection.commit()
    except OperationalError as exc:
        raise StoreError(f"cannot reach the store: {_short(exc)}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot migrate the store: {_short(exc)}") from exc


def _short(exc: Exception) -> str:
    return redact_url(str(getattr(exc, "orig", exc)) or type(exc).__name__).splitlines()[0]


@contextmanager
def translate_errors(action: str) -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        raise StoreError(f"{action}: the store is unreachable: {_short(exc)}") from exc
    except SQLAlchemyError as exc:
        raise StoreError(f"{action}: {_short(exc)}") from exc
