"""`annexa export` and `annexa verify-bundle`: period semantics, the bundle, offline checks."""

from __future__ import annotations

import csv
import io
import json
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from annexa.collector.cli import main
from annexa.collector.export.bundle import ExportError, export_bundle
from annexa.collector.export.model import ExportScope, Period
from annexa.store.bundle_verify import verify_bundle
from tests.support.periods import day_run, engine, open_store

D = [date(2026, 3, d) for d in range(1, 6)]


@pytest.fixture
def history(tmp_path: Path):
    """Day 1 a public bucket fails; day 2 the S3 unit is denied; day 3 nothing runs;
    day 4 the bucket is fixed; day 5 nothing runs (day 4's evidence is still fresh)."""
    store, signer = open_store(tmp_path)
    day_run(store, signer, D[0], {"website": True, "data": False})
    day_run(store, signer, D[1], {}, status="denied")
    day_run(store, signer, D[3], {"website": False, "data": False})
    yield store, signer
    store.close()


def export(history, tmp_path: Path, name: str = "evidence.zip", **scope) -> Path:
    store, signer = history
    out = tmp_path / name
    export_bundle(store, signer, engine(), ExportScope(Period(D[0], D[4]), **scope), out)
    return out


def read_csv(bundle: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(bundle.read(name).decode())))


def test_period_freshness_and_gaps(history, tmp_path: Path) -> None:
    with zipfile.ZipFile(export(history, tmp_path)) as bundle:
        soa = {row["control"]: row for row in read_csv(bundle, "soa.csv")}
        gaps = read_csv(bundle, "gaps.csv")
        names = set(bundle.namelist())
    assert len(soa) == 93
    a83 = soa["A.8.3"]
    # day 1 fail; day 2 the unit was denied but day 1's evidence is fresh: still fail (and a
    # unit gap); day 3 no fresh evidence: gap; days 4 and 5 pass
    assert (a83["days_fail"], a83["days_gap"], a83["days_pass"]) == ("2", "1", "2")
    assert a83["status"] == "fail" and a83["status_at_end"] == "pass"
    assert (a83["passed"], a83["failed"]) == ("3", "1")
    # nothing in scope collects KMS keys: no evidence, never a pass
    assert soa["A.8.24"]["status"] == "no evidence" and soa["A.8.24"]["days_pass"] == "0"
    assert soa["A.5.1"]["status"] == "manual" and soa["A.5.1"]["needs_manual_evidence"] == "yes"
    units = [g for g in gaps if g["type"] == "unit"]
    assert [(g["day"], g["status"], g["unit"]) for g in units] == [
        ("2026-03-02", "denied", "acme/aws.s3/global")
    ]
    stale = [(g["day"], g["control"]) for g in gaps if g["type"] == "stale"]
    assert ("2026-03-03", "A.8.3") in stale and ("2026-03-05", "A.8.3") not in stale
    assert "no fresh evidence: aws.s3.bucket (last collected 2026-03-01" in next(
        g["reason"] for g in gaps if g["type"] == "stale" and g["control"] == "A.8.3"
    )
    assert {
        "report.html",
        "soa.csv",
        "soa.xlsx",
        "gaps.csv",
        "oscal/assessment-results.json",
        "controls/A.8.3/evaluations.csv",
        "controls/A.8.3/observations.jsonl",
        "manifest.json",
        "manifest.json.sig",
        "SHA256SUMS",
        "SHA256SUMS.sig",
        "public_key.pem",
        "VERIFY.txt",
    } <= names
    assert len([n for n in names if n.startswith("runs/") and n.endswith(".digest.json")]) == 3


def test_per_control_evidence_carries_hashes_and_sources(history, tmp_path: Path) -> None:
    with zipfile.ZipFile(export(history, tmp_path)) as bundle:
        evaluations = read_csv(bundle, "controls/A.8.3/evaluations.csv")
        observations = [
            json.loads(line)
            for line in bundle.read("controls/A.8.3/observations.jsonl").decode().splitlines()
        ]
        empty = bundle.read("controls/A.5.1/evaluations.csv").decode()
    assert [(e["resource_id"], e["status"]) for e in evaluations] == [
        ("arn:aws:s3:::data", "pass"),
        ("arn:aws:s3:::website", "fail"),
        ("arn:aws:s3:::data", "pass"),
        ("arn:aws:s3:::website", "pass"),
    ]
    assert len(observations) == 4 and all(len(o["record_hash"]) == 64 for o in observations)
    assert observations[1]["attributes"] == {"name": "website", "public": True}
    assert observations[1]["observed_at"] == "2026-03-01T02:01:00.000000Z"
    assert empty.startswith("run_id,seq,observation_seq,rule_id,status") and empty.count("\n") == 1


