"""The evidence store: append-only runs over SQLAlchemy, with signed digest chains.

SQLAlchemy lives here only; other packages use the small API of :class:`Store`.
"""

from __future__ import annotations

from collections.abc import Mapping

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine

from annexa.store.attachments import Attachment, AttachmentError, AttachmentQueries
from annexa.store.database import StoreError, create_store_engine, migrate, redact_url
from annexa.store.history import History
from annexa.store.integrity import Signer, SigningKeyError, key_id
from annexa.store.locks import TargetLocks
from annexa.store.queries import Finding, Queries, RunInfo, StoredObservation
from annexa.store.records import UnitRecord
from annexa.store.verify import Verifier, VerifyReport
from annexa.store.writer import ClosedRun, RunWriter

__all__ = [
    "Attachment",
    "AttachmentError",
    "ClosedRun",
    "Finding",
    "History",
    "RunInfo",
    "RunWriter",
    "Signer",
    "SigningKeyError",
    "Store",
    "StoreError",
    "StoredObservation",
    "TargetLocks",
    "UnitRecord",
    "VerifyReport",
    "key_id",
]


class Store(Queries, AttachmentQueries):
    """An opened evidence store. ``Store.open(url)`` migrates the schema to the newest revision."""

    def __init__(self, engine: Engine, url: str) -> None:
        super().__init__(engine)
        self.engine = engine
        self.url = redact_url(url)

    @classmethod
    def open(cls, url: str, *, migrate_schema: bool = True) -> Store:
        engine = create_store_engine(url)
        if migrate_schema:
            migrate(engine)
        return cls(engine, url)

    def begin_run(
        self,
        signer: Signer,
        *,
        trigger: str,
        agent_version: str,
        config_digest: str,
        ruleset_digest: str,
        catalogue_version: str,
    ) -> RunWriter:
        return RunWriter(
            self.engine,
            signer,
            trigger=trigger,
            agent_version=agent_version,
            config_digest=config_digest,
            ruleset_digest=ruleset_digest,
            catalogue_version=catalogue_version,
        )

    def verify(self, trusted_keys: Mapping[str, Ed25519PublicKey]) -> VerifyReport:
        return Verifier(self.engine, trusted_keys).run()

    def close(self) -> None:
        self.engine.dispose()
