"""Tampering with stored evidence: `annexa verify` fails and names what was touched.

An attacker with database access can drop annexa's append-only triggers; these tests do so
first, then alter, delete or insert evidence the way such an attacker would.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from annexa.collector.cli import main
from annexa.store import Signer, Store
from annexa.store.integrity import public_key_pem, record_hash
from tests.support.evidence import write_run


@pytest.fixture
def setup(store_url: str, tmp_path: Path):
    signer = Signer.load_or_create(tmp_path / "annexa.key")
    pem = tmp_path / "public.pem"
    pem.write_bytes(public_key_pem(signer.public_key))
    store = Store.open(store_url)
    runs = [write_run(store, signer) for _ in range(3)]
    drop_guards(store)
    return store, runs, pem


def drop_guards(store: Store) -> None:
    with store.engine.begin() as connection:
        if store.engine.dialect.name == "sqlite":
            names = (
                connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
                .scalars()
                .all()
            )
            for name in names:
                connection.execute(text(f"DROP TRIGGER {name}"))
        else:
            for table in ("runs", "units", "payloads", "observations", "evaluations"):
                connection.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))


def execute(store: Store, *statements: str, **params) -> None:
    with store.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), params)


def delete_run(store: Store, run: str) -> None:
    execute(
        store,
        "DELETE FROM evaluations WHERE run_id = :run",
        "DELETE FROM observations WHERE run_id = :run",
        "DELETE FROM units WHERE run_id = :run",
        "DELETE FROM runs WHERE id = :run",
        run=run,
    )


def url(store: Store) -> str:
    return store.engine.url.render_as_string(hide_password=False)


def verify(store: Store, pem: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        main, ["verify", "--store", url(store), "--public-key", str(pem), *extra]
    )
    return result.exit_code, result.output


def test_untouched_store_verifies(setup) -> None:
    store, _runs, pem = setup
    code, output = verify(store, pem)
    assert code == 0 and "OK: 3 run(s)" in output and "position 3" in output


def test_altered_observation(setup) -> None:
    store, runs, pem = setup
    run = runs[1].run_id
    execute(
        store,
        "UPDATE observations SET region = 'us-west-2' WHERE run_id = :run AND seq = 2",
        run=run,
    )
    code, output = verify(store, pem)
    assert code == 1
    assert f"first: observation {run}/2 (aws.s3.bucket arn:aws:s3:::bucket-1): altered" in output


def test_altered_payload(setup) -> None:
    store, _runs, pem = setup
    execute(
        store,
        "UPDATE payloads SET body = replace(body, 'Suspended', 'Enabled') WHERE body LIKE '%bucket-0%'",
    )
    code, output = verify(store, pem)
    assert code == 1 and "arn:aws:s3:::bucket-0" in output and "was altered" in output


def test_deleted_observation(setup) -> None:
    store, runs, pem = setup
    run = runs[0].run_id
    execute(
        store,
        "DELETE FROM evaluations WHERE run_id = :run AND observation_seq = 3",
        "DELETE FROM observations WHERE run_id = :run AND seq = 3",
        run=run,
    )
    code, output = verify(store, pem)
    assert code == 1 and f"observation {run}/3: missing (deleted)" in output


def test_inserted_observation_even_with_a_correct_record_hash(setup) -> None:
    store, runs, pem = setup
    run = runs[2].run_id
    with store.engine.connect() as connection:
        row = dict(
            connection.execute(
                text("SELECT * FROM observations WHERE run_id = :run AND seq = 1"), {"run": run}
            )
            .mappings()
            .one()
        )
    forged = {**row, "seq": 4, "resource_id": "arn:aws:s3:::forged"}
    from annexa.store.models import ObservationRow

    forged["observed_at"] = ObservationRow.__table__.c.observed_at.type.process_result_value(
        row["observed_at"], None
    )
    forged["record_hash"] = record_hash("observations", forged)
    with store.engine.begin() as connection:
        connection.execute(ObservationRow.__table__.insert().values(**forged))
    code, output = verify(store, pem)
    assert (
        code == 1
        and f"observation {run}/4 (aws.s3.bucket arn:aws:s3:::forged): not covered" in output
    )


def test_deleted_run(setup) -> None:
    store, runs, pem = setup
    run = runs[1].run_id
    delete_run(store, run)
    code, output = verify(store, pem)
    assert code == 1 and "first: run at chain position 2: missing (deleted)" in output


def test_deleted_latest_run(setup) -> None:
    store, runs, pem = setup
    run = runs[2].run_id
    delete_run(store, run)
    code, output = verify(store, pem)
    assert code == 1 and "runs after chain position 2: missing (deleted)" in output


def test_deleted_run_records_left_behind(setup) -> None:
    """The attacker switches off foreign keys and removes only the run row."""
    store, runs, pem = setup
    run = runs[0].run_id
    if store.engine.dialect.name == "sqlite":
        import sqlite3

        connection = sqlite3.connect(store.engine.url.database)
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("DELETE FROM runs WHERE id = ?", (run,))
        connection.commit()
        connection.close()
    else:
        execute(
            store,
            "SET LOCAL session_replication_role = replica",
            "DELETE FROM runs WHERE id = :run",
            run=run,
        )
    code, output = verify(store, pem)
    assert code == 1 and "run at chain position 1: missing (deleted)" in output
    assert f"observations of run {run}: belong to a run that is missing" in output


def test_altered_run_field(setup) -> None:
    store, runs, pem = setup
    execute(store, "UPDATE runs SET status = 'interrupted' WHERE id = :run", run=runs[0].run_id)
    code, output = verify(store, pem)
    assert code == 1 and f"run {runs[0].run_id}: run field 'status' altered" in output


def test_altered_evaluation_with_rewritten_hash(setup) -> None:
    """Re-hashing the record after changing it is caught by the signed chain head."""
    store, runs, pem = setup
    run = runs[0].run_id
    with store.engine.connect() as connection:
        row = dict(
            connection.execute(
                text("SELECT * FROM evaluations WHERE run_id = :run AND seq = 1"), {"run": run}
            )
            .mappings()
            .one()
        )
    row["status"] = "pass"
    execute(
        store,
        "UPDATE evaluations SET status = 'pass', record_hash = :hash WHERE run_id = :run AND seq = 1",
        run=run,
        hash=record_hash("evaluations", row),
    )
    code, output = verify(store, pem)
    assert code == 1 and f"evaluations of run {run}: do not match the signed digest" in output


def test_untrusted_key(setup, tmp_path: Path) -> None:
    store, _runs, _pem = setup
    other = Signer.load_or_create(tmp_path / "other.key")
    other_pem = tmp_path / "other.pem"
    other_pem.write_bytes(public_key_pem(other.public_key))
    code, output = verify(store, other_pem)
    assert code == 1 and "which is not a trusted key" in output


def test_expected_head_that_is_gone(setup) -> None:
    store, runs, pem = setup
    code, output = verify(store, pem, "--expect-head", "f" * 64)
    assert code == 1 and "expected in the chain but not found" in output
    code, output = verify(store, pem, "--expect-head", runs[1].digest_sha256)
    assert code == 0, output