def test_exports_are_deterministic(history, tmp_path: Path) -> None:
    first = export(history, tmp_path, "a.zip").read_bytes()
    second = export(history, tmp_path, "b.zip").read_bytes()
    assert first == second


def test_the_bundle_verifies_with_sha256sum_and_openssl(history, tmp_path: Path) -> None:
    bundle = export(history, tmp_path)
    folder = tmp_path / "unzipped"
    with zipfile.ZipFile(bundle) as archive:
        archive.extractall(folder)
    commands = [
        line.strip()
        for line in (folder / "VERIFY.txt").read_text().splitlines()
        if line.strip().startswith(("sha256sum -c", "openssl pkeyutl"))
    ]
    assert len(commands) == 2 + 1 + 3  # checksums, two signatures, three run digests
    for command in commands:
        result = subprocess.run(command, shell=True, cwd=folder, capture_output=True, text=True)
        assert result.returncode == 0, (command, result.stdout, result.stderr)
    fingerprint = subprocess.run(
        "openssl pkey -pubin -in public_key.pem -outform DER | tail -c 32 | sha256sum",
        shell=True,
        cwd=folder,
        capture_output=True,
        text=True,
    ).stdout.split()[0]
    manifest = json.loads((folder / "manifest.json").read_text())
    assert fingerprint == manifest["key_id"] and fingerprint in (folder / "VERIFY.txt").read_text()

    # one byte changed in any file: the commands notice
    copy = tmp_path / "tampered"
    shutil.copytree(folder, copy)
    checked = [
        p.relative_to(folder).as_posix()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.stat().st_size
    ]
    assert len(checked) > 20
    for name in checked:
        original = (copy / name).read_bytes()
        data = bytearray(original)
        data[len(data) // 2] ^= 0x01
        (copy / name).write_bytes(bytes(data))
        failed = [
            c
            for c in commands
            if subprocess.run(c, shell=True, cwd=copy, capture_output=True).returncode != 0
        ]
        assert failed, f"changing {name} went unnoticed"
        (copy / name).write_bytes(original)


def rezip(source: Path, target: Path, change: dict[str, bytes]) -> None:
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, change.get(info.filename, old.read(info.filename)))


