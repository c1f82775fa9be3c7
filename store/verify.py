"""Verification of the whole store against the signed run digests.

``verify`` walks every run in chain order and every record of every run in ``seq`` order,
recomputing what was signed. It names what does not verify: the altered record (its table, run
and sequence number, kind and resource), the deleted one (a gap in the sequence), the inserted
one (a record the digest does not cover), the removed run (a gap in the chain of runs), a run
whose own fields changed, a digest whose signature is not from a trusted key, and stored bytes
(observation payloads, attachment contents) that no longer hash to their address.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy import Engine, Table, select

from annexa.connectors.records import sha256_hex, utc_iso
from annexa.store.database import translate_errors
from annexa.store.integrity import (
    CHAINED_TABLES,
    DIGEST_FORMAT,
    Chain,
    check_signature,
    record_hash,
    run_fields,
)
from annexa.store.models import AttachmentContent, Base, ChainHead, Payload, Run

MODEL_TABLES: dict[str, Table] = {name: Base.metadata.tables[name] for name in CHAINED_TABLES}


@dataclass(frozen=True)
class Problem:
    """Something that does not verify: ``subject`` names it, ``detail`` says how."""

    subject: str
    detail: str

    def __str__(self) -> str:
        return f"{self.subject}: {self.detail}"


@dataclass
class VerifyReport:
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    runs: int = 0
    records: int = 0
    head_position: int = 0
    head_digest: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def _describe(table: str, run_id: str, row: Mapping[str, Any]) -> str:
    name = table[:-1]
    detail = f" ({row['kind']} {row['resource_id']})" if table == "observations" else ""
    if table == "evaluations":
        detail = f" ({row['rule_id']})"
    if table == "units":
        detail = f" ({row['unit_key']})"
    if table == "attachments":
        detail = f" ({row['control']} {row['file_name']})"
    return f"{name} {run_id}/{row['seq']}{detail}"


class Verifier:
    def __init__(self, engine: Engine, trusted_keys: Mapping[str, Ed25519PublicKey]) -> None:
        self._engine = engine
        self._keys = trusted_keys
        self.report = VerifyReport()

    def problem(self, subject: str, detail: str) -> None:
        self.report.problems.append(Problem(subject, detail))

    def run(self) -> VerifyReport:
        with translate_errors("verifying"), self._engine.connect() as connection:
            runs = [dict(r._mapping) for r in connection.execute(select(Run.__table__))]
            found = connection.execute(select(ChainHead.__table__)).mappings().first()
            head = dict(found) if found is not None else None
            signed = sorted(
                (r for r in runs if r["chain_position"] is not None),
                key=lambda r: r["chain_position"],
            )
            self._check_run_chain(signed, head)
            for run in signed:
                self._check_run(connection, run)
            self._check_payloads(connection)
            self._check_attachment_contents(connection)
            for run in runs:
                if run["chain_position"] is None:
                    self._check_unsigned(connection, run)
            self._check_orphans(connection, {r["id"] for r in runs})
        self.report.runs = len(runs)
        return self.report

    def _check_run_chain(
        self, signed: list[dict[str, Any]], head: Mapping[str, Any] | None
    ) -> None:
        previous: dict[str, Any] | None = None
        for expected, run in enumerate(signed, start=1):
            position = run["chain_position"]
            if position != expected:
                missing = ", ".join(str(p) for p in range(expected, position))
                self.problem(
                    f"run at chain position {missing}",
                    f"missing (deleted): run {run['id']} at position {position} follows run "
                    f"{previous['id'] if previous else 'none'}",
                )
            document = self._document(run)
            if document is not None:
                linked = document.get("previous")
                actual = (
                    {"run_id": previous["id"], "digest_sha256": previous["digest_sha256"]}
                    if previous
                    else None
                )
                if position == expected and linked != actual:
                    self.problem(
                        f"run {run['id']}",
                        f"its digest links to previous run {linked} but the chain holds {actual}",
                    )
            previous = run
        if previous is not None:
            self.report.head_position = previous["chain_position"]
            self.report.head_digest = previous["digest_sha256"]
        if head is not None and head["position"] > self.report.head_position:
            self.problem(
                f"runs after chain position {self.report.head_position}",
                f"missing (deleted): the chain head records position {head['position']} "
                f"(run {head['run_id']})",
            )

    def _document(self, run: Mapping[str, Any]) -> dict[str, Any] | None:
        subject = f"run {run['id']}"
        digest = run["digest"] or ""
        if sha256_hex(digest.encode("utf-8")) != run["digest_sha256"]:
            self.problem(subject, "its digest document does not match its digest hash")
            return None
        key = self._keys.get(run["key_id"] or "")
        if key is None:
            self.problem(subject, f"signed by key {run['key_id']}, which is not a trusted key")
        elif not check_signature(key, run["signature"] or "", digest.encode("utf-8")):
            self.problem(subject, "the signature over its digest is not valid")
        document: dict[str, Any] = json.loads(digest)
        if document.get("format") != DIGEST_FORMAT:
            self.problem(subject, f"unknown digest format {document.get('format')!r}")
            return None
        stored = json.loads(json.dumps(run_fields(run), default=_iso))
        for name, value in document["run"].items():
            if stored.get(name) != value:
                self.problem(
                    subject,
                    f"run field {name!r} altered: signed {value!r}, stored {stored.get(name)!r}",
                )
        if document.get("position") != run["chain_position"]:
            self.problem(subject, f"chain position altered: signed {document.get('position')}")
        return document

    def _check_run(self, connection: Any, run: Mapping[str, Any]) -> None:
        document = json.loads(run["digest"] or "{}")
        records = document.get("records", {})
        for table in CHAINED_TABLES:
            # A table the digest does not name (attachments, in most runs) must hold no records.
            empty = Chain(run["id"], table).summary()
            self._check_table(connection, run["id"], table, records.get(table, empty))

    def _rows(self, connection: Any, table: str, run_id: str) -> Iterator[dict[str, Any]]:
        model = MODEL_TABLES[table]
        query = select(model).where(model.c.run_id == run_id).order_by(model.c.seq)
        for row in connection.execution_options(yield_per=2000).execute(query):
            yield dict(row._mapping)

    def _check_table(
        self, connection: Any, run_id: str, table: str, signed: Mapping[str, Any]
    ) -> None:
        chain = Chain(run_id, table)
        before = len(self.report.problems)
        expected_seq = 1
        for row in self._rows(connection, table, run_id):
            self.report.records += 1
            subject = _describe(table, run_id, row)
            while row["seq"] > expected_seq:
                self.problem(f"{table[:-1]} {run_id}/{expected_seq}", "missing (deleted)")
                expected_seq += 1
            expected_seq = row["seq"] + 1
            if row["seq"] > signed["count"]:
                self.problem(subject, "not covered by the run's signed digest (inserted)")
                continue
            recomputed = record_hash(table, row)
            if recomputed != row["record_hash"]:
                self.problem(subject, "altered: its content does not match its record hash")
            chain.add(recomputed)
        while expected_seq <= signed["count"]:
            self.problem(f"{table[:-1]} {run_id}/{expected_seq}", "missing (deleted)")
            expected_seq += 1
        if len(self.report.problems) == before and chain.head.hex() != signed["head"]:
            self.problem(
                f"{table} of run {run_id}",
                "do not match the signed digest: records were rewritten together with their hashes",
            )

    def _check_payloads(self, connection: Any) -> None:
        """Every payload must hash to its address, and every observation's payload must exist."""
        observations = MODEL_TABLES["observations"]
        payloads = Payload.__table__
        query = select(payloads.c.sha256, payloads.c.body)
        for address, body in connection.execution_options(yield_per=2000).execute(query):
            if sha256_hex(body.encode("utf-8")) != address:
                first = connection.execute(
                    select(observations).where(observations.c.payload_sha256 == address).limit(1)
                ).first()
                subject = (
                    _describe("observations", first.run_id, first._mapping)
                    if first
                    else f"payload {address}"
                )
                self.problem(subject, f"its payload {address} was altered")
        missing = (
            select(observations)
            .outerjoin(payloads, payloads.c.sha256 == observations.c.payload_sha256)
            .where(payloads.c.sha256.is_(None))
            .order_by(observations.c.run_id, observations.c.seq)
        )
        for row in connection.execute(missing):
            subject = _describe("observations", row.run_id, row._mapping)
            self.problem(subject, f"its payload {row.payload_sha256} is missing (deleted)")

    def _check_attachment_contents(self, connection: Any) -> None:
        """Every attachment's bytes must exist, be as long as recorded and hash to their address."""
        contents = AttachmentContent.__table__
        sizes: dict[str, int | None] = {}  # address -> length, None when altered
        query = select(contents.c.sha256, contents.c.content)
        for address, content in connection.execution_options(yield_per=20).execute(query):
            sizes[address] = len(content) if sha256_hex(bytes(content)) == address else None
        attachments = MODEL_TABLES["attachments"]
        query = select(attachments).order_by(attachments.c.run_id, attachments.c.seq)
        for row in connection.execute(query):
            subject = _describe("attachments", row.run_id, row._mapping)
            address = row.content_sha256
            if address not in sizes:
                self.problem(subject, f"its content {address} is missing (deleted)")
            elif sizes[address] != row.size:
                self.problem(subject, f"its content {address} was altered")

    def _check_unsigned(self, connection: Any, run: Mapping[str, Any]) -> None:
        if run["status"] == "running":
            self.report.warnings.append(
                f"run {run['id']} (started {_iso(run['started_at'])}) is still running or crashed: "
                "its records are not signed yet"
            )
        else:
            self.problem(f"run {run['id']}", f"status {run['status']!r} but no signed digest")

    def _check_orphans(self, connection: Any, run_ids: set[str]) -> None:
        for table in CHAINED_TABLES:
            model = MODEL_TABLES[table]
            for (run_id,) in connection.execute(select(model.c.run_id).distinct()):
                if run_id not in run_ids:
                    self.problem(
                        f"{table} of run {run_id}", "belong to a run that is missing (deleted)"
                    )


def _iso(value: Any) -> Any:
    return utc_iso(value) if isinstance(value, datetime) else value
