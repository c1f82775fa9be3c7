"""CloudTrail: trails homed in each region, and whether each region is covered by logging."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.connectors.base import Connector, Kind, Reads, UnitContext
from annexa.connectors.records import Observation

TRAIL = Kind(
    "aws.cloudtrail.trail",
    "A CloudTrail trail, observed in its home region",
    {
        "name": "trail name",
        "home_region": "the region that owns the trail",
        "multi_region": "IsMultiRegionTrail",
        "organization_trail": "IsOrganizationTrail",
        "logging": "IsLogging from GetTrailStatus",
        "latest_delivery_error": "LatestDeliveryError from GetTrailStatus (null: none)",
        "log_file_validation": "LogFileValidationEnabled (digest files for integrity)",
        "kms_key_id": "KMS key encrypting the log files (null: SSE-S3 only)",
        "s3_bucket": "destination bucket",
        "cloudwatch_logs_group_arn": "CloudWatch Logs group receiving events (null: none)",
        "include_global_service_events": "IncludeGlobalServiceEvents",
        "management_events": "which management events are recorded: All, WriteOnly, ReadOnly, None",
        "data_events": "whether any data events are selected",
        "selectors": "how selection is configured: basic, advanced, or default (none returned)",
    },
)
REGION = Kind(
    "aws.cloudtrail.region",
    "Whether a region's API activity is recorded by at least one logging trail",
    {
        "trails_visible": "trails visible from the region (its own and multi-region ones)",
        "logging_trails": "ARNs of logging trails that record this region's management writes",
        "covered": "at least one such trail exists",
        "multi_region_logging": "at least one of them is a multi-region trail",
    },
)


def management_events(selectors: dict[str, Any]) -> tuple[str, bool, str]:
    """(management events recorded, data events selected, kind of selectors) for one trail.

    Real AWS returns the default basic selector (all management events) for a trail created
    without selectors; moto returns nothing, which the AWS documentation defines as that same
    default, so it is read as "All" and reported with ``selectors = "default"``.
    """
    basic = selectors.get("EventSelectors") or []
    advanced = selectors.get("AdvancedEventSelectors") or []
    if advanced:
        scopes, data = set(), False
        for selector in advanced:
            fields = {f["Field"]: f for f in selector.get("FieldSelectors", [])}
            category = fields.get("eventCategory", {}).get("Equals", [])
            if "Management" in category:
                read_only = fields.get("readOnly", {}).get("Equals")
                scopes.add(
                    {("true",): "ReadOnly", ("false",): "WriteOnly"}.get(
                        tuple(read_only or ()), "All"
                    )
                )
            elif category:
                data = True
        return _combine(scopes), data, "advanced"
    if basic:
        scopes = {
            s.get("ReadWriteType", "All") for s in basic if s.get("IncludeManagementEvents", True)
        }
        data = any(s.get("DataResources") for s in basic)
        return _combine(scopes), data, "basic"
    return "All", False, "default"


def _combine(scopes: set[str]) -> str:
    if "All" in scopes or {"ReadOnly", "WriteOnly"} <= scopes:
        return "All"
    return next(iter(scopes)) if scopes else "None"


def get_trail_state(cloudtrail: Any, trail: dict[str, Any]) -> dict[str, Any]:
    status = cloudtrail.get_trail_status(Name=trail["TrailARN"])
    error = status.get("LatestDeliveryError") or None
    return {"logging": bool(status.get("IsLogging")), "latest_delivery_error": error}


def get_selection(cloudtrail: Any, trail: dict[str, Any]) -> dict[str, Any]:
    found = cloudtrail.get_event_selectors(TrailName=trail["TrailARN"])
    scope, data, kind = management_events(found)
    return {"management_events": scope, "data_events": data, "selectors": kind}


def transform_trail(trail: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": trail["Name"],
        "home_region": trail["HomeRegion"],
        "multi_region": bool(trail.get("IsMultiRegionTrail")),
        "organization_trail": bool(trail.get("IsOrganizationTrail")),
        "log_file_validation": bool(trail.get("LogFileValidationEnabled")),
        "kms_key_id": trail.get("KmsKeyId"),
        "s3_bucket": trail.get("S3BucketName"),
        "cloudwatch_logs_group_arn": trail.get("CloudWatchLogsLogGroupArn"),
        "include_global_service_events": bool(trail.get("IncludeGlobalServiceEvents")),
    }


def records_writes(attrs: dict[str, Any]) -> bool:
    return attrs.get("logging") is True and attrs.get("management_events") in ("All", "WriteOnly")


class CloudTrailConnector(Connector):
    name = "aws.cloudtrail"
    provider = "aws"
    description = "CloudTrail trails and per-region logging coverage"
    regional = True
    kinds = (TRAIL, REGION)
    permissions = (
        "cloudtrail:DescribeTrails",
        "cloudtrail:GetTrailStatus",
        "cloudtrail:GetEventSelectors",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        region = ctx.scope.region
        trails = (
            ctx.session.client("cloudtrail", region)
            .describe_trails(includeShadowTrails=True)
            .get("trailList", [])
        )
        covering, unreadable = [], []
        for trail in trails:
            home = trail.get("HomeRegion") == region
            if not (home or trail.get("IsMultiRegionTrail")):
                continue  # a single-region trail of another region says nothing about this one
            reads = _trail_reads(ctx, trail)
            if reads.gaps:
                unreadable.append(
                    f"{trail['TrailARN']}: {'; '.join(sorted(set(reads.gaps.values())))}"
                )
            elif records_writes(reads.attributes):
                covering.append(trail)
            if home:
                yield ctx.observe("aws.cloudtrail.trail", trail["TrailARN"], reads)

        summary = ctx.reads(*self.permissions)
        summary.set("trails_visible", len(trails))
        summary.set("logging_trails", sorted(t["TrailARN"] for t in covering))
        if covering or not unreadable:
            summary.set("covered", bool(covering))
            summary.set("multi_region_logging", any(t.get("IsMultiRegionTrail") for t in covering))
        else:
            # No trail is known to cover the region, but some could not be read: that is a gap.
            reason = "could not read " + " | ".join(unreadable)
            summary.gaps.update(dict.fromkeys(("covered", "multi_region_logging"), reason))
        account = ctx.scope.account
        yield ctx.observe(
            "aws.cloudtrail.region",
            f"arn:{ctx.session.partition}:cloudtrail:{region}:{account}:coverage",
            summary,
        )


def _trail_reads(ctx: UnitContext, trail: dict[str, Any]) -> Reads:
    """A trail's attributes. Status and selectors are read in its home region, once per run:
    a multi-region trail is visible from every region but needs reading only once."""
    # The sources are named explicitly: a cached read produced the attributes all the same.
    reads = ctx.reads(
        "cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetEventSelectors"
    )
    for name, value in transform_trail(trail).items():
        reads.set(name, value)
    owner = ctx.session.client("cloudtrail", trail["HomeRegion"])
    arn = trail["TrailARN"]
    reads.read_many(
        ("logging", "latest_delivery_error"),
        lambda: ctx.session.memo(("trail-status", arn), lambda: get_trail_state(owner, trail)),
    )
    reads.read_many(
        ("management_events", "data_events", "selectors"),
        lambda: ctx.session.memo(("trail-selectors", arn), lambda: get_selection(owner, trail)),
    )
    return reads
