"""Manual evidence in the store: content-addressed files in signed runs of their own."""

from __future__ import annotations

import json
import sqlite3
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from annexa.connectors.records import sha256_hex
from annexa.store import Attachment, AttachmentError, Signer, Store, StoreError
from annexa.store.database import _alembic_config, create_store_engine
from annexa.store.integrity import record_hash
from tests.store.test_tamper import drop_guards, execute
from tests.support.evidence import write_run
from tests.support.periods import run_writer

POLICY = b"%PDF-1.7\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return Signer.load_or_create(tmp_path / "keys" / "annexa.key")


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "docs" / "policy.pdf"
    path.parent.mkdir()
    path.write_bytes(POLICY)
    return path


def attach(store: Store, signer: Signer, path: Path, control: str = "A.5.1", **kw) -> Attachment:
    kw.setdefault("effective_from", date(2026, 1, 1))
    kw.setdefault("effective_to", date(2026, 12, 31))
    return store.add_attachment(
        signer,
        path,
        control=control,
        agent_version="test",
        config_digest="c" * 64,
        ruleset_digest="r" * 64,
        **kw,
    )


def trusted(signer: Signer) -> dict:
    return {signer.key_id: signer.public_key}


def count(store: Store, table: str) -> int:
    with store.engine.connect() as connection:
        return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())


def digest(store: Store, run_id: str) -> dict:
    with store.engine.connect() as connection:
        document = connection.execute(
            text("SELECT digest FROM runs WHERE id = :id"), {"id": run_id}
        ).scalar_one()
    return json.loads(document)


def test_round_trip(store_url: str, signer: Signer, policy: Path) -> None:
    store = Store.open(store_url)
    stored = attach(store, signer, policy, note="Approved by the board 2026-01-10")
    assert (stored.control, stored.file_name, stored.media_type) == (
        "A.5.1",
        "policy.pdf",
        "application/pdf",
    )
    assert stored.size == len(POLICY) and stored.content_sha256 == sha256_hex(POLICY)
    assert stored.chain_position == 1 and stored.seq == 1
    assert stored.added_at.tzinfo is not None
    [listed] = store.attachments()
    assert listed == stored
    assert store.attachment_content(stored.content_sha256) == POLICY
    run = store.runs()[0]
    assert (run.id, run.trigger, run.status) == (stored.run_id, "evidence", "complete")
    records = digest(store, stored.run_id)["records"]
    assert records["attachments"]["count"] == 1 and records["units"]["count"] == 0
    report = store.verify(trusted(signer))
    assert report.ok, report.problems
    assert report.records == 1 and report.head_position == 1
    with pytest.raises(StoreError, match="no stored attachment has SHA-256"):
        store.attachment_content("0" * 64)


def test_identical_files_are_stored_once(
    store_url: str, signer: Signer, policy: Path, tmp_path: Path
) -> None:
    store = Store.open(store_url)
    copy = tmp_path / "policy-copy.pdf"
    copy.write_bytes(POLICY)
    first = attach(store, signer, policy)
    second = attach(store, signer, copy, control="A.5.10")
    assert first.content_sha256 == second.content_sha256
    assert count(store, "attachment_contents") == 1 and count(store, "attachments") == 2
    assert [a.file_name for a in store.attachments()] == ["policy.pdf", "policy-copy.pdf"]
    assert store.verify(trusted(signer)).ok


def test_filters_by_control_and_effective_day(
    store_url: str, signer: Signer, policy: Path, tmp_path: Path
) -> None:
    store = Store.open(store_url)
    minutes = tmp_path / "minutes.txt"
    minutes.write_text("management review minutes\n")
    attach(store, signer, policy)
    attach(
        store, signer, minutes, control="A.5.4", effective_from=date(2027, 1, 1), effective_to=None
    )
    assert [a.control for a in store.attachments(control="A.5.4")] == ["A.5.4"]
    assert store.attachments(control="A.5.2") == []
    assert [a.control for a in store.attachments(at=date(2026, 1, 1))] == ["A.5.1"]
    assert [a.control for a in store.attachments(at=date(2026, 12, 31))] == ["A.5.1"]
    assert [a.control for a in store.attachments(at=date(2030, 6, 1))] == ["A.5.4"]
    assert store.attachments(at=date(2025, 12, 31)) == []
    [open_ended] = store.attachments(control="A.5.4")
    assert open_ended.effective_to is None and open_ended.media_type == "text/plain"


