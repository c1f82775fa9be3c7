"""Per-control evidence files, written while the evidence streams past.

For each control in scope, ``controls/<id>/evaluations.csv`` (one row per evaluation, with every
column its record hash covers) and ``controls/<id>/observations.jsonl`` (each observation behind
those evaluations once, with its attributes, gaps, source operations and hashes). They are
spooled to a work directory, one pair of files per control, and copied into the bundle in
catalogue order afterwards: memory holds one row at a time.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import IO, Any

from annexa.collector.export.model import EvidenceRow
from annexa.connectors.records import canonical_json, utc_iso

EVALUATION_COLUMNS = (
    "run_id",
    "seq",
    "observation_seq",
    "rule_id",
    "status",
    "severity",
    "controls",
    "reason",
    "kind",
    "resource_id",
    "target",
    "provider",
    "account",
    "region",
    "observed_at",
    "record_hash",
    "observation_hash",
    "payload_sha256",
)


def observation_record(row: EvidenceRow) -> dict[str, Any]:
    """One observations.jsonl record: the observation's hashed columns, payload and hashes."""
    return {
        "run_id": row.run_id,
        "seq": row.observation_seq,
        "unit_seq": row.unit_seq,
        "kind": row.kind,
        "resource_id": row.resource_id,
        "target": row.target,
        "provider": row.provider,
        "account": row.account,
        "region": row.region,
        "observed_at": utc_iso(row.observed_at),
        "source": list(row.source),
        "attributes": row.attributes,
        "gaps": row.gaps,
        "payload_sha256": row.payload_sha256,
        "record_hash": row.observation_hash,
    }


def evaluation_record(row: EvidenceRow) -> list[str]:
    values = {
        "run_id": row.run_id,
        "seq": str(row.evaluation_seq),
        "observation_seq": str(row.observation_seq),
        "rule_id": row.rule_id,
        "status": row.status,
        "severity": row.severity,
        "controls": canonical_json(list(row.controls)).decode(),
        "reason": row.reason,
        "kind": row.kind,
        "resource_id": row.resource_id,
        "target": row.target,
        "provider": row.provider,
        "account": row.account,
        "region": row.region,
        "observed_at": utc_iso(row.observed_at),
        "record_hash": row.evaluation_hash,
        "observation_hash": row.observation_hash,
        "payload_sha256": row.payload_sha256,
    }
    return [values[column] for column in EVALUATION_COLUMNS]


class ControlFiles:
    """Spools each control's evaluations and observations to ``workdir/<control>/``."""

    def __init__(self, workdir: Path, controls: set[str]) -> None:
        self.workdir = workdir
        self.controls = controls
        self._handles: dict[str, tuple[IO[str], Any, IO[str]]] = {}
        self._last: dict[str, tuple[str, int]] = {}
        self.counts: dict[str, tuple[int, int]] = {}

    def _open(self, control: str) -> tuple[IO[str], Any, IO[str]]:
        if control not in self._handles:
            folder = self.workdir / control
            folder.mkdir(parents=True)
            evaluations = (folder / "evaluations.csv").open("w", encoding="utf-8", newline="")
            writer = csv.writer(evaluations, lineterminator="\n")
            writer.writerow(EVALUATION_COLUMNS)
            observations = (folder / "observations.jsonl").open("w", encoding="utf-8")
            self._handles[control] = (evaluations, writer, observations)
            self.counts[control] = (0, 0)
        return self._handles[control]

    def add(self, row: EvidenceRow) -> None:
        for control in row.controls:
            if control not in self.controls:
                continue
            _, writer, observations = self._open(control)
            writer.writerow(evaluation_record(row))
            evaluations, seen = self.counts[control]
            if self._last.get(control) != row.observation_key:  # rows of one observation are
                self._last[control] = row.observation_key  # contiguous: once per control
                line = json.dumps(observation_record(row), sort_keys=True, ensure_ascii=False)
                observations.write(line + "\n")
                seen += 1
            self.counts[control] = (evaluations + 1, seen)

    def close(self) -> None:
        for evaluations, _, observations in self._handles.values():
            evaluations.close()
            observations.close()

    def paths(self, control: str) -> tuple[Path, Path] | None:
        """The spooled files of a control that has evidence, else None."""
        if control not in self._handles:
            return None
        folder = self.workdir / control
        return folder / "evaluations.csv", folder / "observations.jsonl"