def test_verify_bundle_names_what_was_altered(history, tmp_path: Path) -> None:
    bundle = export(history, tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["verify-bundle", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "OK:" in result.output and "3 run digests" in result.output

    with zipfile.ZipFile(bundle) as archive:
        lines = archive.read("controls/A.8.3/observations.jsonl").decode().splitlines()
        manifest = json.loads(archive.read("manifest.json"))
    record = json.loads(lines[1])
    record["attributes"]["public"] = False  # make the failing bucket look private
    lines[1] = json.dumps(record, sort_keys=True)
    forged = tmp_path / "forged.zip"
    rezip(bundle, forged, {"controls/A.8.3/observations.jsonl": ("\n".join(lines) + "\n").encode()})
    report = verify_bundle(forged)
    assert not report.ok
    assert any("observations.jsonl: altered" in p for p in report.problems)
    assert any("observed content altered (arn:aws:s3:::website)" in p for p in report.problems)

    # a forger who also fixes the manifest still cannot sign it
    for entry in manifest["files"]:
        if entry["path"] == "controls/A.8.3/observations.jsonl":
            entry["sha256"] = "0" * 64
    resigned = tmp_path / "resigned.zip"
    rezip(bundle, resigned, {"manifest.json": json.dumps(manifest).encode()})
    problems = verify_bundle(resigned).problems
    assert any("manifest.json: the signature does not verify" in p for p in problems)

    result = runner.invoke(main, ["verify-bundle", str(bundle), "--key-id", "f" * 64])
    assert result.exit_code == 1 and "not one of the trusted keys" in result.output


def test_filters_and_empty_periods(history, tmp_path: Path) -> None:
    with zipfile.ZipFile(export(history, tmp_path, controls=("A.8.3",))) as bundle:
        controls = {n.split("/")[1] for n in bundle.namelist() if n.startswith("controls/")}
        soa = read_csv(bundle, "soa.csv")
    assert controls == {"A.8.3"} and [r["control"] for r in soa] == ["A.8.3"]
    store, signer = history
    with pytest.raises(ExportError, match="no signed runs between 2025-01-01 and 2025-01-31"):
        export_bundle(
            store,
            signer,
            engine(),
            ExportScope(Period(date(2025, 1, 1), date(2025, 1, 31))),
            tmp_path / "none.zip",
        )
    with pytest.raises(ExportError, match="no units of nobody"):
        export(history, tmp_path, "t.zip", targets=("nobody",))
    with pytest.raises(ExportError, match=r"no Annex A control A\.9\.9"):
        export(history, tmp_path, "c.zip", controls=("A.9.9",))
    assert not list(tmp_path.glob("*.partial")) and not (tmp_path / "none.zip").exists()


def test_manual_evidence_travels_in_the_bundle(history, tmp_path: Path) -> None:
    store, signer = history
    policy = tmp_path / "access-policy.pdf"
    policy.write_bytes(b"%PDF-1.7 access control policy, approved 2026-01-10")
    store.add_attachment(
        signer,
        policy,
        control="A.5.15",
        effective_from=date(2026, 1, 1),
        effective_to=date(2026, 12, 31),
        note="Approved by the board",
        agent_version="test",
        config_digest="0" * 64,
        ruleset_digest="1" * 64,
    )
    bundle = export(history, tmp_path)
    with zipfile.ZipFile(bundle) as archive:
        soa = {row["control"]: row for row in read_csv(archive, "soa.csv")}
        [stored] = [n for n in archive.namelist() if n.startswith("controls/A.5.15/manual/")]
        assert archive.read(stored) == policy.read_bytes()
        report = archive.read("report.html").decode()
        with zipfile.ZipFile(io.BytesIO(archive.read("soa.xlsx"))) as workbook:
            sheet = workbook.read("xl/sharedStrings.xml").decode()
    assert stored.endswith("-access-policy.pdf")
    assert "access-policy.pdf" in soa["A.5.15"]["manual_evidence"]
    assert soa["A.5.15"]["needs_manual_evidence"] == "no"
    assert soa["A.5.1"]["needs_manual_evidence"] == "yes"
    assert "access-policy.pdf" in report
    assert "A.5.15" in sheet and "access-policy.pdf" in sheet
    assert verify_bundle(bundle).ok


def test_excluded_controls_carry_their_justification(history, tmp_path: Path) -> None:
    store, signer = history
    out = tmp_path / "excluded.zip"
    scope = ExportScope(Period(D[0], D[4]))
    why = "No premises of our own: the landlord monitors the building"
    export_bundle(store, signer, engine(), scope, out, {"A.7.4": why})
    with zipfile.ZipFile(out) as bundle:
        soa = {row["control"]: row for row in read_csv(bundle, "soa.csv")}
        report = bundle.read("report.html").decode()
        oscal = json.loads(bundle.read("oscal/assessment-results.json"))
    row = soa["A.7.4"]
    assert (row["applicable"], row["justification"], row["status"]) == ("no", why, "excluded")
    assert row["needs_manual_evidence"] == "no" and soa["A.7.3"]["applicable"] == "yes"
    assert "(not applicable)" in report
    assert "not-applicable" in json.dumps(oscal)


def test_soa_exclusions_are_validated_in_the_config(tmp_path: Path) -> None:
    from annexa.collector.config import ConfigError, load_config

    path = tmp_path / "annexa.toml"
    path.write_text('[soa.excluded]\n"A.7.99" = "x"\n"A.7.4" = " "\n')
    with pytest.raises(ConfigError) as raised:
        load_config(path)
    text = str(raised.value)
    assert "'A.7.99' is not an Annex A control" in text
