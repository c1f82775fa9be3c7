"""CloudWatch Logs and CIS security monitoring through boto3 against moto over HTTP, two regions.

moto 5.2.5 differs from AWS in ways that matter here: it never reports ``logGroupClass`` nor a
real ``metricFilterCount`` (always 0), and it answers DescribeLogGroups, DescribeMetricFilters
and DescribeAlarms in one page. Those fields, NextToken paging, metric-math alarms and an
organization trail delivering to another account's log group are tested with Stubber in real
AWS's shapes. CloudWatch speaks CBOR (smithy-rpc-v2), which the fault proxy cannot answer, so a
denied DescribeAlarms is a Stubber client error too.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from annexa.collector.runner import check_observation
from annexa.connectors.aws.cis_monitoring import EVENTS, matches, terms
from annexa.connectors.aws.cloudwatch import CloudWatchConnector, log_group_key
from annexa.connectors.aws.provider import AwsProvider
from annexa.connectors.base import UnitContext
from annexa.connectors.errors import PermissionDenied
from annexa.connectors.records import Observation, Scope
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.aws import ACCOUNT, by_id, client, open_session, run_unit

EVENT = {event.attribute: event for event in EVENTS}
ROLE = f"arn:aws:iam::{ACCOUNT}:role/cloudtrail-to-logs"
MONITORING = "aws.cloudwatch.security_monitoring"
NAMESPACE = "CISBenchmark"
ROOT_USAGE = (
    "{$.userIdentity.type=Root&&$.userIdentity.invokedBy NOT EXISTS&&$.eventType!=AwsServiceEvent}"
)
UNAUTHORIZED = (
    '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") '
    '|| ($.sourceIPAddress!="delivery.logs.amazonaws.com") || ($.eventName!="HeadBucket") }'
)
IAM_NAMES = sorted(term[2] for term in EVENT["iam_policy_changes"].required)
IAM_POLICY = "{" + "||".join(f"($.eventName={name})" for name in IAM_NAMES) + "}"
CLOUDTRAIL = (
    "{ ($.eventName = CreateTrail) || ($.eventName = UpdateTrail) || ($.eventName = DeleteTrail)"
    " || ($.eventName = StartLogging) || ($.eventName = StopLogging) }"
)
NO_MFA = '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") }'
CONFIG = (
    "{ ($.eventSource = config.amazonaws.com) && (($.eventName=StopConfigurationRecorder)"
    "||($.eventName=DeleteDeliveryChannel)||($.eventName=PutDeliveryChannel)"
    "||($.eventName=PutConfigurationRecorder)) }"
)


def group_arn(region: str, name: str) -> str:
    return f"arn:aws:logs:{region}:{ACCOUNT}:log-group:{name}"


def monitoring_arn(region: str) -> str:
    return f"arn:aws:cloudwatch:{region}:{ACCOUNT}:security-monitoring"


def watch(
    endpoint: str,
    region: str,
    group: str,
    metric: str,
    pattern: str,
    actions: list[str],
    *,
    enabled: bool = True,
) -> None:
    """A metric filter on ``group`` and an alarm on its metric."""
    client(endpoint, "logs", region).put_metric_filter(
        logGroupName=group,
        filterName=metric,
        filterPattern=pattern,
        metricTransformations=[
            {"metricName": metric, "metricNamespace": NAMESPACE, "metricValue": "1"}
        ],
    )
    client(endpoint, "cloudwatch", region).put_metric_alarm(
        AlarmName=f"{metric}-alarm",
        MetricName=metric,
        Namespace=NAMESPACE,
        Statistic="Sum",
        Period=300,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        AlarmActions=actions,
        ActionsEnabled=enabled,
    )


def trail(endpoint: str, region: str, name: str, group: str, multi_region: bool) -> None:
    s3 = client(endpoint, "s3", region)
    bucket = f"{name}-bucket"
    location = {} if region == "us-east-1" else {"LocationConstraint": region}
    s3.create_bucket(Bucket=bucket, **({"CreateBucketConfiguration": location} if location else {}))
    client(endpoint, "cloudtrail", region).create_trail(
        Name=name,
        S3BucketName=bucket,
        IsMultiRegionTrail=multi_region,
        CloudWatchLogsLogGroupArn=f"{group_arn(region, group)}:*",
        CloudWatchLogsRoleArn=ROLE,
    )


@pytest.fixture
def estate(moto: str) -> dict[str, str]:
    """us-east-1: a multi-region trail into ``cloudtrail/main`` (a year's retention, KMS) with
    root and unauthorized-call filters alarmed to SNS, an IAM filter whose alarm has no action,
    a CloudTrail filter whose alarm's actions are disabled, and a sign-in-without-MFA filter on
    an application group CloudTrail does not feed. eu-west-1: a regional trail into
    ``cloudtrail/eu`` (30 days) whose AWS Config filter is alarmed."""
    kms = client(moto, "kms", "us-east-1").create_key()["KeyMetadata"]["Arn"]
    topic = client(moto, "sns", "us-east-1").create_topic(Name="alerts")["TopicArn"]
    us = client(moto, "logs", "us-east-1")
    us.create_log_group(logGroupName="cloudtrail/main", kmsKeyId=kms)
    us.put_retention_policy(logGroupName="cloudtrail/main", retentionInDays=365)
    us.create_log_group(logGroupName="/app/web")
    trail(moto, "us-east-1", "main-trail", "cloudtrail/main", multi_region=True)
    watch(moto, "us-east-1", "cloudtrail/main", "RootUsage", ROOT_USAGE, [topic])
    watch(moto, "us-east-1", "cloudtrail/main", "Unauthorized", UNAUTHORIZED, [topic])
    watch(moto, "us-east-1", "cloudtrail/main", "IamPolicy", IAM_POLICY, [])
    watch(moto, "us-east-1", "cloudtrail/main", "TrailChanges", CLOUDTRAIL, [topic], enabled=False)
    watch(moto, "us-east-1", "/app/web", "NoMfa", NO_MFA, [topic])

    eu_topic = client(moto, "sns", "eu-west-1").create_topic(Name="alerts")["TopicArn"]
    eu = client(moto, "logs", "eu-west-1")
    eu.create_log_group(logGroupName="cloudtrail/eu")
    eu.put_retention_policy(logGroupName="cloudtrail/eu", retentionInDays=30)
    trail(moto, "eu-west-1", "eu-trail", "cloudtrail/eu", multi_region=False)
    watch(moto, "eu-west-1", "cloudtrail/eu", "ConfigChanges", CONFIG, [eu_topic])
    return {"kms": kms, "topic": topic}


def evaluate(observation: Observation) -> dict[str, tuple[str, str]]:
    engine = RuleEngine([r for r in load_rules() if r.kind == observation.kind])
    return {e.rule_id: (e.status, e.reason) for e in engine.evaluate(observation)}


def test_log_groups(moto: str, estate: dict[str, str]) -> None:
    session = open_session(moto)
    us, _ = run_unit(CloudWatchConnector, moto, "us-east-1", session)
    eu, _ = run_unit(CloudWatchConnector, moto, "eu-west-1", session)
    groups = by_id(us, "aws.logs.log_group")
    assert set(groups) == {
        group_arn("us-east-1", "cloudtrail/main"),
        group_arn("us-east-1", "/app/web"),
    }

    main = groups[group_arn("us-east-1", "cloudtrail/main")]
    assert {k: v for k, v in main.attributes.items() if k != "created_at"} == {
        "name": "cloudtrail/main",
        "retention_days": 365,
        "kms_key_id": estate["kms"],
        "stored_bytes": 0,
        "log_group_class": "STANDARD",
        "metric_filter_count": 0,
        "receives_cloudtrail": True,
    }
    assert main.attributes["created_at"].endswith("Z")
    assert set(main.source) == {"logs:DescribeLogGroups", "cloudtrail:DescribeTrails"}
    verdicts = evaluate(main)
    assert verdicts["aws.logs.log_group.retention"] == (
        "pass",
        "cloudtrail/main keeps events 365 days",
    )
    assert verdicts["aws.logs.log_group.kms-encryption"][0] == "pass"

    web = groups[group_arn("us-east-1", "/app/web")]
    assert web.attributes["retention_days"] is None and web.attributes["kms_key_id"] is None
    assert web.attributes["receives_cloudtrail"] is False
    verdicts = evaluate(web)
    assert verdicts["aws.logs.log_group.retention"] == (
        "pass",
        "/app/web keeps events without expiry",
    )
    status, reason = verdicts["aws.logs.log_group.kms-encryption"]
    assert status == "fail" and "own server-side encryption" in reason

    [eu_group] = by_id(eu, "aws.logs.log_group").values()
    assert eu_group.resource_id == group_arn("eu-west-1", "cloudtrail/eu")
    assert eu_group.attributes["receives_cloudtrail"] is True
    status, reason = evaluate(eu_group)["aws.logs.log_group.retention"]
    assert (
        status == "fail"
        and reason == "cloudtrail/eu keeps events only 30 days (at least 365 required)"
    )


def test_security_monitoring_in_two_regions(moto: str, estate: dict[str, str]) -> None:
    session = open_session(moto)
    us, _ = run_unit(CloudWatchConnector, moto, "us-east-1", session)
    eu, _ = run_unit(CloudWatchConnector, moto, "eu-west-1", session)
    main = group_arn("us-east-1", "cloudtrail/main")

    us_mon = by_id(us, MONITORING)[monitoring_arn("us-east-1")]
    attrs = us_mon.attributes
    assert us_mon.gaps == {}
    assert attrs["trail_log_groups"] == [main]  # eu-trail records eu-west-1 only
    assert attrs["root_account_usage"] == {
        "filter": "RootUsage",
        "log_group": main,
        "alarms": ["RootUsage-alarm"],
        "monitored": True,
    }
    assert attrs["unauthorized_api_calls"]["monitored"] is True
    # Counted, but the alarm has no action / its actions are disabled: nobody is told.
    assert attrs["iam_policy_changes"] == {
        "filter": "IamPolicy",
        "log_group": main,
        "alarms": [],
        "monitored": False,
    }
    assert attrs["cloudtrail_config_changes"]["filter"] == "TrailChanges"
    assert attrs["cloudtrail_config_changes"]["monitored"] is False
    # The application group's sign-in filter does not count: CloudTrail does not feed it.
    assert attrs["console_signin_without_mfa"] == {
        "filter": None,
        "log_group": None,
        "alarms": [],
        "monitored": False,
    }
    assert attrs["config_changes"]["filter"] is None
    assert attrs["monitored_events"] == ["root_account_usage", "unauthorized_api_calls"]
    assert len(attrs["unmonitored_events"]) == len(EVENTS) - 2
    verdicts = evaluate(us_mon)
    prefix = "aws.cloudwatch.security_monitoring."
    assert verdicts[prefix + "root-account-usage"] == (
        "pass",
        f"Root user activity counted by metric filter RootUsage on {main}, alarm(s) RootUsage-alarm",
    )
    status, reason = verdicts[prefix + "iam-policy-changes"]
    assert status == "fail"
    assert reason == (
        f"IAM policy changes not alarmed on: metric filter IamPolicy, alarm(s) with actions none;"
        f" CloudTrail log groups {main}"
    )
    assert verdicts[prefix + "cloudtrail-config-changes"][0] == "fail"
    assert verdicts[prefix + "console-signin-without-mfa"][0] == "fail"
    assert verdicts[prefix + "config-changes"][0] == "fail"

    # eu-west-1 is recorded by its own trail and by the multi-region trail homed in us-east-1.
    eu_attrs = by_id(eu, MONITORING)[monitoring_arn("eu-west-1")].attributes
    assert eu_attrs["trail_log_groups"] == [group_arn("eu-west-1", "cloudtrail/eu"), main]
    assert eu_attrs["config_changes"] == {
        "filter": "ConfigChanges",
        "log_group": group_arn("eu-west-1", "cloudtrail/eu"),
        "alarms": ["ConfigChanges-alarm"],
        "monitored": True,
    }
    assert eu_attrs["root_account_usage"]["log_group"] == main
    assert eu_attrs["monitored_events"] == [
        "root_account_usage",
        "unauthorized_api_calls",
        "config_changes",
    ]


def test_calls_per_region_and_shared_reads(moto: str, estate: dict[str, str]) -> None:
    """Four listings per region however many log groups; the us-east-1 filters and alarms that
    serve the multi-region trail are read once per run, not again by the eu-west-1 unit."""
    session = open_session(moto)
    _, us = run_unit(CloudWatchConnector, moto, "us-east-1", session)
    expected = {
        "cloudtrail:DescribeTrails": 1,
        "logs:DescribeLogGroups": 1,
        "logs:DescribeMetricFilters": 1,
        "cloudwatch:DescribeAlarms": 1,
    }
    assert dict(us.operations) == expected and us.requests == 4
    _, eu = run_unit(CloudWatchConnector, moto, "eu-west-1", session)
    assert dict(eu.operations) == expected and eu.requests == 4

    logs = client(moto, "logs", "eu-west-1")
    for index in range(30):
        logs.create_log_group(logGroupName=f"/aws/lambda/fn-{index}")
    observations, alone = run_unit(CloudWatchConnector, moto, "eu-west-1")  # a fresh session
    assert len(by_id(observations, "aws.logs.log_group")) == 31
    assert alone.operations["logs:DescribeMetricFilters"] == 2  # eu-west-1 and us-east-1
    assert alone.operations["cloudwatch:DescribeAlarms"] == 2
    assert alone.operations["logs:DescribeLogGroups"] == 1 and alone.requests == 6


def collect(session: Any, region: str) -> tuple[list[Observation], list[str]]:
    """One unit with its notes, sequentially so that Stubber answers in order."""
    ctx = UnitContext(
        run_id="test-run",
        unit_id=f"test/aws.cloudwatch/{region}",
        scope=Scope("aws", ACCOUNT, region),
        session=session,
        translate=AwsProvider().translate_error,
    )
    observations = list(CloudWatchConnector().collect(ctx))
    for obs in observations:
        check_observation(CloudWatchConnector, obs)
    return observations, ctx.notes


def test_denied_metric_filters_are_gaps_not_unmonitored(estate: dict[str, str], proxy: Any) -> None:
    proxy.deny(service="logs", operation="DescribeMetricFilters")
    observations, notes = collect(open_session(proxy.url), "us-east-1")
    assert notes == [] and len(by_id(observations, "aws.logs.log_group")) == 2
    monitoring = by_id(observations, MONITORING)[monitoring_arn("us-east-1")]
    assert monitoring.attributes == {
        "trail_log_groups": [group_arn("us-east-1", "cloudtrail/main")]
    }
    for event in EVENTS:
        assert "metric filters in us-east-1: PermissionDenied" in monitoring.gaps[event.attribute]
    assert set(monitoring.gaps) == {e.attribute for e in EVENTS} | {
        "monitored_events",
        "unmonitored_events",
    }
    for status, reason in evaluate(monitoring).values():
        assert status == "error" and reason.startswith("evidence gap")


def test_filters_denied_in_one_region_keep_what_another_proves(
    estate: dict[str, str], proxy: Any
) -> None:
    """eu-west-1's own filters are unreadable: what us-east-1's filters prove still passes, the
    rest is a gap."""
    proxy.deny(service="logs", region="eu-west-1", operation="DescribeMetricFilters")
    observations, _ = collect(open_session(proxy.url), "eu-west-1")
    monitoring = by_id(observations, MONITORING)[monitoring_arn("eu-west-1")]
    assert monitoring.attributes["root_account_usage"]["monitored"] is True
    assert "config_changes" not in monitoring.attributes
    assert "metric filters in eu-west-1" in monitoring.gaps["config_changes"]
    verdicts = evaluate(monitoring)
    assert verdicts["aws.cloudwatch.security_monitoring.root-account-usage"][0] == "pass"
    assert verdicts["aws.cloudwatch.security_monitoring.config-changes"][0] == "error"


def test_denied_alarms_are_gaps(moto: str, estate: dict[str, str]) -> None:
    session = open_session(moto)
    cloudwatch = session.client("cloudwatch", "us-east-1")
    with Stubber(cloudwatch) as stub:
        stub.add_client_error(
            "describe_alarms", "AccessDenied", "not authorized", http_status_code=403
        )
        observations, _ = collect(session, "us-east-1")
        stub.assert_no_pending_responses()
    monitoring = by_id(observations, MONITORING)[monitoring_arn("us-east-1")]
    assert "root_account_usage" not in monitoring.attributes
    assert monitoring.gaps["root_account_usage"].startswith("alarms in us-east-1: PermissionDenied")


def test_denied_log_groups_leave_monitoring(estate: dict[str, str], proxy: Any) -> None:
    proxy.deny(service="logs", operation="DescribeLogGroups")
    observations, notes = collect(open_session(proxy.url), "us-east-1")
    assert [o.kind for o in observations] == [MONITORING]
    assert len(notes) == 1 and notes[0].startswith("CloudWatch Logs log groups not listed:")
    assert observations[0].attributes["monitored_events"] == [
        "root_account_usage",
        "unauthorized_api_calls",
    ]


def test_denied_trails(estate: dict[str, str], proxy: Any) -> None:
    proxy.deny(service="cloudtrail", operation="DescribeTrails")
    observations, notes = collect(open_session(proxy.url), "us-east-1")
    assert notes == []
    for group in by_id(observations, "aws.logs.log_group").values():
        assert "PermissionDenied" in group.gaps["receives_cloudtrail"]
        assert group.attributes["retention_days"] in (365, None)
    monitoring = by_id(observations, MONITORING)[monitoring_arn("us-east-1")]
    assert monitoring.attributes == {} and "trail_log_groups" in monitoring.gaps
    assert not any(s.operation == "DescribeMetricFilters" for s in proxy.seen)

    proxy.deny(service="logs", operation="DescribeLogGroups")
    with pytest.raises(PermissionDenied):
        collect(open_session(proxy.url), "us-east-1")


ORG_TRAIL = {
    "Name": "org",
    "TrailARN": "arn:aws:cloudtrail:eu-west-1:210987654321:trail/org",
    "HomeRegion": "eu-west-1",
    "IsMultiRegionTrail": True,
    "IsOrganizationTrail": True,
    "CloudWatchLogsLogGroupArn": "arn:aws:logs:eu-west-1:210987654321:log-group:org/trail:*",
}
LOCAL_TRAIL = {
    "Name": "local",
    "TrailARN": f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/local",
    "HomeRegion": "eu-west-1",
    "IsMultiRegionTrail": False,
    "CloudWatchLogsLogGroupArn": f"{group_arn('eu-west-1', 'local/trail')}:*",
}


def _group(name: str, **extra: Any) -> dict[str, Any]:
    return {
        "logGroupName": name,
        "arn": f"{group_arn('eu-west-1', name)}:*",
        "creationTime": 1_700_000_000_000,
        "storedBytes": 2048,
        **extra,
    }


def test_paging_and_real_aws_shapes(moto: str) -> None:
    """Paged log groups with their class and filter count, paged filters, a metric-math alarm,
    and an organization trail whose log group belongs to the management account."""
    session = open_session(moto)
    cloudtrail = session.client("cloudtrail", "eu-west-1")
    logs = session.client("logs", "eu-west-1")
    cloudwatch = session.client("cloudwatch", "eu-west-1")
    with Stubber(cloudtrail) as trails, Stubber(logs) as logs_stub, Stubber(cloudwatch) as alarms:
        trails.add_response(
            "describe_trails",
            {"trailList": [ORG_TRAIL, LOCAL_TRAIL]},
            {"includeShadowTrails": True},
        )
        logs_stub.add_response(
            "describe_log_groups",
            {"logGroups": [_group("local/trail", metricFilterCount=2)], "nextToken": "p2"},
            {},
        )
        logs_stub.add_response(
            "describe_log_groups",
            {"logGroups": [_group("/archive", logGroupClass="INFREQUENT_ACCESS")]},
            {"nextToken": "p2"},
        )
        root = {"metricName": "Root", "metricNamespace": "Sec", "metricValue": "1"}
        logs_stub.add_response(
            "describe_metric_filters",
            {
                "metricFilters": [
                    {
                        "filterName": "root",
                        "logGroupName": "local/trail",
                        "filterPattern": ROOT_USAGE,
                        "metricTransformations": [root],
                    }
                ],
                "nextToken": "f2",
            },
            {},
        )
        logs_stub.add_response(
            "describe_metric_filters",
            {
                "metricFilters": [
                    {
                        "filterName": "unauthorized",
                        "logGroupName": "local/trail",
                        "filterPattern": UNAUTHORIZED,
                        "metricTransformations": [
                            {"metricName": "Denied", "metricNamespace": "Sec", "metricValue": "1"}
                        ],
                    }
                ]
            },
            {"nextToken": "f2"},
        )
        alarms.add_response(
            "describe_alarms",
            {
                "MetricAlarms": [
                    {
                        "AlarmName": "root-rate",
                        "ActionsEnabled": True,
                        "AlarmActions": ["arn:aws:sns:eu-west-1:123456789012:sec"],
                        "Metrics": [
                            {
                                "Id": "m1",
                                "MetricStat": {
                                    "Metric": {"Namespace": "Sec", "MetricName": "Root"},
                                    "Period": 300,
                                    "Stat": "Sum",
                                },
                            },
                            {"Id": "e1", "Expression": "m1 * 2"},
                        ],
                    }
                ]
            },
            {"AlarmTypes": ["MetricAlarm"], "MaxRecords": 100},
        )
        observations, notes = collect(session, "eu-west-1")
        for stub in (trails, logs_stub, alarms):
            stub.assert_no_pending_responses()
    assert notes == []
    groups = by_id(observations, "aws.logs.log_group")
    local = groups[group_arn("eu-west-1", "local/trail")].attributes
    assert local["receives_cloudtrail"] is True and local["metric_filter_count"] == 2
    assert local["created_at"] == "2023-11-14T22:13:20.000000Z"
    assert local["stored_bytes"] == 2048
    archive = groups[group_arn("eu-west-1", "/archive")].attributes
    assert archive["log_group_class"] == "INFREQUENT_ACCESS"
    assert archive["receives_cloudtrail"] is False

    monitoring = by_id(observations, MONITORING)[monitoring_arn("eu-west-1")]
    assert monitoring.attributes["trail_log_groups"] == [
        group_arn("eu-west-1", "local/trail"),
        "arn:aws:logs:eu-west-1:210987654321:log-group:org/trail",
    ]
    assert monitoring.attributes["root_account_usage"]["alarms"] == ["root-rate"]
    assert monitoring.attributes["root_account_usage"]["monitored"] is True
    # Not proven here, and the organization's log group is observed in its own account.
    reason = monitoring.gaps["unauthorized_api_calls"]
    assert reason == "CloudTrail delivers to log groups of account(s) 210987654321, observed there"


def test_pattern_matching() -> None:
    root = EVENT["root_account_usage"]
    assert matches(root, ROOT_USAGE)
    assert matches(
        root,
        '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy not exists '
        '&& $.eventType != "AwsServiceEvent" }',
    )
    assert not matches(root, '{ $.userIdentity.type = "Root" }')  # service events too
    assert not matches(root, ROOT_USAGE[:-1] + ' && $.sourceIPAddress = "10.0.0.1" }')  # narrowed

    unauthorized = EVENT["unauthorized_api_calls"]
    assert matches(unauthorized, UNAUTHORIZED)
    assert matches(
        unauthorized, '{($.errorCode="*UnauthorizedOperation")||($.errorCode="AccessDenied*")}'
    )
    assert not matches(unauthorized, '{ $.errorCode = "AccessDenied*" }')

    iam = EVENT["iam_policy_changes"]
    assert matches(iam, IAM_POLICY)
    widened = IAM_POLICY[:-1] + "||($.eventName=CreateUser)}"
    assert matches(iam, widened) and matches(
        iam, "{($.eventSource=iam.amazonaws.com)&&" + IAM_POLICY[1:]
    )
    assert not matches(iam, IAM_POLICY.replace("($.eventName=DetachGroupPolicy)||", ""))
    assert matches(EVENT["config_changes"], CONFIG)
    assert matches(EVENT["cloudtrail_config_changes"], CLOUDTRAIL)
    assert not matches(EVENT["console_signin_without_mfa"], CLOUDTRAIL)
    assert matches(
        EVENT["console_signin_without_mfa"],
        NO_MFA[:-1] + ' && ($.userIdentity.type = "IAMUser") '
        '&& ($.responseElements.ConsoleLogin = "Success") }',
    )
    assert not matches(root, "[version, account, eni, source, destination]")  # not JSON
    assert terms('{ $.a.b != "x y" }') == {("a.b", "!=", "x y")}


def test_log_group_key() -> None:
    assert log_group_key(f"{group_arn('eu-west-1', 'a/b')}:*") == ("eu-west-1", ACCOUNT, "a/b")
    assert log_group_key(group_arn("us-east-1", "x")) == ("us-east-1", ACCOUNT, "x")
    assert log_group_key("arn:aws:s3:::bucket") is None
