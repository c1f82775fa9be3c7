"""AWS Security Hub: whether the region's hub is on, how it generates control findings, and which
security standards it checks the account against, per region.

A region always yields one observation. An account that never subscribed to Security Hub in a
region gets ``InvalidAccessException`` ("... is not subscribed to AWS Security Hub") from
DescribeHub: that is a real ``enabled = false`` observation (a fail), not a gap. Any other
refusal of DescribeHub, an ``AccessDeniedException`` included, fails the unit. A failed
GetEnabledStandards makes ``standards`` and ``enabled_standards`` gaps, never "no standard".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError

from annexa.connectors.aws.common import paginate
from annexa.connectors.aws.errors import error_code
from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.records import Observation

HUB = Kind(
    "aws.securityhub.hub",
    "The region's Security Hub (enabled false when the account is not subscribed there)",
    {
        "enabled": "the account is subscribed to Security Hub in the region",
        "hub_arn": "HubArn (null: not subscribed)",
        "subscribed_at": "SubscribedAt, when the hub was enabled",
        "auto_enable_controls": "new controls of enabled standards are enabled automatically",
        "control_finding_generator": "SECURITY_CONTROL (consolidated findings) or "
        "STANDARD_CONTROL (one finding per standard)",
        "standards": "enabled standards subscriptions: {arn, name, status, status_reason}; "
        "status PENDING, READY, FAILED, DELETING or INCOMPLETE",
        "enabled_standards": "sorted names of the standards whose subscription is READY",
    },
)

NOT_SUBSCRIBED_ATTRIBUTES: dict[str, Any] = {
    "enabled": False,
    "hub_arn": None,
    "subscribed_at": None,
    "auto_enable_controls": None,
    "control_finding_generator": None,
    "standards": [],
    "enabled_standards": [],
}
NOT_SUBSCRIBED = re.compile(r"not subscribed", re.IGNORECASE)
STANDARD_PATH = re.compile(r":(?:standards|ruleset)/(?P<name>[^/]+)(?:/v/(?P<version>[^/]+))?")


def standard_name(arn: str) -> str:
    """``.../standards/aws-foundational-security-best-practices/v/1.0.0`` ->
    ``aws-foundational-security-best-practices v1.0.0`` (the ARN itself if it does not parse)."""
    match = STANDARD_PATH.search(arn)
    if match is None:
        return arn
    version = match.group("version")
    return f"{match.group('name')} v{version}" if version else match.group("name")


def transform_standard(subscription: dict[str, Any]) -> dict[str, Any]:
    arn = subscription["StandardsArn"]
    reason = subscription.get("StandardsStatusReason") or {}
    return {
        "arn": arn,
        "name": standard_name(arn),
        "status": subscription.get("StandardsStatus"),
        "status_reason": reason.get("StatusReasonCode"),
    }


def get_standards(securityhub: Any) -> dict[str, Any]:
    standards = sorted(
        (
            transform_standard(s)
            for s in paginate(
                securityhub, "get_enabled_standards", "StandardsSubscriptions", MaxResults=100
            )
        ),
        key=lambda s: str(s["name"]),
    )
    return {
        "standards": standards,
        "enabled_standards": [s["name"] for s in standards if s["status"] == "READY"],
    }


def not_subscribed(exc: BaseException) -> bool:
    """DescribeHub's answer for a region where the account never enabled Security Hub."""
    if not isinstance(exc, ClientError) or error_code(exc) != "InvalidAccessException":
        return False
    return bool(NOT_SUBSCRIBED.search(str(exc.response.get("Error", {}).get("Message", ""))))


class SecurityHubConnector(Connector):
    name = "aws.securityhub"
    provider = "aws"
    description = "Security Hub subscription, control findings and enabled standards"
    regional = True
    kinds = (HUB,)
    permissions = (
        "securityhub:DescribeHub",
        "securityhub:GetEnabledStandards",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        securityhub = ctx.session.client("securityhub", ctx.scope.region)
        default_arn = f"arn:aws:securityhub:{ctx.scope.region}:{ctx.scope.account}:hub/default"
        reads = ctx.reads("securityhub:DescribeHub")
        try:
            hub = securityhub.describe_hub()
        except Exception as exc:
            if not not_subscribed(exc):
                raise
            for name, value in NOT_SUBSCRIBED_ATTRIBUTES.items():
                reads.set(name, value)
            yield ctx.observe("aws.securityhub.hub", default_arn, reads)
            return
        reads.set("enabled", True)
        reads.set("hub_arn", hub.get("HubArn"))
        reads.set("subscribed_at", hub.get("SubscribedAt"))
        reads.set("auto_enable_controls", hub.get("AutoEnableControls"))
        reads.set("control_finding_generator", hub.get("ControlFindingGenerator"))
        reads.read_many(("standards", "enabled_standards"), lambda: get_standards(securityhub))
        yield ctx.observe("aws.securityhub.hub", hub.get("HubArn") or default_arn, reads)
