"""``annexa verify-bundle``: check an export bundle offline, without the store.

What it checks, naming the first problem of each kind: the manifest's and the checksum list's
Ed25519 signatures; every member's SHA-256 and size against the manifest (and no member that the
manifest does not list); that ``SHA256SUMS`` says the same as the manifest; every run digest's
signature and the links between consecutive digests; and every exported record: each
observation's content hash and record hash, each evaluation's record hash, recomputed from the
columns the record hashes cover.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from annexa.connectors.records import canonical_json, sha256_hex
from annexa.store.bundle import TRAILER
from annexa.store.integrity import check_signature, key_id, load_public_key, record_hash

RUN_DIGEST = re.compile(r"^runs/(\d+)-([0-9a-f-]+)\.digest\.json$")
MAX_PROBLEMS = 50


@dataclass
class BundleReport:
    key_id: str = ""
    files: int = 0
    runs: int = 0
    records: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)


def _sha256(bundle: zipfile.ZipFile, name: str) -> tuple[str, int]:
    digest, size = hashlib.sha256(), 0
    with bundle.open(name) as member:
        while chunk := member.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def verify_bundle(path: Path, trusted_key_ids: Iterable[str] = ()) -> BundleReport:
    """Check the bundle at ``path``; ``trusted_key_ids`` (if any) must include its key."""
    report = BundleReport()
    try:
        bundle = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        report.problem(f"{path}: not a readable ZIP bundle ({exc})")
        return report
    with bundle:
        names = set(bundle.namelist())
        missing = [n for n in ("manifest.json", "public_key.pem", *TRAILER) if n not in names]
        if missing:
            report.problem(f"missing {', '.join(missing)}: not an annexa bundle, or truncated")
            return report
        try:
            public_key = load_public_key(bundle.read("public_key.pem"))
        except ValueError as exc:
            report.problem(f"public_key.pem: {exc}")
            return report
        report.key_id = key_id(public_key)
        trusted = set(trusted_key_ids)
        if trusted and report.key_id not in trusted:
            report.problem(f"public_key.pem: key {report.key_id} is not one of the trusted keys")
        manifest_bytes = bundle.read("manifest.json")
        for name in ("manifest.json", "SHA256SUMS"):
            signature = base64.b64encode(bundle.read(f"{name}.sig")).decode()
            if not check_signature(public_key, signature, bundle.read(name)):
                report.problem(f"{name}: the signature does not verify with public_key.pem")
        manifest = json.loads(manifest_bytes)
        _check_files(bundle, manifest, names, report)
        _check_runs(bundle, manifest, public_key, report)
        _check_records(bundle, manifest, report)
    return report


def _check_files(
    bundle: zipfile.ZipFile, manifest: dict[str, Any], names: set[str], report: BundleReport
) -> None:
    listed = {entry["path"]: entry for entry in manifest.get("files", [])}
    for name, entry in sorted(listed.items()):
        if name not in names:
            report.problem(f"{name}: listed in the manifest but missing (deleted)")
            continue
        sha, size = _sha256(bundle, name)
        if sha != entry["sha256"] or size != entry["size"]:
            report.problem(
                f"{name}: altered (SHA-256 {sha[:16]}..., manifest {entry['sha256'][:16]}...)"
            )
        report.files += 1
    for name in sorted(names - set(listed) - {"manifest.json", *TRAILER}):
        report.problem(f"{name}: not listed in the manifest (inserted)")
    expected = {**{n: e["sha256"] for n, e in listed.items()}}
    expected["manifest.json"] = _sha256(bundle, "manifest.json")[0]
    sums = {}
    for line in bundle.read("SHA256SUMS").decode("utf-8").splitlines():
        sha, _, name = line.partition("  ")
        sums[name] = sha
    if sums != expected:
        report.problem("SHA256SUMS: does not list exactly the manifest's files and the manifest")


def _check_runs(
    bundle: zipfile.ZipFile,
    manifest: dict[str, Any],
    public_key: Ed25519PublicKey,
    report: BundleReport,
) -> None:
    documents: dict[int, tuple[str, bytes]] = {}
    for name in sorted(bundle.namelist()):
        match = RUN_DIGEST.match(name)
        if not match:
            continue
        body = bundle.read(name)
        signature = base64.b64encode(bundle.read(name.replace(".json", ".sig"))).decode()
        if not check_signature(public_key, signature, body):
            report.problem(f"{name}: the run digest's signature does not verify")
        documents[int(match.group(1))] = (match.group(2), body)
    listed = {run["id"]: run for run in manifest.get("runs", [])}
    for position, (run_id, body) in sorted(documents.items()):
        report.runs += 1
        entry = listed.get(run_id)
        if entry is None or entry.get("digest_sha256") != sha256_hex(body):
            report.problem(f"run {run_id}: its digest does not match the manifest")
        previous = json.loads(body).get("previous")
        before = documents.get(position - 1)
        if before is None:
            if position > 1:
                report.notes.append(
                    f"run at position {position}: its predecessor is outside the bundle"
                )
            continue
        if not previous or previous.get("digest_sha256") != sha256_hex(before[1]):
            report.problem(
                f"run {run_id}: does not chain to the run before it (position {position - 1})"
            )
    missing = set(listed) - {run_id for run_id, _ in documents.values()}
    if missing:
        report.problem(
            f"runs {', '.join(sorted(missing))}: in the manifest but their digests are missing"
        )


def _check_records(bundle: zipfile.ZipFile, manifest: dict[str, Any], report: BundleReport) -> None:
    """Each control's evaluations and observations, read side by side (same order, streamed):
    every record hash recomputed, and every evaluation's observation present and unaltered."""
    runs = {run["id"] for run in manifest.get("runs", [])}
    folders = sorted(
        name.rsplit("/", 1)[0]
        for name in bundle.namelist()
        if name.startswith("controls/") and name.endswith("/evaluations.csv")
    )
    for folder in folders:
        with (
            bundle.open(f"{folder}/evaluations.csv") as evaluations,
            bundle.open(f"{folder}/observations.jsonl") as observations,
        ):
            lines = enumerate(io.TextIOWrapper(observations, "utf-8"), start=1)
            current: dict[str, Any] | None = None
            reader = csv.DictReader(io.TextIOWrapper(evaluations, "utf-8", newline=""))
            for number, row in enumerate(reader, start=2):
                where = f"{folder}/evaluations.csv:{number}"
                _check_evaluation(row, where, runs, report)
                key = (row["run_id"], int(row["observation_seq"]))
                if current is None or (current["run_id"], current["seq"]) != key:
                    found = next(lines, None)
                    if found is None:
                        report.problem(
                            f"{where}: its observation is missing from observations.jsonl"
                        )
                        break
                    current = json.loads(found[1])
                    _check_observation(
                        current, f"{folder}/observations.jsonl:{found[0]}", runs, report
                    )
                if (current["run_id"], current["seq"]) != key or current["record_hash"] != row[
                    "observation_hash"
                ]:
                    report.problem(f"{where}: does not match its observation in observations.jsonl")
            if next(lines, None) is not None:
                report.problem(
                    f"{folder}/observations.jsonl: holds observations no evaluation names"
                )


