"""The bundle's OSCAL 1.1 assessment results (``oscal/assessment-results.json``).

One result covers the audit period. Each distinct observation becomes an OSCAL observation
(method ``TEST``: collected by a tool) with its resource as subject, its payload and record hashes
and the evaluations that judged it as relevant evidence. Each control in scope becomes a finding
that targets the control (``objective-id``): ``satisfied`` only when the period's status is pass,
``not-satisfied`` otherwise, with the reason (``fail``, ``gap``, ``no-evidence``, ...).

Conventions:

* control ids take OSCAL's lower-case form (``a.5.15``, as NIST catalogues write ``ac-2``); the
  Annex A id as written (``A.5.15``) is kept in a ``label`` prop;
* props that are not OSCAL's own carry the namespace :data:`NS`;
* every uuid is a uuid5 of content keys under :data:`NAMESPACE` (an observation's from its run
  and sequence number, so it is the same in every export), keys keep a fixed order and times are
  RFC 3339 UTC with ``Z``: two exports of the same store are byte-identical;
* a finding relates every observation evaluated for its control, without a cap. Observations
  and each control's related-observation list are streamed through temp files, so memory stays
  flat however many observations the period holds.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any, BinaryIO

from annexa.collector.export.model import ControlPeriod, EvidenceRow, ExportMeta
from annexa.collector.export.oscal_content import (
    NAMESPACE,
    NS,
    OSCAL_VERSION,
    TOOL_UUID,
    back_matter,
    compact,
    finding,
    line,
    oscal_uuid,
    props,
    result_description,
    tool_assets,
)
from annexa.connectors.records import utc_iso

__all__ = ["NAMESPACE", "NS", "OSCAL_VERSION", "OscalWriter"]

_SEPARATOR = b",\n"
_ENCODER = json.JSONEncoder(separators=(",", ":"), check_circular=False)


def _json(value: Any) -> bytes:
    return _ENCODER.encode(value).encode("ascii")


def observation_uuid(row: EvidenceRow) -> str:
    """The observation's uuid: from its run and sequence number, the same in every export."""
    return oscal_uuid("observation", row.run_id, row.observation_seq)


def _subject(row: EvidenceRow) -> dict[str, Any]:
    return compact(
        {
            "subject-uuid": oscal_uuid(
                "subject", row.target, row.provider, row.account, row.region, row.resource_id
            ),
            "type": "inventory-item",
            "title": line(row.resource_id) or row.kind,
            "props": props(
                ("target", row.target),
                ("provider", row.provider),
                ("account", row.account),
                ("region", row.region),
            ),
        }
    )


def _evaluation(row: EvidenceRow) -> dict[str, Any]:
    return compact(
        {
            "description": line(f"Rule {row.rule_id}: {row.status}. {row.reason}"),
            "props": props(
                ("rule-id", row.rule_id),
                ("evaluation-status", row.status),
                ("severity", row.severity),
                ("record-hash", row.evaluation_hash),
                *(("control", control) for control in row.controls),
            ),
        }
    )


def observation(rows: list[EvidenceRow]) -> dict[str, Any]:
    """One OSCAL observation from the rows (evaluations) of one stored observation."""
    first = rows[0]
    operations = ", ".join(first.source) or "no recorded API operation"
    payload = {
        "description": "The observed state and the stored observation record.",
        "props": props(
            ("payload-sha256", first.payload_sha256), ("record-hash", first.observation_hash)
        ),
    }
    unreadable = "; ".join(f"{name}: {why}" for name, why in sorted(first.gaps.items()))
    return compact(
        {
            "uuid": observation_uuid(first),
            "title": line(f"{first.kind} {first.resource_id}"),
            "description": f"Read by annexa run {first.run_id} through {operations}.",
            "props": props(
                ("kind", first.kind),
                ("run-id", first.run_id),
                ("observation-seq", first.observation_seq),
                *(("source-operation", operation) for operation in first.source),
            ),
            "methods": ["TEST"],
            "types": ["control-objective"],
            "origins": [{"actors": [{"type": "tool", "actor-uuid": TOOL_UUID}]}],
            "subjects": [_subject(first)],
            "relevant-evidence": [compact(payload), *(_evaluation(row) for row in rows)],
            "collected": utc_iso(first.observed_at),
            "remarks": f"Attributes that could not be read: {unreadable}." if unreadable else None,
        }
    )


