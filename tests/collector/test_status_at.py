"""`annexa status --at DATE`: the per-control status as of a moment, from the last run finished
by then (runs written on different days through the real writer)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from annexa.collector.cli import main
from annexa.collector.history import parse_moment
from annexa.store import History, Signer, Store
from tests.support.diffruns import Res, begin, write

UNITS = [("t/aws.s3/global", "ok")]


def day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def bucket(outcome: str) -> list[Res]:
    return [
        Res(
            1,
            "aws.s3.bucket",
            "arn:aws:s3:::site",
            "us-east-1",
            {"aws.s3.bucket.versioning": outcome},
        )
    ]


def write_days(store: Store, signer: Signer) -> dict[str, str]:
    """a: finished 2 March 09:00 (fail); b: 4 March 18:00 (pass); c: started 5 March 23:00,
    finished 6 March 01:00 (fail); plus a run started 4 March that never closed."""
    a = write(store, signer, day("2026-03-02T09:00"), UNITS, bucket("fail")).run_id
    begin(store, signer, day("2026-03-04T10:00"))
    b = write(store, signer, day("2026-03-04T18:00"), UNITS, bucket("pass")).run_id
    c = write(
        store,
        signer,
        day("2026-03-05T23:00"),
        UNITS,
        bucket("fail"),
        finished=day("2026-03-06T01:00"),
    ).run_id
    return {"a": a, "b": b, "c": c}


def test_run_at_picks_the_last_run_finished_by_then(store_url: str, tmp_path: Path) -> None:
    store = Store.open(store_url)
    runs = write_days(store, Signer.load_or_create(tmp_path / "k.key"))
    history = History(store.engine)
    picked = {
        moment: (run.id if (run := history.run_at(parse_moment(moment))) else None)
        for moment in (
            "2026-03-01",
            "2026-03-02T08:59:59Z",
            "2026-03-02",
            "2026-03-04T17:59:59.999999Z",
            "2026-03-04T18:00:00Z",
            "2026-03-04T19:00:00+02:00",
            "2026-03-05",
            "2026-03-06",
        )
    }
    store.close()
    assert picked == {
        "2026-03-01": None,
        "2026-03-02T08:59:59Z": None,
        "2026-03-02": runs["a"],
        "2026-03-04T17:59:59.999999Z": runs["a"],
        "2026-03-04T18:00:00Z": runs["b"],  # finished exactly then: included
        "2026-03-04T19:00:00+02:00": runs["a"],  # 17:00 UTC
        "2026-03-05": runs["b"],  # c started on the 5th but finished on the 6th
        "2026-03-06": runs["c"],
    }


def test_parse_moment() -> None:
    assert parse_moment("2026-03-04") == datetime(2026, 3, 4, 23, 59, 59, 999999, tzinfo=UTC)
    assert parse_moment("2026-03-04T18:00:00") == day("2026-03-04T18:00")  # naive means UTC
    assert parse_moment("2026-03-04 20:00+02:00") == day("2026-03-04T18:00")
    with pytest.raises(ValueError, match="'4 March' is not a date"):
        parse_moment("4 March")


@pytest.fixture
def days(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, dict[str, str]]:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path / 'evidence.db'}"
    store = Store.open(url)
    runs = write_days(store, Signer.load_or_create(tmp_path / "k.key"))
    store.close()
    return url, runs


def status(url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["status", "--store", url, *args])
    return result.exit_code, result.output


def test_status_at_a_day(days: tuple[str, dict[str, str]]) -> None:
    url, runs = days
    code, output = status(url, "--at", "2026-03-03", "--format", "json")
    assert code == 0, output
    document = json.loads(output)
    assert document["run"] == runs["a"]
    assert document["as_of"] == "2026-03-03T23:59:59.999999Z"
    assert document["run_finished_at"] == "2026-03-02T09:00:00.000000Z"
    [control] = [c for c in document["controls"] if c["control"] == "A.8.9"]
    assert (control["fail"], control["pass"], control["status"]) == (1, 0, "fail")

    code, output = status(url, "--at", "2026-03-05", "--format", "json")
    document = json.loads(output)
    [control] = [c for c in document["controls"] if c["control"] == "A.8.9"]
    assert document["run"] == runs["b"] and control["status"] == "pass"

    code, output = status(url, "--format", "json")  # without --at: the latest run, no as_of
    document = json.loads(output)
    assert document["run"] == runs["c"] and "as_of" not in document

    code, output = status(url, "--at", "2026-03-04")
    assert code == 0, output
    assert (
        f"As of 2026-03-04 23:59:59Z: run {runs['b']} (complete, finished 2026-03-04 18:00:00Z)"
        in output.replace("\n", "")
    )


def test_status_at_errors(days: tuple[str, dict[str, str]]) -> None:
    url, runs = days
    code, output = status(url, "--at", "2026-03-01")
    assert code == 3
    assert (
        "no run had finished by 2026-03-01 23:59:59Z" in output
        and "the first finished at 2026-03-02 09:00:00Z" in output
    )
    code, output = status(url, "--at", "yesterday")
    assert code == 2 and "'yesterday' is not a date (YYYY-MM-DD)" in output
    code, output = status(url, "--at", "2026-03-04", "--run", runs["a"][:8])
    assert code == 2 and "--at and --run cannot be used together" in output
