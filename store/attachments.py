"""Manual evidence: files (policies, minutes, screenshots) attached to Annex A controls.

Each attachment is written in a run of its own (trigger ``evidence``) through the
:class:`~annexa.store.writer.RunWriter`, so the run's signed digest covers its record and the
chain of runs passes through it. The bytes are stored once per SHA-256 in
``attachment_contents``; the record holds the control, the file's base name, media type, size,
content hash, the days it is effective for (ISO dates, UTC; no end means open-ended) and a note.
Only attachments of signed runs are read back: an interrupted attachment is not evidence.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, or_, select

from annexa.connectors.records import sha256_hex
from annexa.connectors.redact import DEFAULT, Redactor
from annexa.mappings.catalogue import CATALOGUE_VERSION, load_catalogue
from annexa.store.database import StoreError, translate_errors
from annexa.store.integrity import Signer
from annexa.store.models import AttachmentContent, AttachmentRow, Run
from annexa.store.writer import RunWriter

MAX_SIZE = 50 * 1024 * 1024
EVIDENCE_TRIGGER = "evidence"
_EXTRA_TYPES = {
    ".docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    ".odt": "application/vnd.oasis.opendocument.text",
    ".ods": "application/vnd.oasis.opendocument.spreadsheet",
    ".md": "text/markdown",
    ".eml": "message/rfc822",
}


class AttachmentError(Exception):
    """Bad input for manual evidence: nothing was written."""


@dataclass(frozen=True)
class Attachment:
    """A stored manual-evidence file's record, and where it sits in the chain of runs."""

    run_id: str
    seq: int
    control: str
    file_name: str
    media_type: str
    size: int
    content_sha256: str
    effective_from: date
    effective_to: date | None  # None: open-ended
    note: str
    added_at: datetime
    record_hash: str
    chain_position: int | None

    def effective_at(self, day: date) -> bool:
        """Whether this evidence is effective on ``day``."""
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )


def media_type(file_name: str) -> str:
    """The media type for a file name's extension (Python's built-in table, not the host's)."""
    suffix = Path(file_name).suffix.lower()
    if suffix in _EXTRA_TYPES:
        return _EXTRA_TYPES[suffix]
    guessed, _ = mimetypes.MimeTypes().guess_type(f"x{suffix}", strict=False)
    return guessed or "application/octet-stream"


def _attachment(row: Any, position: int | None) -> Attachment:
    return Attachment(
        run_id=row["run_id"],
        seq=row["seq"],
        control=row["control"],
        file_name=row["file_name"],
        media_type=row["media_type"],
        size=row["size"],
        content_sha256=row["content_sha256"],
        effective_from=date.fromisoformat(row["effective_from"]),
        effective_to=date.fromisoformat(row["effective_to"]) if row["effective_to"] else None,
        note=row["note"],
        added_at=row["added_at"],
        record_hash=row["record_hash"],
        chain_position=position,
    )


def _size(count: int) -> str:
    return f"{count} bytes" if count < 1_048_576 else f"{count / 1_048_576:.1f} MB"


def read_evidence_file(path: Path, max_size: int = MAX_SIZE) -> bytes:
    """The bytes of ``path``; AttachmentError if it is missing, unreadable or too large."""
    content = b""
    try:
        if not path.is_file():
            missing = not path.exists()
            raise AttachmentError(f"{path}: {'no such file' if missing else 'not a regular file'}")
        size = path.stat().st_size
        if size <= max_size:
            with path.open("rb") as handle:
                content = handle.read(max_size + 1)
            size = len(content)
    except OSError as exc:
        raise AttachmentError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if size > max_size:
        raise AttachmentError(
            f"{path} is {_size(size)}, over the limit of {_size(max_size)} (--max-size-mb)"
        )
    return content


class AttachmentQueries:
    """Adding and reading manual evidence; mixed into :class:`~annexa.store.Store`."""

    _engine: Engine

    def add_attachment(
        self,
        signer: Signer,
        path: Path,
        *,
        control: str,
        effective_from: date,
        effective_to: date | None = None,
        note: str = "",
        agent_version: str,
        config_digest: str,
        ruleset_digest: str,
        redactor: Redactor = DEFAULT,
        max_size: int = MAX_SIZE,
    ) -> Attachment:
        """Validate, then store ``path`` for ``control`` in a signed run of its own.

        Raises AttachmentError (nothing written) for an unknown control, an effective period
        that ends before it starts, or a file that is missing, unreadable or too large.
        """
        if control not in load_catalogue():
            raise AttachmentError(f"unknown control {control!r} (see `annexa controls`)")
        if effective_to is not None and effective_to < effective_from:
            raise AttachmentError(
                f"the effective period ends ({effective_to}) before it starts ({effective_from})"
            )
        content = read_evidence_file(path, max_size)
        writer = RunWriter(
            self._engine,
            signer,
            trigger=EVIDENCE_TRIGGER,
            agent_version=agent_version,
            config_digest=config_digest,
            ruleset_digest=ruleset_digest,
            catalogue_version=CATALOGUE_VERSION,
        )
        row = writer.add_attachment(
            control=control,
            file_name=path.name,
            media_type=media_type(path.name),
            content=content,
            effective_from=effective_from.isoformat(),
            effective_to=effective_to.isoformat() if effective_to else None,
            note=redactor.text(note),
        )
        closed = writer.close()
        return _attachment(row, closed.position)

    def attachments(self, control: str | None = None, at: date | None = None) -> list[Attachment]:
        """Attachments of signed runs in chain order; of one control, or effective on ``at``."""
        a = AttachmentRow
        query = (
            select(a.__table__, Run.chain_position)
            .join(Run, Run.id == a.run_id)
            .where(Run.chain_position.is_not(None))
            .order_by(Run.chain_position, a.seq)
        )
        if control is not None:
            query = query.where(a.control == control)
        if at is not None:
            day = at.isoformat()
            query = query.where(
                a.effective_from <= day, or_(a.effective_to.is_(None), a.effective_to >= day)
            )
        with translate_errors("reading attachments"), self._engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [_attachment(row, row["chain_position"]) for row in rows]

    def attachment_content(self, sha256: str) -> bytes:
        """The stored bytes with this SHA-256, checked against it (StoreError if absent/altered)."""
        query = select(AttachmentContent.content).where(AttachmentContent.sha256 == sha256)
        with translate_errors("reading an attachment"), self._engine.connect() as connection:
            content = connection.execute(query).scalar_one_or_none()
        if content is None:
            raise StoreError(f"no stored attachment has SHA-256 {sha256}")
        content = bytes(content)
        if sha256_hex(content) != sha256:
            raise StoreError(
                f"the stored attachment {sha256} was altered (its bytes hash differently); "
                "run `annexa verify`"
            )
        return content
