"""Cloud Monitoring: the alerting policies of a project, and whether anyone is told.

Read through the Monitoring API v3 over REST (``projects/{p}/alertPolicies``). Each policy is an
observation; a per-project summary says how many policies are enabled and notify a channel, so a
project without any is evidence too (it fails), not an absence of evidence.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.errors import ConnectorError
from annexa.connectors.gcp.rest import rest_factory
from annexa.connectors.records import Observation

MONITORING = "https://monitoring.googleapis.com"

POLICY = Kind(
    "gcp.monitoring.alert_policy",
    "A Cloud Monitoring alerting policy",
    {
        "name": "display name",
        "enabled": "the policy is enabled",
        "conditions": "number of conditions",
        "condition_types": "condition kinds (conditionThreshold, conditionMatchedLog, ...)",
        "log_match_filters": "filters of log-match conditions (which log events alert)",
        "notification_channels": "number of notification channels",
        "severity": "policy severity (null: unset)",
    },
)
PROJECT = Kind(
    "gcp.monitoring.project",
    "Alerting in a project: policies enabled and notifying someone",
    {
        "policies": "alerting policies",
        "enabled_policies": "enabled alerting policies",
        "notifying_policies": "enabled policies with at least one notification channel",
        "log_alerts": "enabled, notifying policies alerting on log events",
    },
)


def transform_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    conditions = list(policy.get("conditions") or [])
    types = sorted({key for c in conditions for key in c if key.startswith("condition")})
    filters = [
        str(c["conditionMatchedLog"].get("filter", ""))
        for c in conditions
        if "conditionMatchedLog" in c
    ]
    enabled = policy.get("enabled")
    return {
        "name": policy.get("displayName") or policy["name"].rsplit("/", 1)[-1],
        "enabled": True if enabled is None else bool(enabled),
        "conditions": len(conditions),
        "condition_types": types,
        "log_match_filters": filters,
        "notification_channels": len(policy.get("notificationChannels") or []),
        "severity": policy.get("severity"),
    }


def summarise(policies: list[dict[str, Any]]) -> dict[str, int]:
    enabled = [p for p in policies if p["enabled"]]
    notifying = [p for p in enabled if p["notification_channels"]]
    return {
        "policies": len(policies),
        "enabled_policies": len(enabled),
        "notifying_policies": len(notifying),
        "log_alerts": sum(1 for p in notifying if p["log_match_filters"]),
    }


class MonitoringConnector(Connector):
    name = "gcp.monitoring"
    provider = "gcp"
    description = "Cloud Monitoring alerting policies and whether they notify anyone"
    regional = False
    kinds = (POLICY, PROJECT)
    permissions = ("monitoring.alertPolicies.list",)

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        project = ctx.session.project
        client = ctx.session.client("monitoring", rest_factory(MONITORING), transport=None)
        found = ctx.attempt(
            lambda: list(client.list(f"v3/projects/{project}/alertPolicies", "alertPolicies"))
        )
        if isinstance(found, ConnectorError):
            raise found  # the summary depends on it: no listing, no evidence
        transformed = []
        for policy in found:
            reads = ctx.reads("monitoring.alertPolicies.list")
            attributes = transform_policy(policy)
            transformed.append(attributes)
            for name, value in attributes.items():
                reads.set(name, value)
            yield ctx.observe(POLICY.name, f"//monitoring.googleapis.com/{policy['name']}", reads)
        reads = ctx.reads("monitoring.alertPolicies.list")
        for name, value in summarise(transformed).items():
            reads.set(name, value)
        yield ctx.observe(PROJECT.name, f"//monitoring.googleapis.com/projects/{project}", reads)
