"""Demo seed: Security Hub.

Security Hub is on in eu-west-1 with the default standards and consolidated control findings;
us-east-1 was never subscribed. moto cannot list enabled standards, so the demo shows them as a
gap in eu-west-1.
"""

from __future__ import annotations

REGION = "eu-west-1"


def seed() -> None:
    """Enable the demo hub through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    securityhub = boto3.client("securityhub", region_name=REGION)
    securityhub.enable_security_hub(
        EnableDefaultStandards=True,
        ControlFindingGenerator="SECURITY_CONTROL",
        Tags={"owner": "security-operations"},
    )
