"""Alerting policies through the real credentials and guarded session against FakeGoogle."""

from __future__ import annotations

import pytest

from annexa.connectors.calls import CallCounter
from annexa.connectors.errors import PermissionDenied
from annexa.connectors.gcp.monitoring import MonitoringConnector
from tests.support.gcp import FakeGoogle, run_unit

PATH = r"/v3/projects/acme-prod/alertPolicies"


def policy(
    n: int, *, enabled: bool = True, channels: int = 1, log_filter: str | None = None
) -> dict:
    condition = (
        {"displayName": "log", "conditionMatchedLog": {"filter": log_filter}}
        if log_filter
        else {"displayName": "cpu", "conditionThreshold": {"filter": 'metric.type="x"'}}
    )
    return {
        "name": f"projects/acme-prod/alertPolicies/{n}",
        "displayName": f"policy {n}",
        "enabled": enabled,
        "conditions": [condition],
        "notificationChannels": [
            f"projects/acme-prod/notificationChannels/{c}" for c in range(channels)
        ],
    }


@pytest.fixture
def google():
    with FakeGoogle().running() as server:
        yield server


def test_policies_and_the_project_summary(google: FakeGoogle) -> None:
    audit = 'protoPayload.methodName="SetIamPolicy"'
    google.get(
        PATH,
        (
            "alertPolicies",
            [policy(1, log_filter=audit), policy(2, channels=0), policy(3, enabled=False)],
        ),
    )
    counter = CallCounter()
    observations, _ = run_unit(MonitoringConnector, google, counter=counter)
    by_kind = {}
    for obs in observations:
        by_kind.setdefault(obs.kind, []).append(obs)
    policies = {o.attributes["name"]: o.attributes for o in by_kind["gcp.monitoring.alert_policy"]}
    assert policies["policy 1"]["log_match_filters"] == [audit]
    assert policies["policy 2"]["notification_channels"] == 0
    assert policies["policy 3"]["enabled"] is False
    [project] = by_kind["gcp.monitoring.project"]
    assert dict(project.attributes) == {
        "policies": 3,
        "enabled_policies": 2,
        "notifying_policies": 1,
        "log_alerts": 1,
    }
    assert counter.operations == {"GET v3/projects/*/alertPolicies": 2}  # two pages


def test_no_policies_is_evidence_that_fails(google: FakeGoogle) -> None:
    google.get(PATH, ("alertPolicies", []))
    observations, _ = run_unit(MonitoringConnector, google)
    [project] = observations
    assert project.attributes["notifying_policies"] == 0


def test_a_denied_listing_is_a_gap_not_an_empty_project(google: FakeGoogle) -> None:
    google.deny(PATH)
    with pytest.raises(PermissionDenied):
        run_unit(MonitoringConnector, google)