def test_note_is_redacted(store_url: str, signer: Signer, policy: Path) -> None:
    store = Store.open(store_url)
    stored = attach(store, signer, policy, note="uploaded with AKIAIOSFODNN7EXAMPLE by ops")
    assert stored.note == "uploaded with [REDACTED:aws-access-key-id] by ops"
    assert store.attachments()[0].note == stored.note


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"control": "A.9.99"}, "unknown control 'A.9.99'"),
        ({"effective_from": date(2026, 2, 1), "effective_to": date(2026, 1, 31)}, "ends"),
        ({"path": "missing.pdf"}, "missing.pdf: no such file"),
        ({"path": "."}, "not a regular file"),
        ({"max_size": 1000}, f"is {len(POLICY)} bytes, over the limit of 1000 bytes"),
    ],
)
def test_bad_input_writes_nothing(
    store_url: str, signer: Signer, policy: Path, tmp_path: Path, change: dict, message: str
) -> None:
    store = Store.open(store_url)
    change = dict(change)  # shared by the SQLite and PostgreSQL cases
    path = tmp_path / change.pop("path") if "path" in change else policy
    with pytest.raises(AttachmentError, match=message):
        attach(store, signer, path, **change)
    assert count(store, "runs") == 0 and count(store, "attachment_contents") == 0


def test_limit_is_inclusive(store_url: str, signer: Signer, policy: Path) -> None:
    store = Store.open(store_url)
    assert attach(store, signer, policy, max_size=len(POLICY)).size == len(POLICY)


def test_attachments_are_append_only(store_url: str, signer: Signer, policy: Path) -> None:
    store = Store.open(store_url)
    attach(store, signer, policy)
    for statement in (
        "UPDATE attachments SET note = 'forged'",
        "DELETE FROM attachments",
        "UPDATE attachment_contents SET sha256 = sha256",
        "DELETE FROM attachment_contents",
    ):
        with pytest.raises(DBAPIError, match="annexa"), store.engine.begin() as connection:
            connection.execute(text(statement))


def test_collection_runs_chain_through_an_attachment(
    store_url: str, signer: Signer, policy: Path
) -> None:
    store = Store.open(store_url)
    first = write_run(store, signer)
    stored = attach(store, signer, policy)
    third = write_run(store, signer)
    assert (first.position, stored.chain_position, third.position) == (1, 2, 3)
    assert third.counts == {"units": 2, "observations": 3, "evaluations": 3}
    with store.engine.connect() as connection:
        evidence_digest = connection.execute(
            text("SELECT digest_sha256 FROM runs WHERE id = :id"), {"id": stored.run_id}
        ).scalar_one()
    assert digest(store, third.run_id)["previous"] == {
        "run_id": stored.run_id,
        "digest_sha256": evidence_digest,
    }
    # A collection run's digest names the same tables as before attachments existed.
    assert set(digest(store, third.run_id)["records"]) == {"units", "observations", "evaluations"}
    assert store.run().id == third.run_id  # the latest collection, not the evidence run
    report = store.verify(trusted(signer))
    assert report.ok, report.problems
    assert report.runs == 3 and report.head_position == 3 and report.records == 2 * 8 + 1


def test_interrupted_attachment_is_not_evidence(
    store_url: str, signer: Signer, policy: Path
) -> None:
    store = Store.open(store_url)
    writer = run_writer(store, signer, trigger="evidence")
    writer.add_attachment(
        control="A.5.1",
        file_name="policy.pdf",
        media_type="application/pdf",
        content=POLICY,
        effective_from="2026-01-01",
        effective_to=None,
        note="",
    )
    writer.flush()  # written, never signed
    assert count(store, "attachments") == 1 and store.attachments() == []
    report = store.verify(trusted(signer))
    assert report.ok and "still running or crashed" in report.warnings[0]


