"""Pass and fail examples for the CloudWatch Logs and CIS security-monitoring rules."""

from typing import Any

TRAIL_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:cloudtrail/org-audit"


def _event(filter_name: str | None, alarms: list[str]) -> dict[str, Any]:
    return {
        "filter": filter_name,
        "log_group": TRAIL_GROUP if filter_name else None,
        "alarms": alarms,
        "monitored": bool(alarms),
    }


def _monitoring(attribute: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"trail_log_groups": [TRAIL_GROUP], attribute: event}


EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.logs.log_group.retention": (
        {"name": "/aws/lambda/api", "retention_days": None},
        {"name": "/aws/lambda/api", "retention_days": 30},
    ),
    "aws.logs.log_group.kms-encryption": (
        {"name": "cloudtrail/org-audit", "kms_key_id": "arn:aws:kms:us-east-1:123456789012:key/k"},
        {"name": "cloudtrail/org-audit", "kms_key_id": None},
    ),
    "aws.cloudwatch.security_monitoring.root-account-usage": (
        _monitoring(
            "root_account_usage", _event("cis-root-account-usage", ["cis-root-account-usage-alarm"])
        ),
        _monitoring("root_account_usage", _event("cis-root-account-usage", [])),
    ),
    "aws.cloudwatch.security_monitoring.unauthorized-api-calls": (
        _monitoring(
            "unauthorized_api_calls",
            _event("cis-unauthorized-api-calls", ["cis-unauthorized-api-calls-alarm"]),
        ),
        _monitoring("unauthorized_api_calls", _event("cis-unauthorized-api-calls", [])),
    ),
    "aws.cloudwatch.security_monitoring.console-signin-without-mfa": (
        _monitoring(
            "console_signin_without_mfa",
            _event("cis-console-signin-without-mfa", ["cis-console-signin-without-mfa-alarm"]),
        ),
        _monitoring("console_signin_without_mfa", _event("cis-console-signin-without-mfa", [])),
    ),
    "aws.cloudwatch.security_monitoring.iam-policy-changes": (
        _monitoring(
            "iam_policy_changes", _event("cis-iam-policy-changes", ["cis-iam-policy-changes-alarm"])
        ),
        _monitoring("iam_policy_changes", _event("cis-iam-policy-changes", [])),
    ),
    "aws.cloudwatch.security_monitoring.cloudtrail-config-changes": (
        _monitoring(
            "cloudtrail_config_changes",
            _event("cis-cloudtrail-config-changes", ["cis-cloudtrail-config-changes-alarm"]),
        ),
        _monitoring("cloudtrail_config_changes", _event("cis-cloudtrail-config-changes", [])),
    ),
    "aws.cloudwatch.security_monitoring.config-changes": (
        _monitoring("config_changes", _event("cis-config-changes", ["cis-config-changes-alarm"])),
        _monitoring("config_changes", _event("cis-config-changes", [])),
    ),
}
