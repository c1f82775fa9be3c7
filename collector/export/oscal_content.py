"""The small parts of the OSCAL assessment results: findings, the result's description, the
assessment assets and the back matter (assessment plan placeholder, runs, manual evidence).

Everything here is sized by controls, runs and attachments, never by observations.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import date
from typing import Any
from urllib.parse import quote

from annexa.collector.export.model import (
    STATUS_ORDER,
    AttachmentRef,
    ControlPeriod,
    ExportMeta,
    RunRef,
)
from annexa.connectors.records import utc_iso

OSCAL_VERSION = "1.1.2"
NAMESPACE = uuid.UUID("6707b113-4538-4dbc-af0f-b40c0f1b0aa8")  # fixed: uuids are uuid5 under it
NS = "urn:annexa:oscal"  # namespace of annexa's own props
TOOL_UUID = str(uuid.uuid5(NAMESPACE, "tool\0annexa"))

# A finding's objective-status reason per period status; only "pass" is "satisfied".
REASONS = {
    "pass": "pass",
    "fail": "fail",
    "gap": "gap",
    "no evidence": "no-evidence",
    "n/a": "not-applicable",
    "attached": "manual-evidence-attached",
    "manual": "manual-evidence-required",
}
EXPLAINED = {
    "fail": "Evidence in the period fails the control's rules.",
    "gap": "On some days the control had no fresh evidence (not collected, denied or stale).",
    "no evidence": "No evidence for the control was collected in the period.",
    "n/a": "The control's rules did not apply to anything observed in the period.",
    "attached": "Manual evidence is attached, effective on the period's last day: the auditor "
    "judges it.",
    "manual": "The control needs manual evidence; none is attached for the period's last day.",
}


def oscal_uuid(*parts: Any) -> str:
    """A deterministic uuid5 of content keys (joined by NUL, which no key contains)."""
    return str(uuid.uuid5(NAMESPACE, "\0".join(map(str, parts))))


def line(text: str) -> str:
    """One line without leading, trailing or repeated whitespace (what OSCAL strings allow)."""
    return " ".join(text.split())


def props(*pairs: tuple[str, Any]) -> list[dict[str, str]]:
    """annexa-namespaced props; pairs whose value is empty are left out."""
    found = []
    for name, value in pairs:
        text = line(str(value)) if value is not None else ""
        if text:
            found.append({"name": name, "ns": NS, "value": text})
    return found


def compact(record: dict[str, Any]) -> dict[str, Any]:
    """The record without empty values (OSCAL lists need at least one item)."""
    return {key: value for key, value in record.items() if value not in (None, [], {}, "")}


def _ranges(days: list[date]) -> str:
    spans: list[list[date]] = []
    for day in days:
        if spans and (day - spans[-1][1]).days == 1:
            spans[-1][1] = day
        else:
            spans.append([day, day])
    return ", ".join(
        a.isoformat() if a == b else f"{a.isoformat()}..{b.isoformat()}" for a, b in spans
    )


def _days(cp: ControlPeriod) -> str:
    counts = Counter(day.status for day in cp.days)
    parts = []
    for status in sorted(counts, key=lambda s: STATUS_ORDER.index(s) if s in STATUS_ORDER else 99):
        listed = [d.day for d in cp.days if d.status == status]
        parts.append(
            f"{counts[status]} {status}" + (f" ({_ranges(listed)})" if status != "pass" else "")
        )
    return "; ".join(parts) or "none"


def attachment_uuid(attachment: AttachmentRef) -> str:
    """The uuid of a manual evidence file's back-matter resource."""
    return oscal_uuid("attachment", attachment.control, attachment.sha256, attachment.file_name)


def finding(document: str, cp: ControlPeriod, related: int) -> dict[str, Any]:
    """The finding for one control over the period, linking its manual evidence (the writer
    adds the related observations)."""
    control, status = cp.control, cp.status
    satisfied = status == "pass"
    description = (
        f"{control.id} {control.title}: {status} over the period"
        f" (last day: {cp.end_status}). {cp.rules} rules; {cp.evaluations} evaluations:"
        f" {cp.passed} pass, {cp.failed} fail, {cp.gaps} gap, {cp.not_applicable} not applicable."
        f" Days: {_days(cp)}."
    )
    if cp.latest:
        description += f" Latest evidence observed {utc_iso(cp.latest)}."
    reasons = "; ".join(line(reason) for reason in cp.gap_reasons if line(reason))
    status_remarks = EXPLAINED.get(status, "") + (f" {reasons}." if reasons else "")
    target = {
        "type": "objective-id",
        "target-id": control.id.lower(),
        "title": line(f"{control.id} {control.title}"),
        "props": props(("label", control.id)),
        "status": compact(
            {
                "state": "satisfied" if satisfied else "not-satisfied",
                "reason": REASONS.get(status, "other"),
                "remarks": status_remarks.strip(),
            }
        ),
        "implementation-status": None if cp.applicable else {"state": "not-applicable"},
    }
    links = [
        {"href": f"#{attachment_uuid(a)}", "rel": "evidence", "text": line(a.file_name) or a.sha256}
        for a in cp.attachments
    ]
    return compact(
        {
            "uuid": oscal_uuid("finding", document, control.id),
            "title": line(f"{control.id} {control.title}: {status}"),
            "description": description,
            "props": props(
                ("status", status),
                ("end-status", cp.end_status),
                ("automation", control.automation),
                ("applicable", "yes" if cp.applicable else "no"),
                ("rules", cp.rules),
                ("evaluations", cp.evaluations),
                ("passed", cp.passed),
                ("failed", cp.failed),
                ("gaps", cp.gaps),
                ("not-applicable", cp.not_applicable),
                ("related-observations", related),
                ("latest-evidence", utc_iso(cp.latest) if cp.latest else None),
            ),
            "links": links,
            "origins": [{"actors": [{"type": "tool", "actor-uuid": TOOL_UUID}]}],
            "target": compact(target),
        }
    )