def _check_observation(
    record: dict[str, Any], where: str, runs: set[str], report: BundleReport
) -> None:
    report.records += 1
    payload = sha256_hex(
        canonical_json({"attributes": record["attributes"], "gaps": record["gaps"]})
    )
    if payload != record["payload_sha256"]:
        report.problem(f"{where}: observed content altered ({record['resource_id']})")
    row = {
        **record,
        "observed_at": datetime.fromisoformat(record["observed_at"]),
        "source": canonical_json(record["source"]).decode(),
    }
    if record_hash("observations", row) != record["record_hash"]:
        report.problem(f"{where}: observation record altered ({record['resource_id']})")
    if record["run_id"] not in runs:
        report.problem(f"{where}: from run {record['run_id']}, which the manifest does not list")


def _check_evaluation(
    row: dict[str, str], where: str, runs: set[str], report: BundleReport
) -> None:
    report.records += 1
    fields = {**row, "seq": int(row["seq"]), "observation_seq": int(row["observation_seq"])}
    if record_hash("evaluations", fields) != row["record_hash"]:
        report.problem(
            f"{where}: evaluation record altered ({row['rule_id']} {row['resource_id']})"
        )
    if row["run_id"] not in runs:
        report.problem(f"{where}: from run {row['run_id']}, which the manifest does not list")