def test_stores_signed_before_attachments_existed_still_verify(
    tmp_path: Path, signer: Signer, policy: Path
) -> None:
    """A store at revision 0001 with runs signed there migrates, verifies, then takes files."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_store_engine(url)
    with engine.connect() as connection:
        command.upgrade(_alembic_config(connection), "0001")
        connection.commit()
        tables = connection.execute(text("SELECT name FROM sqlite_master")).scalars().all()
    assert "attachments" not in tables
    old = Store(engine, url)
    old_runs = [write_run(old, signer), write_run(old, signer)]
    store = Store.open(url)
    report = store.verify(trusted(signer))
    assert report.ok and report.runs == 2, report.problems
    stored = attach(store, signer, policy)
    assert stored.chain_position == 3
    assert digest(store, stored.run_id)["previous"]["run_id"] == old_runs[1].run_id
    report = store.verify(trusted(signer))
    assert report.ok and report.runs == 3, report.problems


@pytest.fixture
def tampered(store_url: str, signer: Signer, policy: Path):
    store = Store.open(store_url)
    write_run(store, signer)
    stored = attach(store, signer, policy)
    write_run(store, signer)
    drop_guards(store)
    if store.engine.dialect.name == "postgresql":
        execute(
            store,
            "ALTER TABLE attachments DISABLE TRIGGER USER",
            "ALTER TABLE attachment_contents DISABLE TRIGGER USER",
        )
    return store, stored


def problems(store: Store, signer: Signer) -> list[str]:
    report = store.verify(trusted(signer))
    assert not report.ok
    return [str(p) for p in report.problems]


def test_altered_content_is_named(tampered, signer: Signer) -> None:
    store, stored = tampered
    forged = bytearray(POLICY)
    forged[100] ^= 0x01
    execute(store, "UPDATE attachment_contents SET content = :content", content=bytes(forged))
    subject = f"attachment {stored.run_id}/1 (A.5.1 policy.pdf)"
    assert problems(store, signer) == [
        f"{subject}: its content {stored.content_sha256} was altered"
    ]
    with pytest.raises(StoreError, match="was altered"):
        store.attachment_content(stored.content_sha256)


def test_deleted_content_is_named(tampered, signer: Signer) -> None:
    """The attacker switches off foreign keys to remove the bytes a record points at."""
    store, stored = tampered
    if store.engine.dialect.name == "sqlite":
        connection = sqlite3.connect(store.engine.url.database)
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("DELETE FROM attachment_contents")
        connection.commit()
        connection.close()
    else:
        execute(
            store,
            "SET LOCAL session_replication_role = replica",
            "DELETE FROM attachment_contents",
        )
    subject = f"attachment {stored.run_id}/1 (A.5.1 policy.pdf)"
    assert problems(store, signer) == [
        f"{subject}: its content {stored.content_sha256} is missing (deleted)"
    ]


def test_altered_record_is_named(tampered, signer: Signer) -> None:
    store, stored = tampered
    execute(store, "UPDATE attachments SET effective_to = '2030-12-31'")
    assert problems(store, signer) == [
        f"attachment {stored.run_id}/1 (A.5.1 policy.pdf): altered: its content does not "
        "match its record hash"
    ]


def test_rehashed_record_breaks_the_signed_chain(tampered, signer: Signer) -> None:
    store, stored = tampered
    with store.engine.connect() as connection:
        row = dict(connection.execute(text("SELECT * FROM attachments")).mappings().one())
    row["control"] = "A.5.2"
    row["added_at"] = stored.added_at
    execute(
        store,
        "UPDATE attachments SET control = 'A.5.2', record_hash = :hash",
        hash=record_hash("attachments", row),
    )
    assert problems(store, signer) == [
        f"attachments of run {stored.run_id}: do not match the signed digest: records were "
        "rewritten together with their hashes"
    ]


def test_deleted_record_is_named(tampered, signer: Signer) -> None:
    store, stored = tampered
    execute(store, "DELETE FROM attachments")
    assert problems(store, signer) == [f"attachment {stored.run_id}/1: missing (deleted)"]


def test_attachment_inserted_into_a_collection_run(tampered, signer: Signer) -> None:
    store, _stored = tampered
    collection = store.run()
    assert collection is not None
    execute(
        store,
        "INSERT INTO attachments SELECT :run, seq, control, file_name, media_type, size, "
        "content_sha256, effective_from, effective_to, note, added_at, record_hash "
        "FROM attachments",
        run=collection.id,
    )
    assert problems(store, signer) == [
        f"attachment {collection.id}/1 (A.5.1 policy.pdf): not covered by the run's signed "
        "digest (inserted)"
    ]
