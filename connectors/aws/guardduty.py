"""Amazon GuardDuty: the region's threat-detection detector, its protection plans and the
active high-severity findings it holds, per region.

A region always yields one observation. Without a detector GuardDuty is off there: that is a
real ``enabled = false`` observation (a fail), not a gap. A region has at most one detector per
account; should an endpoint list several, each is observed.

Protection plans come from the detector's ``Features``; an endpoint that answers only with the
older ``DataSources`` block (moto does) has those mapped to the same feature names. Active
high-severity findings are counted with one ``GetFindingsStatistics`` call grouped by severity
(not archived, severity 7 or more: High and Critical). A statistics call that fails or answers
without severity groups makes ``high_severity_findings`` a gap, never zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.connectors.aws.common import paginate
from annexa.connectors.base import Connector, Kind, UnitContext, Unreadable
from annexa.connectors.records import Observation

HIGH_SEVERITY = 7
ACTIVE_HIGH_FINDINGS = {
    "Criterion": {
        "service.archived": {"Equals": ["false"]},
        "severity": {"GreaterThanOrEqual": HIGH_SEVERITY},
    }
}

DETECTOR = Kind(
    "aws.guardduty.detector",
    "The region's GuardDuty detector (enabled false when the region has none)",
    {
        "enabled": "a detector exists and its status is ENABLED",
        "detector_id": "the detector id (null: no detector in the region)",
        "features": "protection plan (feature) name -> status, e.g. S3_DATA_EVENTS: ENABLED",
        "protections_enabled": "sorted names of the features whose status is ENABLED",
        "finding_publishing_frequency": "FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS",
        "high_severity_findings": "active (not archived) findings of severity 7 or more "
        "(null: no detector)",
        "tags": "resource tags (secret-looking values redacted)",
    },
)

# Legacy DataSources entries and the feature each corresponds to (path of keys to the status).
DATA_SOURCE_FEATURES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("CloudTrail",), "CLOUD_TRAIL"),
    (("DNSLogs",), "DNS_LOGS"),
    (("FlowLogs",), "FLOW_LOGS"),
    (("S3Logs",), "S3_DATA_EVENTS"),
    (("Kubernetes", "AuditLogs"), "EKS_AUDIT_LOGS"),
    (("MalwareProtection", "ScanEc2InstanceWithFindings", "EbsVolumes"), "EBS_MALWARE_PROTECTION"),
)


def features_dict(detector: dict[str, Any]) -> dict[str, str]:
    """Feature name -> status; legacy data sources fill in features the answer does not list."""
    features = {f["Name"]: f.get("Status", "DISABLED") for f in detector.get("Features") or []}
    for path, name in DATA_SOURCE_FEATURES:
        node: Any = detector.get("DataSources") or {}
        for key in path:
            node = (node.get(key) or {}) if isinstance(node, dict) else {}
        if name not in features and isinstance(node, dict) and node.get("Status"):
            features[name] = node["Status"]
    return dict(sorted(features.items()))


def transform_detector(detector_id: str, detector: dict[str, Any]) -> dict[str, Any]:
    features = features_dict(detector)
    return {
        "enabled": detector.get("Status") == "ENABLED",
        "detector_id": detector_id,
        "features": features,
        "protections_enabled": [name for name, status in features.items() if status == "ENABLED"],
        "finding_publishing_frequency": detector.get("FindingPublishingFrequency"),
        "tags": dict(detector.get("Tags") or {}),
    }


def get_high_severity_findings(guardduty: Any, detector_id: str) -> int | Unreadable:
    """Active findings of severity 7 or more, from one statistics call grouped by severity."""
    statistics = guardduty.get_findings_statistics(
        DetectorId=detector_id,
        GroupBy="SEVERITY",
        FindingCriteria=ACTIVE_HIGH_FINDINGS,
        MaxResults=100,
    ).get("FindingStatistics", {})
    if "GroupedBySeverity" in statistics:
        groups = statistics["GroupedBySeverity"]
        return sum(
            int(g.get("TotalFindings", 0))
            for g in groups
            if float(g.get("Severity", 0)) >= HIGH_SEVERITY
        )
    return Unreadable("GetFindingsStatistics answered without findings grouped by severity")


class GuardDutyConnector(Connector):
    name = "aws.guardduty"
    provider = "aws"
    description = "GuardDuty detector, protection plans and active high-severity findings"
    regional = True
    kinds = (DETECTOR,)
    permissions = (
        "guardduty:ListDetectors",
        "guardduty:GetDetector",
        "guardduty:GetFindingsStatistics",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        guardduty = ctx.session.client("guardduty", ctx.scope.region)
        detector_ids = list(paginate(guardduty, "list_detectors", "DetectorIds"))
        if not detector_ids:
            yield _no_detector(ctx)
        for detector_id in detector_ids:
            yield _detector(ctx, guardduty, detector_id)


def _arn(ctx: UnitContext, detector_id: str | None = None) -> str:
    arn = f"arn:aws:guardduty:{ctx.scope.region}:{ctx.scope.account}:detector"
    return f"{arn}/{detector_id}" if detector_id else arn


def _no_detector(ctx: UnitContext) -> Observation:
    reads = ctx.reads("guardduty:ListDetectors")
    reads.set("enabled", False)
    reads.set("detector_id", None)
    reads.set("features", {})
    reads.set("protections_enabled", [])
    reads.set("finding_publishing_frequency", None)
    reads.set("high_severity_findings", None)
    reads.set("tags", {})
    return ctx.observe("aws.guardduty.detector", _arn(ctx), reads)


def _detector(ctx: UnitContext, guardduty: Any, detector_id: str) -> Observation:
    reads = ctx.reads("guardduty:ListDetectors")
    reads.set("detector_id", detector_id)
    reads.read_many(
        ("enabled", "features", "protections_enabled", "finding_publishing_frequency", "tags"),
        lambda: transform_detector(detector_id, guardduty.get_detector(DetectorId=detector_id)),
    )
    reads.read("high_severity_findings", lambda: get_high_severity_findings(guardduty, detector_id))
    return ctx.observe("aws.guardduty.detector", _arn(ctx, detector_id), reads)
