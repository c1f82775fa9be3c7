"""The append-only write path of one run.

A :class:`RunWriter` is used from one thread (the collector's writer loop). It buffers rows,
flushes them in batches, one transaction per batch, and keeps each table's hash chain as records
are added. :meth:`RunWriter.close` writes the unit records' chain, builds the run digest, links it
to the previous run's, signs it and records it — all in one transaction that also advances the
chain head, so two processes closing runs at once cannot fork the chain.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from annexa.connectors.records import Observation, canonical_json, sha256_hex
from annexa.mappings.engine import Evaluation
from annexa.store.database import translate_errors
from annexa.store.integrity import (
    RUN_FIELDS,
    Chain,
    Signer,
    digest_document,
    digest_tables,
    record_hash,
)
from annexa.store.models import (
    AttachmentContent,
    AttachmentRow,
    ChainHead,
    EvaluationRow,
    ObservationRow,
    Payload,
    Run,
    Unit,
)
from annexa.store.records import UnitRecord

FLUSH_ROWS = 1000


@dataclass(frozen=True)
class ClosedRun:
    run_id: str
    status: str
    position: int
    digest_sha256: str
    counts: dict[str, int]


def _json(value: Any) -> str:
    return canonical_json(value).decode("utf-8")


def process_name() -> str:
    """``<hostname>:<pid>``: which process wrote a run, so that a restarted collector can tell
    its own dead runs from another live process's (see :mod:`annexa.store.recovery`)."""
    return f"{socket.gethostname()}:{os.getpid()}"[:255]


