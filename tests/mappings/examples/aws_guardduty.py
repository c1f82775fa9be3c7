"""Pass and fail examples for the GuardDuty rules."""

ALL_ON = {
    "CLOUD_TRAIL": "ENABLED",
    "DNS_LOGS": "ENABLED",
    "FLOW_LOGS": "ENABLED",
    "S3_DATA_EVENTS": "ENABLED",
    "EKS_AUDIT_LOGS": "ENABLED",
    "EBS_MALWARE_PROTECTION": "ENABLED",
    "RUNTIME_MONITORING": "ENABLED",
}
FOUNDATIONAL = {"CLOUD_TRAIL": "ENABLED", "DNS_LOGS": "ENABLED", "FLOW_LOGS": "ENABLED"}
ON = {"enabled": True, "detector_id": "12abc34d567e8fa901bc2d34e56789f0"}
OFF = {"enabled": False, "detector_id": None, "features": {}}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.guardduty.detector.enabled": (
        {**ON, "finding_publishing_frequency": "FIFTEEN_MINUTES"},
        {**OFF, "finding_publishing_frequency": None},
    ),
    "aws.guardduty.detector.s3-protection": (
        {**ON, "features": ALL_ON},
        {**ON, "features": {**FOUNDATIONAL, "S3_DATA_EVENTS": "DISABLED"}},
    ),
    "aws.guardduty.detector.eks-audit-logs": (
        {**ON, "features": ALL_ON},
        {**ON, "features": {**ALL_ON, "EKS_AUDIT_LOGS": "DISABLED"}},
    ),
    "aws.guardduty.detector.runtime-monitoring": (
        {**ON, "features": {**FOUNDATIONAL, "EKS_RUNTIME_MONITORING": "ENABLED"}},
        {**ON, "features": {**ALL_ON, "RUNTIME_MONITORING": "DISABLED"}},
    ),
    "aws.guardduty.detector.malware-protection": (
        {**ON, "features": ALL_ON},
        {**ON, "features": FOUNDATIONAL},
    ),
    "aws.guardduty.detector.no-active-high-findings": (
        {**ON, "high_severity_findings": 0},
        {**ON, "enabled": False, "high_severity_findings": 3},
    ),
}
