"""`annexa evidence`: attach, list, write back, and what still needs manual evidence."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from annexa.collector.cli import main
from annexa.connectors.records import sha256_hex
from annexa.store import Store
from tests.store.test_tamper import drop_guards

POLICY = b"%PDF-1.4\n" + bytes(range(256)) * 64 + b"\n%%EOF\n"
NOTE = "Approved by the board 2026-01-10"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "annexa.toml"
    path.write_text(
        f'[store]\nurl = "sqlite:///{tmp_path / "evidence.db"}"\n\n'
        '[signing]\nkey_path = "annexa.key"\n'
    )
    (tmp_path / "policy.pdf").write_bytes(POLICY)
    return path


def cli(config: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, [*args, "--config", str(config)])
    return result.exit_code, result.output


def add(config: Path, *extra: str, control: str = "A.5.1") -> tuple[int, str]:
    return cli(
        config,
        "evidence",
        "add",
        "--control",
        control,
        "--file",
        str(config.parent / "policy.pdf"),
        *extra,
    )


def listed(config: Path, *extra: str) -> list[dict]:
    code, output = cli(config, "evidence", "list", "--format", "json", *extra)
    assert code == 0, output
    return list(json.loads(output))


def needed(config: Path, at: str) -> dict[str, dict]:
    code, output = cli(config, "evidence", "needed", "--at", at, "--format", "json")
    assert code == 0, output
    return {row["control"]: row for row in json.loads(output)}


def test_add_list_show_round_trip(config: Path) -> None:
    period = ("--effective-from", "2026-01-01", "--effective-to", "2026-12-31")
    code, output = add(config, *period, "--note", NOTE)
    assert code == 0, output
    sha = sha256_hex(POLICY)
    assert "Attached policy.pdf" in output and f"sha256 {sha}" in output
    assert "chain position 1" in output
    [row] = listed(config)
    assert {k: v for k, v in row.items() if k not in ("added_at", "run_id")} == {
        "control": "A.5.1",
        "file_name": "policy.pdf",
        "media_type": "application/pdf",
        "size": len(POLICY),
        "sha256": sha,
        "effective_from": "2026-01-01",
        "effective_to": "2026-12-31",
        "note": NOTE,
        "chain_position": 1,
    }
    assert row["added_at"].endswith("Z")

    out = config.parent / "back" / "copy.pdf"
    out.parent.mkdir()
    code, output = cli(config, "evidence", "show", sha[:12], "--out", str(out))
    assert code == 0, output
    assert out.read_bytes() == POLICY
    code, output = cli(config, "evidence", "show", sha, "--out", str(out))
    assert code == 2 and "exists; pass --force" in output
    out.write_bytes(b"old")
    code, output = cli(config, "evidence", "show", sha, "--out", str(out), "--force")
    assert code == 0 and out.read_bytes() == POLICY
    result = CliRunner().invoke(
        main, ["evidence", "show", sha, "--out", "-", "--config", str(config)]
    )
    assert result.exit_code == 0 and result.stdout_bytes == POLICY
    code, output = cli(config, "evidence", "show", "ffff", "--out", str(out) + ".2")
    assert code == 2 and "no stored attachment has a SHA-256 starting with 'ffff'" in output

    code, output = cli(config, "verify")
    assert code == 0 and "OK: 1 run(s), 1 records verified" in output


def test_list_filters_and_formats(config: Path) -> None:
    assert add(config, "--effective-from", "2026-01-01", "--effective-to", "2026-06-30")[0] == 0
    assert add(config, "--effective-from", "2026-07-01", control="A.5.10")[0] == 0
    assert [r["control"] for r in listed(config)] == ["A.5.1", "A.5.10"]
    assert [r["control"] for r in listed(config, "--control", "A.5.10")] == ["A.5.10"]
    assert [r["control"] for r in listed(config, "--at", "2026-06-30")] == ["A.5.1"]
    assert [r["control"] for r in listed(config, "--at", "2031-01-01")] == ["A.5.10"]
    assert listed(config, "--at", "2025-12-31") == []
    code, output = cli(config, "evidence", "list", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(output)))
    assert code == 0 and [(r["control"], r["effective_to"], r["chain_position"]) for r in rows] == [
        ("A.5.1", "2026-06-30", "1"),
        ("A.5.10", "", "2"),
    ]
    code, output = cli(config, "evidence", "list")
    assert code == 0 and "Manual evidence" in output and "open" in output


def test_needed_lists_manual_controls_until_evidence_is_added(config: Path) -> None:
    before = needed(config, "2026-03-01")
    assert before["A.5.1"]["automation"] == "manual" and before["A.5.1"]["evidence"] == "none"
    assert "approved by management" in before["A.5.1"]["auditor_expects"]
    assert before["A.5.7"]["automation"] == "partial"
    assert all(row["automation"] in ("manual", "partial") for row in before.values())
    assert "A.8.24" not in before  # automated: telemetry evidences it

    assert add(config, "--effective-from", "2026-01-01", "--effective-to", "2026-12-31")[0] == 0
    after = needed(config, "2026-03-01")
    assert "A.5.1" not in after and set(before) - set(after) == {"A.5.1"}
    assert needed(config, "2027-01-01")["A.5.1"]["evidence"] == "expired 2026-12-31"
    assert needed(config, "2025-12-31")["A.5.1"]["evidence"] == "starts 2026-01-01"
    code, output = cli(config, "evidence", "needed", "--at", "2026-03-01")
    assert code == 0 and f"{len(after)} control(s) need manual evidence" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--control", "A.99.1"), "unknown control 'A.99.1'"),
        (
            ("--effective-from", "2026-12-31", "--effective-to", "2026-01-01"),
            "the effective period ends (2026-01-01) before it starts (2026-12-31)",
        ),
        (("--file", "nowhere.pdf"), "nowhere.pdf: no such file"),
        (("--max-size-mb", "0.01"), f"is {len(POLICY)} bytes, over the limit of 10485 bytes"),
    ],
)
def test_bad_input_is_one_clear_line_and_writes_nothing(
    config: Path, args: tuple[str, ...], message: str
) -> None:
    base = {"--control": "A.5.1", "--file": str(config.parent / "policy.pdf")}
    pairs = dict(zip(args[::2], args[1::2], strict=True))
    argv = [item for pair in {**base, **pairs}.items() for item in pair]
    code, output = cli(config, "evidence", "add", *argv)
    assert code == 2
    [line] = output.strip().splitlines()
    assert line.startswith("annexa: ") and message in line
    assert listed(config) == []
    store = Store.open(f"sqlite:///{config.parent / 'evidence.db'}")
    assert store.runs() == []
    store.close()


def test_bad_date_is_a_usage_error(config: Path) -> None:
    code, output = add(config, "--effective-to", "31/12/2026")
    assert code == 2 and "'31/12/2026' does not match the format '%Y-%m-%d'" in output


def test_tampered_attachment_fails_verify(config: Path) -> None:
    assert add(config, "--note", NOTE)[0] == 0
    [row] = listed(config)
    store = Store.open(f"sqlite:///{config.parent / 'evidence.db'}")
    drop_guards(store)
    with store.engine.begin() as connection:
        connection.execute(text("UPDATE attachment_contents SET content = :c"), {"c": b"forged"})
    store.close()
    code, output = cli(config, "verify")
    assert code == 1
    assert (
        f"first: attachment {row['run_id']}/1 (A.5.1 policy.pdf): its content {row['sha256']} "
        "was altered"
    ) in " ".join(output.split())  # rich folds long lines
    code, output = cli(config, "evidence", "show", row["sha256"], "--out", str(config) + ".pdf")
    assert code == 3 and "was altered" in output
    assert not Path(str(config) + ".pdf").exists()
