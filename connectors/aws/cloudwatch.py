"""CloudWatch Logs log groups and CIS security monitoring (metric filters with alarms), per region.

Log groups are a large share of an estate, so the unit reads them with one paginated
DescribeLogGroups and nothing per group. Security monitoring follows the CIS AWS Foundations
Benchmark (section 4 of v1.4 and v3, Security Hub CloudWatch.1-14): CloudTrail delivers the
region's events to a CloudWatch Logs group, a metric filter on that group counts one kind of
event, and an alarm with actions fires on the filter's metric.

DescribeTrails (with shadow trails) tells which log groups receive the region's events: those of
trails homed here and of multi-region trails homed anywhere. Such a log group may live in another
region (a multi-region trail delivers to its home region), so the metric filters
(DescribeMetricFilters) and metric alarms (DescribeAlarms) of each region holding one are read
once per run for all units, region-wide and paginated.

Failures are gaps, never "unmonitored": a failed trail listing makes every monitoring attribute a
gap; a failed filter or alarm listing makes a gap of each event not already proven monitored. A
failed log-group listing is a note and the monitoring observation is still made; when trails
cannot be listed either, the unit fails with the first error.

Whether the trail is logging and records management events is not read here: the
``aws.cloudtrail`` connector observes and judges that.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from annexa.connectors.aws.cis_monitoring import EVENTS, Event, matches
from annexa.connectors.aws.common import iso, paginate
from annexa.connectors.base import Connector, Kind, Reads, UnitContext
from annexa.connectors.errors import ConnectorError
from annexa.connectors.records import Observation

ALARM_PAGE = 100
Metric = tuple[str, str]  # (namespace, metric name)
EVENT_SHAPE = (
    ": {filter, log_group, alarms, monitored}: the metric filter matching the CIS pattern on a "
    "CloudTrail log group (null: none), that log group's ARN, the alarms with enabled actions "
    "on its metric, and whether there is at least one"
)

LOG_GROUP = Kind(
    "aws.logs.log_group",
    "A CloudWatch Logs log group: retention, encryption, and whether CloudTrail delivers to it",
    {
        "name": "logGroupName",
        "retention_days": "retentionInDays (null: events never expire)",
        "kms_key_id": "KMS key encrypting the group (null: CloudWatch Logs' own server-side "
        "encryption only)",
        "stored_bytes": "storedBytes",
        "created_at": "creationTime",
        "log_group_class": "STANDARD, INFREQUENT_ACCESS or DELIVERY (not reported: STANDARD)",
        "metric_filter_count": "metricFilterCount",
        "receives_cloudtrail": "a CloudTrail trail delivers its events to this group",
    },
)
SECURITY_MONITORING = Kind(
    "aws.cloudwatch.security_monitoring",
    "Which CIS security events of the region's CloudTrail are counted by a metric filter and "
    "alarmed on",
    {
        "trail_log_groups": "ARNs of the log groups that receive this region's CloudTrail events, "
        "from trails homed here and multi-region trails (another account's group, that of an "
        "organization trail, is judged in that account)",
        **{event.attribute: f"{event.title}{EVENT_SHAPE}" for event in EVENTS},
        "monitored_events": "events monitored by a filter with an alarm",
        "unmonitored_events": "events without a filter and alarm",
    },
)


def log_group_key(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of a log group ARN, with or without the trailing ``:*``."""
    parts = arn.split(":", 5)
    if len(parts) < 6 or parts[2] != "logs" or not parts[5].startswith("log-group:"):
        return None
    return parts[3], parts[4], parts[5].removeprefix("log-group:").removesuffix(":*")


def transform_log_group(group: Mapping[str, Any]) -> dict[str, Any]:
    created = group.get("creationTime")
    return {
        "name": group["logGroupName"],
        "retention_days": group.get("retentionInDays"),
        "kms_key_id": group.get("kmsKeyId"),
        "stored_bytes": group.get("storedBytes"),
        "created_at": iso(datetime.fromtimestamp(created / 1000, UTC)) if created else None,
        # Groups that predate log classes (and moto) omit it: they are STANDARD.
        "log_group_class": group.get("logGroupClass", "STANDARD"),
        "metric_filter_count": group.get("metricFilterCount"),
    }


