"""Demo seed: GuardDuty detectors.

In eu-west-1 an enabled detector publishes findings every fifteen minutes with S3 Protection,
EKS audit-log monitoring and Malware Protection for EC2 on, but Runtime Monitoring off. us-east-1
has no detector at all: GuardDuty was never turned on there. moto has no findings statistics, so
the demo shows the high-severity finding count as a gap.
"""

from __future__ import annotations

REGION = "eu-west-1"


def seed() -> None:
    """Seed a demo detector through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    guardduty = boto3.client("guardduty", region_name=REGION)
    guardduty.create_detector(
        Enable=True,
        FindingPublishingFrequency="FIFTEEN_MINUTES",
        Features=[
            {"Name": "CLOUD_TRAIL", "Status": "ENABLED"},
            {"Name": "DNS_LOGS", "Status": "ENABLED"},
            {"Name": "FLOW_LOGS", "Status": "ENABLED"},
            {"Name": "S3_DATA_EVENTS", "Status": "ENABLED"},
            {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
            {"Name": "EBS_MALWARE_PROTECTION", "Status": "ENABLED"},
            {"Name": "RUNTIME_MONITORING", "Status": "DISABLED"},
        ],
        Tags={"owner": "security-operations"},
    )
