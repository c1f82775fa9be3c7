"""The store on SQLite and PostgreSQL: round trip, dedupe, append-only, migrations."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from annexa.store import Signer, Store, StoreError
from annexa.store.models import Base
from tests.support.evidence import write_run


@pytest.fixture
def signer(tmp_path) -> Signer:
    return Signer.load_or_create(tmp_path / "keys" / "annexa.key")


def test_round_trip_and_verify(store_url: str, signer: Signer) -> None:
    store = Store.open(store_url)
    first = write_run(store, signer)
    second = write_run(store, signer, buckets=5)
    assert (first.position, second.position) == (1, 2)
    assert second.counts == {"units": 2, "observations": 5, "evaluations": 5}
    run = store.run()
    assert run is not None and run.id == second.run_id and run.status == "complete"
    assert store.run(second.run_id[:8]).id == second.run_id
    findings = list(store.findings(second.run_id, statuses=["fail"]))
    assert [f.resource_id for f in findings] == [
        "arn:aws:s3:::bucket-0",
        "arn:aws:s3:::bucket-2",
        "arn:aws:s3:::bucket-4",
    ]
    assert all(f.controls == ("A.8.13",) and f.observed_at.tzinfo is not None for f in findings)
    assert list(store.findings(second.run_id, control="A.8.24")) == []
    units = store.units(second.run_id)
    assert [u.status for u in units] == ["ok", "denied"] and units[1].is_gap
    report = store.verify({signer.key_id: signer.public_key})
    assert report.ok, report.problems
    assert (
        report.runs == 2
        and report.head_position == 2
        and report.head_digest == second.digest_sha256
    )
    store.close()


def test_unchanged_payloads_are_stored_once(store_url: str, signer: Signer) -> None:
    store = Store.open(store_url)
    for _ in range(3):
        write_run(store, signer, buckets=4)
    with store.engine.connect() as connection:
        payloads = connection.execute(text("SELECT count(*) FROM payloads")).scalar_one()
        observations = connection.execute(text("SELECT count(*) FROM observations")).scalar_one()
    assert observations == 12 and payloads == 4


def test_evidence_is_append_only(store_url: str, signer: Signer) -> None:
    store = Store.open(store_url)
    write_run(store, signer)
    for statement in (
        "UPDATE observations SET region = 'us-east-1'",
        "DELETE FROM evaluations",
        "UPDATE units SET status = 'ok'",
        "DELETE FROM payloads",
        "UPDATE runs SET status = 'running'",
        "DELETE FROM runs",
    ):
        with pytest.raises(DBAPIError, match="annexa"), store.engine.begin() as connection:
            connection.execute(text(statement))


def test_migrations_match_the_models(store_url: str) -> None:
    store = Store.open(store_url)
    with store.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert diff == []
    Store.open(store_url)  # opening again is a no-op


def test_unreachable_store_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match=r"unreachable|cannot reach") as raised:
        Store.open("postgresql+psycopg://annexa:s3cret@127.0.0.1:1/none?connect_timeout=2")
    assert "s3cret" not in str(raised.value)


def test_signing_key_is_created_private_and_reused(tmp_path) -> None:
    path = tmp_path / "k" / "annexa.key"
    first = Signer.load_or_create(path)
    assert (path.stat().st_mode & 0o777) == 0o600 and not first.loosely_protected()
    assert Signer.load_or_create(path).key_id == first.key_id
    path.write_text("not a key")
    from annexa.store import SigningKeyError

    with pytest.raises(SigningKeyError, match="not an unencrypted PEM private key"):
        Signer.load(path)