def alarm_metrics(alarm: Mapping[str, Any]) -> set[Metric]:
    """(namespace, metric name) pairs an alarm watches, directly or in metric math."""
    found = set()
    if alarm.get("MetricName"):
        found.add((alarm.get("Namespace", ""), alarm["MetricName"]))
    for query in alarm.get("Metrics") or []:
        metric = (query.get("MetricStat") or {}).get("Metric") or {}
        if metric.get("MetricName"):
            found.add((metric.get("Namespace", ""), metric["MetricName"]))
    return found


def alarms_by_metric(alarms: Iterable[Mapping[str, Any]]) -> dict[Metric, list[str]]:
    """Names of the alarms that would notify someone (actions set and enabled), by metric."""
    found: dict[Metric, list[str]] = {}
    for alarm in alarms:
        if alarm.get("ActionsEnabled", True) and alarm.get("AlarmActions"):
            for metric in alarm_metrics(alarm):
                found.setdefault(metric, []).append(alarm["AlarmName"])
    return found


def evaluate_event(
    event: Event, candidates: Iterable[tuple[str, Mapping[str, Any], Mapping[Metric, list[str]]]]
) -> dict[str, Any]:
    """The first matching filter with alarms, else the first matching filter, among
    (log group ARN, metric filter, its region's alarms by metric) on CloudTrail log groups."""
    best: dict[str, Any] = {"filter": None, "log_group": None, "alarms": [], "monitored": False}
    for log_group, metric_filter, alarms in candidates:
        if not matches(event, metric_filter.get("filterPattern", "")):
            continue
        metrics = metric_filter.get("metricTransformations") or []
        names = sorted(
            {n for t in metrics for n in alarms.get((t["metricNamespace"], t["metricName"]), [])}
        )
        if best["filter"] is None or (names and not best["monitored"]):
            best = {
                "filter": metric_filter["filterName"],
                "log_group": log_group,
                "alarms": names,
                "monitored": bool(names),
            }
    return best


def get_filters(logs: Any) -> list[dict[str, Any]]:
    return list(paginate(logs, "describe_metric_filters", "metricFilters"))


def get_alarms(cloudwatch: Any) -> dict[Metric, list[str]]:
    found = paginate(
        cloudwatch,
        "describe_alarms",
        "MetricAlarms",
        AlarmTypes=["MetricAlarm"],
        MaxRecords=ALARM_PAGE,
    )
    return alarms_by_metric(found)