def _chain(run: RunRef) -> str:
    if not run.digest:
        return "no signed digest"
    records = json.loads(run.digest).get("records", {})
    heads = ", ".join(
        f"{table} {entry['count']} head {entry['head']}" for table, entry in sorted(records.items())
    )
    return f"chain position {run.chain_position}, digest sha256 {run.digest_sha256}; {heads}"


def result_description(meta: ExportMeta, controls: list[ControlPeriod]) -> str:
    """What the result covers: period, scope, and each run with its digest-chain heads."""
    scope, period = meta.scope, meta.scope.period
    named = ", ".join(scope.controls) if scope.controls else f"all ({len(controls)})"
    targets = ", ".join(scope.targets) if scope.targets else "all"
    runs = "\n".join(
        f"- run {run.id} ({run.trigger}, started {utc_iso(run.started_at)}, {run.status}):"
        f" {_chain(run)}"
        for run in meta.runs
    )
    return (
        f"Automated evidence collected by annexa {meta.agent_version} for {meta.catalogue_version}"
        f" on the UTC days {period.start.isoformat()} to {period.end.isoformat()}.\n\n"
        f"Controls: {named}. Targets: {targets}.\n\nRuns ({len(meta.runs)}):\n{runs or '- none'}"
    )


def tool_assets(version: str) -> dict[str, Any]:
    """The assessment assets: annexa itself, the tool every observation originates from."""
    return {
        "components": [
            {
                "uuid": TOOL_UUID,
                "type": "software",
                "title": "annexa",
                "description": "Read-only evidence collector for ISO/IEC 27001:2022 Annex A.",
                "props": props(("version", version)),
                "status": {"state": "operational"},
            }
        ],
        "assessment-platforms": [
            {
                "uuid": oscal_uuid("platform", "annexa"),
                "title": "annexa",
                "uses-components": [{"component-uuid": TOOL_UUID}],
            }
        ],
    }


def _run_resource(run: RunRef) -> dict[str, Any]:
    rlinks = None
    if run.digest and run.signature and run.digest_sha256 and run.chain_position is not None:
        rlinks = [
            {
                "href": f"../runs/{run.chain_position:06d}-{run.id}.digest.json",
                "media-type": "application/json",
                "hashes": [{"algorithm": "SHA-256", "value": run.digest_sha256}],
            }
        ]
    return compact(
        {
            "uuid": oscal_uuid("run", run.id, run.digest_sha256),
            "title": f"annexa run {run.id}",
            "description": f"Signed digest of run {run.id}: {_chain(run)}.",
            "props": props(
                ("run-id", run.id),
                ("trigger", run.trigger),
                ("status", run.status),
                ("started-at", utc_iso(run.started_at)),
                ("finished-at", utc_iso(run.finished_at) if run.finished_at else None),
                ("chain-position", run.chain_position),
                ("digest-sha256", run.digest_sha256),
                ("key-id", run.key_id),
                ("signature", run.signature),
            ),
            "rlinks": rlinks,
        }
    )


def back_matter(meta: ExportMeta, controls: list[ControlPeriod]) -> dict[str, Any]:
    """The assessment plan placeholder (first), one resource per run, one per manual evidence
    file (hrefs are relative to ``oscal/`` in the bundle)."""
    plan = {
        "uuid": oscal_uuid(
            "assessment-plan", str(meta.scope.period.start), str(meta.scope.period.end)
        ),
        "title": "Assessment plan (placeholder)",
        "description": (
            "annexa issues no OSCAL assessment plan: what it assesses is set by its configuration"
            " (targets, connectors) and its rule sets, whose digests are in the metadata."
        ),
    }
    attachments = [
        compact(
            {
                "uuid": attachment_uuid(a),
                "title": line(a.file_name) or a.sha256,
                "description": line(a.note) or None,
                "props": props(
                    ("control", a.control),
                    ("effective-from", a.effective_from.isoformat()),
                    (
                        "effective-to",
                        a.effective_to.isoformat() if a.effective_to else "open-ended",
                    ),
                    ("added-at", utc_iso(a.added_at)),
                    ("size", a.size),
                ),
                "rlinks": [
                    {
                        "href": "../" + quote(a.path),
                        "media-type": line(a.media_type) or "application/octet-stream",
                        "hashes": [{"algorithm": "SHA-256", "value": a.sha256}],
                    }
                ],
            }
        )
        for cp in controls
        for a in cp.attachments
    ]
    return {"resources": [plan, *(_run_resource(run) for run in meta.runs), *attachments]}