class OscalWriter:
    """Streams the observations of an export to ``workdir`` and writes the assessment results.

    Only the rows of the observation being read are held; each control's related-observation
    list goes to a file of its own (at most one per control). With ``controls``, observations
    none of whose evaluations evidence one of them are left out (an export narrowed to some
    controls still streams every row).
    """

    def __init__(self, workdir: Path, controls: Iterable[str] = ()) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self._dir = workdir
        self._scope = frozenset(controls)
        self._observations_path = workdir / "oscal-observations.part"
        self._observations: BinaryIO = self._observations_path.open("wb")
        self._count = 0
        self._pending: list[EvidenceRow] = []
        self._related: dict[str, BinaryIO] = {}
        self._related_paths: dict[str, Path] = {}
        self._related_counts: dict[str, int] = {}

    def add(self, row: EvidenceRow) -> None:
        """Take one row, in store order; the rows of one observation must be contiguous."""
        if self._pending and self._pending[0].observation_key != row.observation_key:
            self._flush()
        self._pending.append(row)

    def _flush(self) -> None:
        controls = sorted({c for row in self._pending for c in row.controls})
        if self._scope:
            controls = [c for c in controls if c in self._scope]
        if not self._pending or (self._scope and not controls):
            self._pending = []
            return
        record = observation(self._pending)
        self._observations.write((_SEPARATOR if self._count else b"") + _json(record))
        self._count += 1
        reference = _json({"observation-uuid": record["uuid"]})
        for control in controls:
            self._related_file(control).write(
                (_SEPARATOR if self._related_counts[control] else b"") + reference
            )
            self._related_counts[control] += 1
        self._pending = []

    def _related_file(self, control: str) -> BinaryIO:
        if control not in self._related:
            path = self._dir / f"oscal-related-{len(self._related)}.part"
            self._related_paths[control] = path
            self._related[control] = path.open("wb")
            self._related_counts[control] = 0
        return self._related[control]

    def close(self) -> None:
        """Close the temp files (``write`` does; call it when an export stops before writing)."""
        for handle in (self._observations, *self._related.values()):
            handle.close()

    def write(self, meta: ExportMeta, controls: list[ControlPeriod], out: BinaryIO) -> None:
        """Write the whole assessment-results document to ``out``, streaming the observations
        and each finding's related observations back from the temp files."""
        self._flush()
        self.close()
        period = meta.scope.period
        document = oscal_uuid(
            "assessment-results",
            period.start.isoformat(),
            period.end.isoformat(),
            list(meta.scope.controls),
            list(meta.scope.targets),
            utc_iso(meta.generated_at),
            [[run.id, run.digest_sha256] for run in meta.runs],
        )
        ordered = sorted(controls, key=lambda cp: cp.control.sort_key)
        matter = back_matter(meta, ordered)
        plan = matter["resources"][0]["uuid"]
        span = f"{period.start.isoformat()} to {period.end.isoformat()}"
        head = {
            "uuid": document,
            "metadata": compact(
                {
                    "title": f"annexa evidence for ISO/IEC 27001:2022 Annex A, {span}",
                    "last-modified": utc_iso(meta.generated_at),
                    "version": line(meta.agent_version) or "unknown",
                    "oscal-version": OSCAL_VERSION,
                    "props": props(
                        ("generator", "annexa"),
                        ("catalogue-version", meta.catalogue_version),
                        ("key-id", meta.key_id),
                        *(("ruleset-digest", digest) for digest in meta.ruleset_digests),
                    ),
                }
            ),
            "import-ap": {
                "href": f"#{plan}",
                "remarks": "annexa issues no assessment plan; see the back-matter resource.",
            },
        }
        selection: dict[str, Any] = (
            {"include-controls": [{"control-id": cp.control.id.lower()} for cp in ordered]}
            if ordered
            else {"include-all": {}}
        )
        result = compact(
            {
                "uuid": oscal_uuid("result", document),
                "title": f"Automated evidence, {span}",
                "description": result_description(meta, ordered),
                "start": utc_iso(period.start_at),
                "end": utc_iso(period.end_at - timedelta(microseconds=1)),
                "props": props(
                    ("period-start", period.start.isoformat()),
                    ("period-end", period.end.isoformat()),
                    ("observations", self._count),
                    *(("scope-control", c) for c in meta.scope.controls),
                    *(("scope-target", t) for t in meta.scope.targets),
                ),
                "local-definitions": {"assessment-assets": tool_assets(meta.agent_version)},
                "reviewed-controls": {
                    "description": "The ISO/IEC 27001:2022 Annex A controls in the export's scope.",
                    "control-selections": [selection],
                },
            }
        )
        out.write(b'{"assessment-results":' + _json(head)[:-1] + b',"results":[')
        out.write(_json(result)[:-1])
        if self._count:
            out.write(b',"observations":[\n')
            self._copy(self._observations_path, out)
            out.write(b"\n]")
        if ordered:
            out.write(b',"findings":[\n')
            self._findings(document, ordered, out)
            out.write(b"\n]")
        out.write(b'}],"back-matter":' + _json(matter) + b"}}\n")

    def _findings(
        self,
        document: str,
        controls: Iterable[ControlPeriod],
        out: BinaryIO,
    ) -> None:
        for index, cp in enumerate(controls):
            related = self._related_counts.get(cp.control.id, 0)
            record = finding(document, cp, related)
            out.write((_SEPARATOR if index else b"") + _json(record)[:-1])
            if related:
                out.write(b',"related-observations":[\n')
                self._copy(self._related_paths[cp.control.id], out)
                out.write(b"\n]")
            out.write(b"}")

    @staticmethod
    def _copy(path: Path, out: BinaryIO) -> None:
        with path.open("rb") as source:
            shutil.copyfileobj(source, out, 1 << 20)