class CloudWatchConnector(Connector):
    name = "aws.cloudwatch"
    provider = "aws"
    description = "CloudWatch Logs retention and encryption; CIS metric filters and alarms"
    regional = True
    kinds = (LOG_GROUP, SECURITY_MONITORING)
    permissions = (
        "logs:DescribeLogGroups",
        "logs:DescribeMetricFilters",
        "cloudwatch:DescribeAlarms",
        "cloudtrail:DescribeTrails",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        region = ctx.scope.region
        logs = ctx.session.client("logs", region)
        cloudtrail = ctx.session.client("cloudtrail", region)
        trails = ctx.attempt(
            lambda: cloudtrail.describe_trails(includeShadowTrails=True).get("trailList", [])
        )
        groups = ctx.attempt(lambda: list(paginate(logs, "describe_log_groups", "logGroups")))
        if isinstance(groups, ConnectorError):
            if isinstance(trails, ConnectorError):
                raise groups
            ctx.note(f"CloudWatch Logs log groups not listed: {groups.describe()}")
        else:
            receiving = {
                key
                for trail in ([] if isinstance(trails, ConnectorError) else trails)
                if (key := log_group_key(trail.get("CloudWatchLogsLogGroupArn") or ""))
            }
            for group in groups:
                yield _log_group(ctx, group, trails, receiving)
        yield _security_monitoring(ctx, trails)


def _log_group(
    ctx: UnitContext,
    group: Mapping[str, Any],
    trails: list[dict[str, Any]] | ConnectorError,
    receiving: set[tuple[str, str, str]],
) -> Observation:
    reads = ctx.reads("logs:DescribeLogGroups")
    for attribute, value in transform_log_group(group).items():
        reads.set(attribute, value)
    arn = group.get("logGroupArn") or str(group["arn"]).removesuffix(":*")
    if isinstance(trails, ConnectorError):
        reads.gaps["receives_cloudtrail"] = trails.describe()
    else:
        reads.sources.add("cloudtrail:DescribeTrails")
        reads.set("receives_cloudtrail", log_group_key(arn) in receiving)
    return ctx.observe("aws.logs.log_group", arn, reads)


def trail_log_groups(trails: Iterable[Mapping[str, Any]], region: str) -> set[tuple[str, str, str]]:
    """(region, account, name) of the log groups receiving the region's CloudTrail events."""
    found = set()
    for trail in trails:
        covers = trail.get("HomeRegion") == region or trail.get("IsMultiRegionTrail")
        key = log_group_key(trail.get("CloudWatchLogsLogGroupArn") or "")
        if covers and key:
            found.add(key)
    return found


def _security_monitoring(
    ctx: UnitContext, trails: list[dict[str, Any]] | ConnectorError
) -> Observation:
    region, account, partition = ctx.scope.region, ctx.scope.account, ctx.session.partition
    reads = ctx.reads(
        "cloudtrail:DescribeTrails", "logs:DescribeMetricFilters", "cloudwatch:DescribeAlarms"
    )
    arn = f"arn:{partition}:cloudwatch:{region}:{account}:security-monitoring"
    attributes = [e.attribute for e in EVENTS] + ["monitored_events", "unmonitored_events"]
    if isinstance(trails, ConnectorError):
        for name in ["trail_log_groups", *attributes]:
            reads.gaps[name] = trails.describe()
        return ctx.observe("aws.cloudwatch.security_monitoring", arn, reads)

    targets = trail_log_groups(trails, region)
    reads.set(
        "trail_log_groups",
        sorted(f"arn:{partition}:logs:{r}:{a}:log-group:{n}" for r, a, n in targets),
    )
    own = {key for key in targets if key[1] == account}
    filters, alarms, unreadable = _region_reads(ctx, {r for r, _, _ in own})
    candidates = [
        (f"arn:{partition}:logs:{r}:{account}:log-group:{f['logGroupName']}", f, alarms[r])
        for r, found in filters.items()
        for f in found
        if (r, account, f.get("logGroupName")) in own
    ]
    if targets - own:
        accounts = ", ".join(sorted({a for _, a, _ in targets - own}))
        unreadable.append(
            f"CloudTrail delivers to log groups of account(s) {accounts}, observed there"
        )
    monitored: list[str] = []
    unmonitored: list[str] = []
    for event in EVENTS:
        result = evaluate_event(event, candidates)
        if not result["monitored"] and unreadable:
            reads.gaps[event.attribute] = "; ".join(unreadable)
            continue
        reads.set(event.attribute, result)
        (monitored if result["monitored"] else unmonitored).append(event.attribute)
    if any(e.attribute in reads.gaps for e in EVENTS):
        for name in ("monitored_events", "unmonitored_events"):
            reads.gaps[name] = "; ".join(unreadable)
    else:
        reads.set("monitored_events", monitored)
        reads.set("unmonitored_events", unmonitored)
    return ctx.observe("aws.cloudwatch.security_monitoring", arn, reads)


def _region_reads(
    ctx: UnitContext, regions: set[str]
) -> tuple[dict[str, list[dict[str, Any]]], dict[str, dict[Metric, list[str]]], list[str]]:
    """Metric filters and actionable alarms of each region holding a trail log group, read once
    per run (a multi-region trail's log group serves every region's unit); failures as reasons."""
    filters: dict[str, list[dict[str, Any]]] = {}
    alarms: dict[str, dict[Metric, list[str]]] = {}
    unreadable: list[str] = []
    for region in sorted(regions):
        reads = _memo_reads(ctx, region)
        filters[region] = reads.attributes.get("metric filters", [])
        alarms[region] = reads.attributes.get("alarms", {})
        unreadable += [f"{name} in {region}: {reason}" for name, reason in reads.gaps.items()]
    return filters, alarms, unreadable


def _memo_reads(ctx: UnitContext, region: str) -> Reads:
    logs = ctx.session.client("logs", region)
    cloudwatch = ctx.session.client("cloudwatch", region)
    reads = ctx.reads()
    reads.read(
        "metric filters",
        lambda: ctx.session.memo(("aws.cloudwatch", "filters", region), lambda: get_filters(logs)),
    )
    reads.read(
        "alarms",
        lambda: ctx.session.memo(
            ("aws.cloudwatch", "alarms", region), lambda: get_alarms(cloudwatch)
        ),
    )
    return reads
