"""Demo seed: CloudWatch Logs log groups and CIS security monitoring.

The core seed's multi-region trail ``org-audit`` delivers every region's events to the log group
``cloudtrail/org-audit`` in us-east-1. Here that group gets metric filters: root user activity
and unauthorized API calls alarm to an SNS topic; IAM policy changes are counted but their alarm
has no action; CloudTrail and AWS Config changes and console sign-ins without MFA are not
watched at all. In eu-west-1 an application team put a root-usage filter and alarm on its own log
group, which CloudTrail does not feed: it monitors nothing. Log groups there show retention of a
year or more, a 30-day group and never-expiring ones, with and without a KMS key.
"""

from __future__ import annotations

from typing import Any

ACCOUNT = "123456789012"
REGION = "eu-west-1"
TRAIL_REGION = "us-east-1"
# Created by seed_core (which runs after this module): seeds run in name order, and CloudWatch
# Logs in the simulator accepts metric filters before their log group exists.
TRAIL_LOG_GROUP = "cloudtrail/org-audit"
NAMESPACE = "CISBenchmark"

ROOT_USAGE = (
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS '
    '&& $.eventType != "AwsServiceEvent" }'
)
UNAUTHORIZED = (
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") '
    '|| ($.sourceIPAddress != "delivery.logs.amazonaws.com") || ($.eventName != "HeadBucket") }'
)
IAM_POLICY = (
    "{"
    + "||".join(
        f"($.eventName={name})"
        for name in (
            "DeleteGroupPolicy",
            "DeleteRolePolicy",
            "DeleteUserPolicy",
            "PutGroupPolicy",
            "PutRolePolicy",
            "PutUserPolicy",
            "CreatePolicy",
            "DeletePolicy",
            "CreatePolicyVersion",
            "DeletePolicyVersion",
            "AttachRolePolicy",
            "DetachRolePolicy",
            "AttachUserPolicy",
            "DetachUserPolicy",
            "AttachGroupPolicy",
            "DetachGroupPolicy",
        )
    )
    + "}"
)


def _watch(
    logs: Any, cloudwatch: Any, group: str, metric: str, pattern: str, actions: list[str]
) -> None:
    """A metric filter counting ``pattern`` on ``group`` and an alarm on its metric."""
    logs.put_metric_filter(
        logGroupName=group,
        filterName=metric,
        filterPattern=pattern,
        metricTransformations=[
            {"metricName": metric, "metricNamespace": NAMESPACE, "metricValue": "1"}
        ],
    )
    cloudwatch.put_metric_alarm(
        AlarmName=f"{metric}-alarm",
        MetricName=metric,
        Namespace=NAMESPACE,
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=actions,
    )


def seed() -> None:
    """Seed log groups, filters and alarms through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    topic = boto3.client("sns", region_name=TRAIL_REGION).create_topic(Name="security-alerts")
    alert = [topic["TopicArn"]]
    logs = boto3.client("logs", region_name=TRAIL_REGION)
    cloudwatch = boto3.client("cloudwatch", region_name=TRAIL_REGION)
    _watch(logs, cloudwatch, TRAIL_LOG_GROUP, "RootAccountUsage", ROOT_USAGE, alert)
    _watch(logs, cloudwatch, TRAIL_LOG_GROUP, "UnauthorizedApiCalls", UNAUTHORIZED, alert)
    _watch(logs, cloudwatch, TRAIL_LOG_GROUP, "IamPolicyChanges", IAM_POLICY, [])

    key = boto3.client("kms", region_name=REGION).create_key(Description="application logs")
    key_arn = key["KeyMetadata"]["Arn"]
    logs = boto3.client("logs", region_name=REGION)
    groups: list[tuple[str, int | None, str | None]] = [
        ("/ecs/payments", 400, key_arn),
        ("/app/audit", 3653, key_arn),
        ("/aws/lambda/orders-api", 30, None),
        ("/aws/rds/instance/legacy-db/error", None, None),
    ]
    for name, retention, kms in groups:
        logs.create_log_group(logGroupName=name, **({"kmsKeyId": kms} if kms else {}))
        if retention:
            logs.put_retention_policy(logGroupName=name, retentionInDays=retention)
    team_topic = boto3.client("sns", region_name=REGION).create_topic(Name="payments-oncall")
    _watch(
        logs,
        boto3.client("cloudwatch", region_name=REGION),
        "/ecs/payments",
        "PaymentsRootUsage",
        ROOT_USAGE,
        [team_topic["TopicArn"]],
    )
