"""SQLAlchemy models. The schema itself is created and evolved by the Alembic migrations.

Evidence tables are append-only (database triggers refuse UPDATE and DELETE, see the initial
migration); a run row may only change while its status is ``running``. Observations point at
content-addressed payloads, so an unchanged resource observed every day adds one small row, not
a copy of its state.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns timezone-aware UTC; refuses naive input."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} cannot be stored")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        moment = datetime.fromisoformat(value) if isinstance(value, str) else value
        if not isinstance(moment, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class Run(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    trigger: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), index=True)
    agent_version: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(255))
    config_digest: Mapped[str] = mapped_column(String(64))
    ruleset_digest: Mapped[str] = mapped_column(String(64))
    catalogue_version: Mapped[str] = mapped_column(String(64))
    chain_position: Mapped[int | None] = mapped_column(Integer, unique=True)
    digest: Mapped[str | None] = mapped_column(Text)
    digest_sha256: Mapped[str | None] = mapped_column(String(64))
    signature: Mapped[str | None] = mapped_column(Text)
    key_id: Mapped[str | None] = mapped_column(String(64))


class Unit(Base):
    __tablename__ = "units"
    __table_args__ = (Index("ix_units_run_target", "run_id", "target"),)

    run_id: Mapped[str] = mapped_column(String(36), ForeignKey("runs.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_key: Mapped[str] = mapped_column(String(512))
    target: Mapped[str] = mapped_column(String(128))
    connector: Mapped[str] = mapped_column(String(128))
    provider: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(256))
    region: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    error_class: Mapped[str | None] = mapped_column(String(128))
    error_message: Mapped[str | None] = mapped_column(Text)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime)
    api_calls: Mapped[int] = mapped_column(Integer)
    observations: Mapped[int] = mapped_column(Integer)
    kinds: Mapped[str] = mapped_column(Text)
    record_hash: Mapped[str] = mapped_column(String(64))


class Payload(Base):
    __tablename__ = "payloads"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    body: Mapped[str] = mapped_column(Text)


class ObservationRow(Base):
    __tablename__ = "observations"
    __table_args__ = (
        Index("ix_observations_run_kind", "run_id", "kind"),
        Index("ix_observations_observed_at", "observed_at"),
        Index("ix_observations_resource", "resource_id"),
    )

    run_id: Mapped[str] = mapped_column(String(36), ForeignKey("runs.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(128))
    resource_id: Mapped[str] = mapped_column(String(2048))
    provider: Mapped[str] = mapped_column(String(32))
    account: Mapped[str] = mapped_column(String(256))
    region: Mapped[str] = mapped_column(String(128))
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(Text)
    payload_sha256: Mapped[str] = mapped_column(String(64), ForeignKey("payloads.sha256"))
    record_hash: Mapped[str] = mapped_column(String(64))


class EvaluationRow(Base):
    __tablename__ = "evaluations"
    __table_args__ = (
        ForeignKeyConstraint(
            ["run_id", "observation_seq"], ["observations.run_id", "observations.seq"]
        ),
        Index("ix_evaluations_run_status", "run_id", "status"),
        Index("ix_evaluations_rule", "rule_id"),
    )

    run_id: Mapped[str] = mapped_column(String(36), ForeignKey("runs.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    observation_seq: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[str] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    controls: Mapped[str] = mapped_column(Text)
    severity: Mapped[str] = mapped_column(String(16))
    record_hash: Mapped[str] = mapped_column(String(64))


class AttachmentContent(Base):
    """The bytes of a manual-evidence file, addressed by their SHA-256 (stored once)."""

    __tablename__ = "attachment_contents"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class AttachmentRow(Base):
    """A file attached to a control as manual evidence; effective dates are ISO days (UTC)."""

    __tablename__ = "attachments"

    run_id: Mapped[str] = mapped_column(String(36), ForeignKey("runs.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    control: Mapped[str] = mapped_column(String(16), index=True)
    file_name: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content_sha256: Mapped[str] = mapped_column(
        String(64), ForeignKey("attachment_contents.sha256"), index=True
    )
    effective_from: Mapped[str] = mapped_column(String(10))
    effective_to: Mapped[str | None] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(Text)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
    record_hash: Mapped[str] = mapped_column(String(64))


class ChainHead(Base):
    """The latest signed run: a mutable pointer, serialising the closing of runs."""

    __tablename__ = "chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[str | None] = mapped_column(String(36))
    digest_sha256: Mapped[str | None] = mapped_column(String(64))
