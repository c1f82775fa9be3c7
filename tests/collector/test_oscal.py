"""The OSCAL assessment results: schema-valid (compliance-trestle), complete, deterministic and
written with flat memory."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from trestle.oscal.assessment_results import AssessmentResults

from annexa.collector.export.model import (
    AttachmentRef,
    ControlPeriod,
    DayStatus,
    EvidenceRow,
    ExportMeta,
    ExportScope,
    Period,
    RunRef,
)
from annexa.collector.export.oscal import OscalWriter
from annexa.mappings.catalogue import load_catalogue

PERIOD = Period(date(2025, 3, 1), date(2025, 3, 3))
DIGEST = json.dumps(
    {
        "format": "annexa-digest/1",
        "records": {
            "evaluations": {"count": 3, "head": "e" * 64},
            "observations": {"count": 2, "head": "o" * 64},
        },
    },
    sort_keys=True,
)


def run_ref(run_id: str, position: int) -> RunRef:
    started = datetime(2025, 3, position, 6, tzinfo=UTC)
    return RunRef(
        id=run_id,
        trigger="schedule",
        started_at=started,
        finished_at=started + timedelta(minutes=4),
        status="complete",
        chain_position=position,
        digest=DIGEST,
        digest_sha256=f"{position}" * 64,
        signature="c2lnbmF0dXJl",
        key_id="k" * 64,
    )


def row(
    run_id: str,
    obs_seq: int,
    eval_seq: int,
    rule_id: str,
    status: str,
    controls: tuple[str, ...],
    *,
    day: int = 1,
    resource: str = "arn:aws:s3:::logs",
    gaps: dict[str, str] | None = None,
) -> EvidenceRow:
    return EvidenceRow(
        run_id=run_id,
        evaluation_seq=eval_seq,
        rule_id=rule_id,
        status=status,
        reason=f"{rule_id} is {status}",
        controls=controls,
        severity="high",
        evaluation_hash=f"{eval_seq:064x}",
        observation_seq=obs_seq,
        kind="aws.s3.bucket",
        resource_id=resource,
        target="prod",
        provider="aws",
        account="123456789012",
        region="eu-west-1",
        observed_at=datetime(2025, 3, day, 6, 0, obs_seq, 250000, tzinfo=UTC),
        source=("s3:ListBuckets", "s3:GetBucketEncryption"),
        attributes={"name": "logs", "encrypted": status == "pass"},
        gaps=gaps or {},
        payload_sha256=f"{obs_seq:x}" * 64,
        observation_hash=f"{obs_seq + 100:x}" * 32,
        unit_seq=1,
    )


def rows() -> list[EvidenceRow]:
    return [
        row("run-1", 1, 1, "s3.encryption", "pass", ("A.8.24",)),
        row("run-1", 1, 2, "s3.logging", "fail", ("A.8.15", "A.8.24")),
        row("run-1", 2, 3, "s3.encryption", "pass", ("A.8.24",), resource="arn:aws:s3:::data"),
        row("run-2", 1, 1, "s3.encryption", "pass", ("A.8.24",), day=2),
        row(
            "run-2",
            2,
            2,
            "s3.logging",
            "error",
            ("A.8.15",),
            day=2,
            resource="arn:aws:s3:::data",
            gaps={"logging": "AccessDenied"},
        ),
    ]


def period(control_id: str, statuses: list[str], **counts: Any) -> ControlPeriod:
    days = [DayStatus(d, s) for d, s in zip(PERIOD.days(), statuses, strict=True)]
    return ControlPeriod(load_catalogue()[control_id], rules=2, days=days, **counts)


def controls() -> list[ControlPeriod]:
    policy = AttachmentRef(
        control="A.5.1",
        file_name="security policy.pdf",
        media_type="application/pdf",
        size=1234,
        sha256="a" * 64,
        effective_from=date(2025, 1, 1),
        effective_to=date(2025, 12, 31),
        note="Approved by the board",
        added_at=datetime(2025, 2, 1, tzinfo=UTC),
        path="controls/A.5.1/manual/" + "a" * 64 + "-security policy.pdf",
    )
    return [
        # given out of order: findings follow the catalogue
        period(
            "A.8.24", ["pass", "pass", "pass"], passed=4, latest=datetime(2025, 3, 2, tzinfo=UTC)
        ),
        period(
            "A.8.15",
            ["fail", "gap", "gap"],
            failed=1,
            gaps=1,
            gap_reasons=["aws.s3.bucket not collected since 2025-03-02"],
        ),
        period("A.8.13", ["no evidence", "no evidence", "no evidence"]),
        ControlPeriod(
            load_catalogue()["A.5.1"],
            rules=0,
            days=[DayStatus(d, "manual") for d in PERIOD.days()],
            attachments=[policy],
        ),
    ]


def meta(**changes: Any) -> ExportMeta:
    values: dict[str, Any] = {
        "scope": ExportScope(PERIOD, targets=("prod",)),
        "generated_at": datetime(2025, 3, 3, 6, 4, tzinfo=UTC),
        "agent_version": "0.1.0",
        "catalogue_version": "ISO/IEC 27001:2022 Annex A",
        "ruleset_digests": ("d" * 64,),
        "runs": (run_ref("run-1", 1), run_ref("run-2", 2)),
        "key_id": "k" * 64,
    }
    values.update(changes)
    return ExportMeta(**values)


def export(
    workdir: Path,
    evidence: list[EvidenceRow],
    info: ExportMeta | None = None,
    scope: tuple[str, ...] = (),
) -> bytes:
    writer = OscalWriter(workdir, scope)
    for item in evidence:
        writer.add(item)
    out = io.BytesIO()
    writer.write(info or meta(), controls(), out)
    return out.getvalue()


def validated(document: bytes, tmp_path: Path) -> dict[str, Any]:
    """Parse with trestle (a schema violation raises), return the plain JSON."""
    path = tmp_path / "assessment-results.json"
    path.write_bytes(document)
    model = AssessmentResults.oscal_read(path)
    assert model is not None
    data = json.loads(document)
    assert list(data) == ["assessment-results"]
    return data["assessment-results"]


def props(item: dict[str, Any], name: str) -> list[str]:
    return [p["value"] for p in item.get("props", []) if p["name"] == name]


def test_document_is_valid_oscal(tmp_path: Path) -> None:
    document = validated(export(tmp_path / "work", rows()), tmp_path)
    metadata = document["metadata"]
    assert metadata["oscal-version"] == "1.1.2"
    assert metadata["last-modified"] == "2025-03-03T06:04:00.000000Z"
    assert metadata["version"] == "0.1.0"
    assert "2025-03-01 to 2025-03-03" in metadata["title"]
    resources = {r["uuid"]: r for r in document["back-matter"]["resources"]}
    plan = document["import-ap"]["href"]
    assert plan.startswith("#") and resources[plan[1:]]["title"].startswith("Assessment plan")
    (result,) = document["results"]
    assert (result["start"], result["end"]) == (
        "2025-03-01T00:00:00.000000Z",
        "2025-03-03T23:59:59.999999Z",
    )
    assert "Targets: prod." in result["description"]
    assert "run run-2 (schedule" in result["description"]
    assert f"observations 2 head {'o' * 64}" in result["description"]
    selected = result["reviewed-controls"]["control-selections"][0]["include-controls"]
    assert [c["control-id"] for c in selected] == ["a.5.1", "a.8.13", "a.8.15", "a.8.24"]
    run_resource = resources[
        next(u for u, r in resources.items() if r["title"] == "annexa run run-2")
    ]
    assert run_resource["rlinks"][0]["href"] == "../runs/000002-run-2.digest.json"
    assert run_resource["rlinks"][0]["hashes"] == [{"algorithm": "SHA-256", "value": "2" * 64}]


def test_one_observation_per_stored_observation(tmp_path: Path) -> None:
    (result,) = validated(export(tmp_path / "work", rows()), tmp_path)["results"]
    observations = result["observations"]
    assert len(observations) == 4
    assert len({o["uuid"] for o in observations}) == 4
    assert [o["collected"] for o in observations] == [
        "2025-03-01T06:00:01.250000Z",
        "2025-03-01T06:00:02.250000Z",
        "2025-03-02T06:00:01.250000Z",
        "2025-03-02T06:00:02.250000Z",
    ]
    first = observations[0]
    assert first["title"] == "aws.s3.bucket arn:aws:s3:::logs"
    assert first["methods"] == ["TEST"]
    assert props(first, "source-operation") == ["s3:ListBuckets", "s3:GetBucketEncryption"]
    assert props(first, "run-id") == ["run-1"] and props(first, "kind") == ["aws.s3.bucket"]
    (subject,) = first["subjects"]
    assert subject["type"] == "inventory-item" and subject["title"] == "arn:aws:s3:::logs"
    assert props(subject, "account") == ["123456789012"]
    assert props(subject, "region") == ["eu-west-1"]
    # the same resource in two runs is one subject, two observations
    assert observations[2]["subjects"][0]["subject-uuid"] == subject["subject-uuid"]
    payload, *evaluations = first["relevant-evidence"]
    assert props(payload, "payload-sha256") == ["1" * 64]
    assert props(payload, "record-hash") == ["65" * 32]
    assert [props(e, "rule-id") + props(e, "evaluation-status") for e in evaluations] == [
        ["s3.encryption", "pass"],
        ["s3.logging", "fail"],
    ]
    assert props(evaluations[1], "control") == ["A.8.15", "A.8.24"]
    assert props(evaluations[1], "record-hash") == [f"{2:064x}"]
    assert observations[3]["remarks"] == "Attributes that could not be read: logging: AccessDenied."


def test_findings_per_control(tmp_path: Path) -> None:
    (result,) = validated(export(tmp_path / "work", rows()), tmp_path)["results"]
    uuids = [o["uuid"] for o in result["observations"]]
    findings = {f["target"]["target-id"]: f for f in result["findings"]}
    assert list(findings) == ["a.5.1", "a.8.13", "a.8.15", "a.8.24"]
    states = {
        cid: (f["target"]["status"]["state"], f["target"]["status"]["reason"])
        for cid, f in findings.items()
    }
    assert states == {
        "a.5.1": ("not-satisfied", "manual-evidence-attached"),
        "a.8.13": ("not-satisfied", "no-evidence"),
        "a.8.15": ("not-satisfied", "fail"),
        "a.8.24": ("satisfied", "pass"),
    }
    encryption, logging = findings["a.8.24"], findings["a.8.15"]
    assert all(f["target"]["type"] == "objective-id" for f in findings.values())
    assert props(encryption["target"], "label") == ["A.8.24"]
    assert [r["observation-uuid"] for r in encryption["related-observations"]] == uuids[:3]
    assert [r["observation-uuid"] for r in logging["related-observations"]] == [uuids[0], uuids[3]]
    assert "related-observations" not in findings["a.8.13"]
    assert props(logging, "related-observations") == ["2"]
    assert "1 fail (2025-03-01); 2 gap (2025-03-02..2025-03-03)" in logging["description"]
    assert "not collected since 2025-03-02" in logging["target"]["status"]["remarks"]
    assert "4 pass, 0 fail" in encryption["description"]
    # manual evidence is linked to its back-matter resource, with the bundle path and hash
    (link,) = findings["a.5.1"]["links"]
    (result_doc,) = [validated(export(tmp_path / "again", rows()), tmp_path)]
    resource = next(
        r for r in result_doc["back-matter"]["resources"] if r["uuid"] == link["href"][1:]
    )
    assert resource["rlinks"][0]["href"] == (
        "../controls/A.5.1/manual/" + "a" * 64 + "-security%20policy.pdf"
    )
    assert resource["rlinks"][0]["hashes"][0]["value"] == "a" * 64


def test_two_exports_are_byte_identical(tmp_path: Path) -> None:
    first = export(tmp_path / "one", rows())
    second = export(tmp_path / "two", rows())
    assert first == second
    other = export(tmp_path / "three", rows(), meta(generated_at=datetime(2025, 3, 4, tzinfo=UTC)))
    assert (
        json.loads(other)["assessment-results"]["uuid"]
        != json.loads(first)["assessment-results"]["uuid"]
    )
    # an observation keeps its uuid whatever the export around it
    assert (
        json.loads(other)["assessment-results"]["results"][0]["observations"]
        == json.loads(first)["assessment-results"]["results"][0]["observations"]
    )


def test_observations_outside_the_control_scope_are_left_out(tmp_path: Path) -> None:
    (result,) = validated(export(tmp_path / "work", rows(), scope=("A.8.15",)), tmp_path)["results"]
    observations = result["observations"]
    assert [o["collected"][:10] + " " + o["subjects"][0]["title"] for o in observations] == [
        "2025-03-01 arn:aws:s3:::logs",
        "2025-03-02 arn:aws:s3:::data",
    ]
    findings = {f["target"]["target-id"]: f for f in result["findings"]}
    assert "related-observations" not in findings["a.8.24"]
    assert len(findings["a.8.15"]["related-observations"]) == 2


def test_export_without_evidence_is_valid(tmp_path: Path) -> None:
    (result,) = validated(export(tmp_path / "work", []), tmp_path)["results"]
    assert "observations" not in result
    assert all("related-observations" not in f for f in result["findings"])
    assert props(result, "observations") == ["0"]
    writer = OscalWriter(tmp_path / "bare")
    out = io.BytesIO()
    writer.write(meta(runs=()), [], out)
    (bare,) = validated(out.getvalue(), tmp_path)["results"]
    assert bare["reviewed-controls"]["control-selections"] == [{"include-all": {}}]
    assert "findings" not in bare and "Runs (0):\n- none" in bare["description"]


def synthetic(count: int) -> Iterator[EvidenceRow]:
    """``count`` rows, two per observation, each observation judged for two controls."""
    template = row("run-1", 1, 1, "s3.encryption", "pass", ("A.8.24",)).__dict__
    for n in range(count):
        controls = ("A.8.24",) if n % 2 else ("A.8.15", "A.8.24")
        yield EvidenceRow(
            **{**template, "observation_seq": n // 2, "evaluation_seq": n, "controls": controls}
        )


def traced_peak(workdir: Path, count: int) -> int:
    writer = OscalWriter(workdir)
    tracemalloc.start()
    try:
        for item in synthetic(count):
            writer.add(item)
        with (workdir / "out.json").open("wb") as out:
            writer.write(meta(), controls(), out)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_observations(tmp_path: Path) -> None:
    """Python allocations peak the same for 1k and 8k rows: nothing is kept per observation."""
    small = traced_peak(tmp_path / "small", 1_000)
    large = traced_peak(tmp_path / "large", 8_000)
    assert large < 20 * 1024 * 1024
    assert large - small < 256 * 1024, f"{small} -> {large} bytes"
    document = json.loads((tmp_path / "large" / "out.json").read_bytes())
    (result,) = document["assessment-results"]["results"]
    assert len(result["observations"]) == 4_000


STREAM_SCRIPT = """
import json, resource, sys, tempfile
from pathlib import Path
from tests.collector.test_oscal import controls, meta, synthetic
from annexa.collector.export.oscal import OscalWriter

before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
with tempfile.TemporaryDirectory() as work:
    writer = OscalWriter(Path(work) / "oscal")
    for item in synthetic(int(sys.argv[1])):
        writer.add(item)
    with (Path(work) / "out.json").open("wb") as out:
        writer.write(meta(), controls(), out)
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    text = (Path(work) / "out.json").read_bytes()
observations = text.count(b'"methods":["TEST"]')
related = text.count(b'{"observation-uuid":')
print(json.dumps({"grown_kib": grown, "observations": observations, "related": related}))
"""


@pytest.mark.slow
def test_200k_rows_stream_in_flat_memory() -> None:
    """A fresh interpreter writes 200k rows; its peak RSS grows by less than 20 MB on the way
    (the RSS before the rows includes the imports)."""
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", STREAM_SCRIPT, "200000"],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    report = json.loads(done.stdout)
    assert report["grown_kib"] < 20 * 1024, report
    assert report["observations"] == 100_000
    assert report["related"] == 200_000  # each observation relates to both controls