class RunWriter:
    def __init__(
        self,
        engine: Engine,
        signer: Signer,
        *,
        trigger: str,
        agent_version: str,
        config_digest: str,
        ruleset_digest: str,
        catalogue_version: str,
        clock: Any = None,
    ) -> None:
        self._engine = engine
        self._signer = signer
        self._clock = clock or (lambda: datetime.now(UTC))
        self.run_id = str(uuid.uuid4())
        self._run: dict[str, Any] = {
            "id": self.run_id,
            "trigger": trigger,
            "started_at": self._clock(),
            "finished_at": None,
            "status": "running",
            "agent_version": agent_version,
            "host": process_name(),
            "config_digest": config_digest,
            "ruleset_digest": ruleset_digest,
            "catalogue_version": catalogue_version,
        }
        self._chains = {
            table: Chain(self.run_id, table)
            for table in ("observations", "evaluations", "attachments")
        }
        self._units: list[dict[str, Any]] = []
        self._pending: dict[str, list[dict[str, Any]]] = {
            "payloads": [],
            "observations": [],
            "evaluations": [],
            "units": [],
            "attachment_contents": [],
            "attachments": [],
        }
        self._payloads_seen: set[str] = set()
        self._contents_seen: set[str] = set()
        self._observation_seq = 0
        self._evaluation_seq = 0
        self.closed: ClosedRun | None = None
        with translate_errors("starting a run"), self._engine.begin() as connection:
            connection.execute(insert(Run).values(**self._run))

    @classmethod
    def resume(
        cls,
        engine: Engine,
        signer: Signer,
        run: Mapping[str, Any],
        chains: Mapping[str, Chain],
        units: list[dict[str, Any]],
        clock: Any = None,
    ) -> RunWriter:
        """A writer for a run already in the store whose process died, from its row, the chains
        of its stored records and its units' ``seq`` / ``record_hash``, so that :meth:`close`
        can sign it; see :mod:`annexa.store.recovery`."""
        writer = cls.__new__(cls)
        writer._engine = engine
        writer._signer = signer
        writer._clock = clock or (lambda: datetime.now(UTC))
        writer.run_id = str(run["id"])
        writer._run = {name: run[name] for name in RUN_FIELDS}
        writer._chains = {t: c for t, c in chains.items() if t != "units"}
        writer._units = units
        writer._pending = {
            name: [] for name in ("payloads", "attachment_contents", "units", *chains)
        }
        writer._payloads_seen, writer._contents_seen = set(), set()
        writer._observation_seq = chains["observations"].count
        writer._evaluation_seq = chains["evaluations"].count
        writer.closed = None
        return writer

    @property
    def started_at(self) -> datetime:
        started: datetime = self._run["started_at"]
        return started

    def add_observation(
        self, unit_seq: int, obs: Observation, evaluations: Sequence[Evaluation]
    ) -> int:
        body = obs.payload_json()
        payload_hash = sha256_hex(body)
        if payload_hash not in self._payloads_seen:
            if len(self._payloads_seen) > 200_000:
                self._payloads_seen.clear()
            self._payloads_seen.add(payload_hash)
            self._pending["payloads"].append({"sha256": payload_hash, "body": body.decode("utf-8")})
        self._observation_seq += 1
        row = {
            "run_id": self.run_id,
            "seq": self._observation_seq,
            "unit_seq": unit_seq,
            "kind": obs.kind,
            "resource_id": obs.resource_id,
            "provider": obs.scope.provider,
            "account": obs.scope.account,
            "region": obs.scope.region,
            "observed_at": obs.observed_at,
            "source": _json(list(obs.source)),
            "payload_sha256": payload_hash,
        }
        self._append("observations", row)
        for evaluation in evaluations:
            self._evaluation_seq += 1
            self._append(
                "evaluations",
                {
                    "run_id": self.run_id,
                    "seq": self._evaluation_seq,
                    "observation_seq": self._observation_seq,
                    "rule_id": evaluation.rule_id,
                    "status": evaluation.status,
                    "reason": evaluation.reason,
                    "controls": _json(list(evaluation.controls)),
                    "severity": evaluation.severity,
                },
            )
        self._maybe_flush()
        return self._observation_seq

    def add_unit(self, unit: UnitRecord) -> None:
        if unit.seq < 1:
            raise ValueError(f"unit sequence numbers start at 1, got {unit.seq}")
        row = {"run_id": self.run_id, **asdict(unit), "kinds": _json(sorted(unit.kinds))}
        row["record_hash"] = record_hash("units", row)
        self._units.append(row)
        self._pending["units"].append(row)
        self._maybe_flush()

    def add_attachment(
        self,
        *,
        control: str,
        file_name: str,
        media_type: str,
        content: bytes,
        effective_from: str,
        effective_to: str | None,
        note: str,
    ) -> dict[str, Any]:
        """Store a manual-evidence file (bytes once per SHA-256) and its chained record."""
        address = sha256_hex(content)
        if address not in self._contents_seen:
            self._contents_seen.add(address)
            self._pending["attachment_contents"].append({"sha256": address, "content": content})
        row = {
            "run_id": self.run_id,
            "seq": self._chains["attachments"].count + 1,
            "control": control,
            "file_name": file_name,
            "media_type": media_type,
            "size": len(content),
            "content_sha256": address,
            "effective_from": effective_from,
            "effective_to": effective_to,
            "note": note,
            "added_at": self._clock(),
        }
        self._append("attachments", row)
        self._maybe_flush()
        return row

    def _append(self, table: str, row: dict[str, Any]) -> None:
        row["record_hash"] = record_hash(table, row)
        self._chains[table].add(row["record_hash"])
        self._pending[table].append(row)

    def _maybe_flush(self) -> None:
        if sum(len(rows) for rows in self._pending.values()) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        """Write buffered rows in one transaction (contents first: records refer to them)."""
        if not any(self._pending.values()):
            return
        with translate_errors("writing evidence"), self._engine.begin() as connection:
            for table, content in (
                ("payloads", Payload),
                ("attachment_contents", AttachmentContent),
            ):
                if self._pending[table]:
                    connection.execute(self._insert_ignore(content), self._pending[table])
            for table, model in (
                ("observations", ObservationRow),
                ("evaluations", EvaluationRow),
                ("units", Unit),
                ("attachments", AttachmentRow),
            ):
                if self._pending[table]:
                    connection.execute(insert(model), self._pending[table])
        for rows in self._pending.values():
            rows.clear()

    def _insert_ignore(self, model: Any) -> Any:
        if self._engine.dialect.name == "postgresql":
            return postgresql.insert(model).on_conflict_do_nothing()
        if self._engine.dialect.name == "sqlite":
            return sqlite.insert(model).on_conflict_do_nothing()
        raise NotImplementedError(f"unsupported database {self._engine.dialect.name}")

    def close(self, status: str = "complete") -> ClosedRun:
        """Flush, sign the run digest, link it into the chain and mark the run closed."""
        self.flush()
        units = Chain(self.run_id, "units")
        for row in sorted(self._units, key=lambda r: r["seq"]):
            units.add(row["record_hash"])
        chains = {"units": units, **self._chains}
        self._run["finished_at"] = self._clock()
        self._run["status"] = status
        engine = self._engine.execution_options(sqlite_immediate=True)
        with translate_errors("closing the run"), engine.begin() as connection:
            head = connection.execute(
                select(ChainHead.position, ChainHead.run_id, ChainHead.digest_sha256)
                .where(ChainHead.id == 1)
                .with_for_update()
            ).one()
            position = head.position + 1
            previous = (
                {"run_id": head.run_id, "digest_sha256": head.digest_sha256}
                if head.run_id
                else None
            )
            document = digest_document(self._run, position, previous, chains, self._signer.key_id)
            digest_sha = sha256_hex(document)
            connection.execute(
                update(Run)
                .where(Run.id == self.run_id)
                .values(
                    finished_at=self._run["finished_at"],
                    status=status,
                    chain_position=position,
                    digest=document.decode("utf-8"),
                    digest_sha256=digest_sha,
                    signature=self._signer.sign(document),
                    key_id=self._signer.key_id,
                )
            )
            connection.execute(
                update(ChainHead)
                .where(ChainHead.id == 1)
                .values(position=position, run_id=self.run_id, digest_sha256=digest_sha)
            )
        counts = {table: chains[table].count for table in digest_tables(chains)}
        self.closed = ClosedRun(self.run_id, status, position, digest_sha, counts)
        return self.closed


def parse_json_list(text: str) -> list[Any]:
    value = json.loads(text)
    return list(value) if isinstance(value, list) else []
