"""Manual evidence from the command line: attach a file, list attachments, write one back out,
and list the controls that still need manual evidence."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from annexa.collector.collect import agent_version, rule_engine
from annexa.collector.config import Config
from annexa.collector.output import _emit_rows, console, open_store
from annexa.connectors.records import utc_iso
from annexa.connectors.redact import Redactor
from annexa.mappings.catalogue import load_catalogue
from annexa.store import Attachment, AttachmentError, Signer, Store


def today() -> date:
    return datetime.now(UTC).date()


def add(
    config: Config,
    path: Path,
    *,
    control: str,
    effective_from: date,
    effective_to: date | None,
    note: str,
    max_size: int,
) -> None:
    """Attach ``path`` to ``control`` in a signed run of its own and say where it went."""
    signer = Signer.load_or_create(config.key_path)
    store = open_store(config)
    try:
        stored = store.add_attachment(
            signer,
            path,
            control=control,
            effective_from=effective_from,
            effective_to=effective_to,
            note=note,
            agent_version=agent_version(),
            config_digest=config.digest(),
            ruleset_digest=rule_engine(config).digest,
            redactor=Redactor(config.model.redaction.patterns),
            max_size=max_size,
        )
    finally:
        store.close()
    period = f"{stored.effective_from} to {stored.effective_to or 'open-ended'}"
    console().print(
        f"Attached {stored.file_name} ({stored.size} bytes, {stored.media_type}) to "
        f"{stored.control}, effective {period}\n"
        f"sha256 {stored.content_sha256}; run {stored.run_id} signed at chain position "
        f"{stored.chain_position}"
    )


def _row(a: Attachment) -> dict[str, Any]:
    return {
        "control": a.control,
        "file_name": a.file_name,
        "media_type": a.media_type,
        "size": a.size,
        "sha256": a.content_sha256,
        "effective_from": a.effective_from.isoformat(),
        "effective_to": a.effective_to.isoformat() if a.effective_to else None,
        "note": a.note,
        "added_at": utc_iso(a.added_at),
        "run_id": a.run_id,
        "chain_position": a.chain_position,
    }


def print_list(config: Config, control: str | None, at: date | None, fmt: str) -> None:
    """Attachments (of one control, or effective on a day) as a table, CSV or JSON."""
    store = open_store(config)
    try:
        rows = [_row(a) for a in store.attachments(control, at)]
    finally:
        store.close()
    if fmt == "table":
        rows = [{**r, "effective_to": r["effective_to"] or "open"} for r in rows]
    columns = (
        "control",
        "file_name",
        "size",
        "sha256",
        "effective_from",
        "effective_to",
        "note",
        "added_at",
        "chain_position",
    )
    title = "Manual evidence" + (f" effective on {at}" if at else "")
    _emit_rows(rows, fmt, title, columns)


def write_out(config: Config, sha256: str, out: str, force: bool) -> None:
    """Write the stored file whose SHA-256 is (or starts with) ``sha256`` to ``out`` (- stdout)."""
    if len(sha256) < 4:
        raise AttachmentError(f"give at least 4 characters of the SHA-256, not {sha256!r}")
    store = open_store(config)
    try:
        matches = {
            a.content_sha256: a
            for a in store.attachments()
            if a.content_sha256.startswith(sha256.lower())
        }
        if len(matches) != 1:
            what = "no stored attachment" if not matches else "more than one stored attachment"
            raise AttachmentError(f"{what} has a SHA-256 starting with {sha256!r}")
        [(address, attachment)] = matches.items()
        content = store.attachment_content(address)
    finally:
        store.close()
    if out == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.buffer.flush()
        return
    target = Path(out)
    if target.exists() and not force:
        raise AttachmentError(f"{target} exists; pass --force to overwrite it")
    try:
        target.write_bytes(content)
    except OSError as exc:
        raise AttachmentError(f"cannot write {target}: {exc.strerror or exc}") from exc
    console(err=True).print(
        f"Wrote {attachment.file_name} ({len(content)} bytes, sha256 {address}) to {target}"
    )


def needed(store: Store, day: date) -> list[dict[str, Any]]:
    """Manual and partial controls with no manual evidence effective on ``day``."""
    attachments = store.attachments()
    covered = {a.control for a in attachments if a.effective_at(day)}
    rows = []
    for control in load_catalogue():
        if control.automation == "automated" or control.id in covered:
            continue
        own = [a for a in attachments if a.control == control.id]
        expired = [a.effective_to for a in own if a.effective_to and a.effective_to < day]
        future = [a.effective_from for a in own if a.effective_from > day]
        evidence = "none"
        if expired:
            evidence = f"expired {max(expired)}"
        if future:
            evidence = f"starts {min(future)}"
        rows.append(
            {
                "control": control.id,
                "title": control.title,
                "automation": control.automation,
                "evidence": evidence,
                "auditor_expects": control.auditor_expects,
            }
        )
    return rows


def print_needed(config: Config, day: date | None, fmt: str) -> None:
    """What still needs manual evidence on a day (default today), and what auditors expect."""
    day = day or today()
    store = open_store(config)
    try:
        rows = needed(store, day)
    finally:
        store.close()
    columns = ("control", "title", "automation", "evidence", "auditor_expects")
    _emit_rows(rows, fmt, f"Controls without manual evidence effective on {day}", columns)
    if fmt == "table":
        console().print(
            f"{len(rows)} control(s) need manual evidence: "
            "`annexa evidence add --control ID --file FILE`"
        )
