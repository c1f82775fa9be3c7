"""Pass and fail examples for the Security Hub rules."""

FSBP = "arn:aws:securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0"
HUB = {
    "enabled": True,
    "hub_arn": "arn:aws:securityhub:eu-west-1:123456789012:hub/default",
    "subscribed_at": "2024-02-01T09:30:00.000Z",
    "control_finding_generator": "SECURITY_CONTROL",
}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.securityhub.hub.enabled": (
        HUB,
        {"enabled": False, "hub_arn": None, "subscribed_at": None, "standards": []},
    ),
    "aws.securityhub.hub.standard-enabled": (
        {
            **HUB,
            "standards": [
                {
                    "arn": FSBP,
                    "name": "aws-foundational-security-best-practices v1.0.0",
                    "status": "READY",
                    "status_reason": None,
                }
            ],
            "enabled_standards": ["aws-foundational-security-best-practices v1.0.0"],
        },
        {
            **HUB,
            "standards": [
                {
                    "arn": FSBP,
                    "name": "aws-foundational-security-best-practices v1.0.0",
                    "status": "INCOMPLETE",
                    "status_reason": "NO_AVAILABLE_CONFIGURATION_RECORDER",
                }
            ],
            "enabled_standards": [],
        },
    ),
}
