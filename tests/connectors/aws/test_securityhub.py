"""Security Hub through boto3 against moto over HTTP in two regions; standards through Stubber.

moto 5.2.5 implements EnableSecurityHub and DescribeHub, including real AWS's answer for an
account that is not subscribed (InvalidAccessException, HTTP 401). It lacks GetEnabledStandards
(HTTP 404): over moto ``standards`` is a gap, and the standards subscriptions themselves, with
NextToken paging, are tested with Stubber in real AWS's shapes.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from annexa.collector.runner import check_observation
from annexa.connectors.aws.provider import AwsProvider
from annexa.connectors.aws.securityhub import SecurityHubConnector, standard_name
from annexa.connectors.base import UnitContext
from annexa.connectors.errors import PermissionDenied
from annexa.connectors.records import Observation, Scope
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.aws import ACCOUNT, client, open_session, run_unit

FSBP = "arn:aws:securityhub:eu-west-1::standards/aws-foundational-security-best-practices/v/1.0.0"
CIS_12 = "arn:aws:securityhub:::ruleset/cis-aws-foundations-benchmark/v/1.2.0"
PCI = "arn:aws:securityhub:eu-west-1::standards/pci-dss/v/3.2.1"


def hub_arn(region: str) -> str:
    return f"arn:aws:securityhub:{region}:{ACCOUNT}:hub/default"


def evaluate(observation: Observation) -> dict[str, tuple[str, str]]:
    engine = RuleEngine([r for r in load_rules() if r.kind == observation.kind])
    return {e.rule_id: (e.status, e.reason) for e in engine.evaluate(observation)}


@pytest.fixture
def estate(moto: str) -> str:
    """Security Hub on in eu-west-1 with consolidated control findings; never enabled in
    us-east-1."""
    client(moto, "securityhub", "eu-west-1").enable_security_hub(
        EnableDefaultStandards=True, ControlFindingGenerator="SECURITY_CONTROL"
    )
    return moto


def test_hubs_in_two_regions(estate: str) -> None:
    session = open_session(estate)
    [eu], eu_calls = run_unit(SecurityHubConnector, estate, "eu-west-1", session)
    [us], us_calls = run_unit(SecurityHubConnector, estate, "us-east-1", session)

    assert eu.kind == "aws.securityhub.hub" and eu.resource_id == hub_arn("eu-west-1")
    assert eu.attributes["enabled"] is True
    assert eu.attributes["hub_arn"] == hub_arn("eu-west-1")
    assert eu.attributes["subscribed_at"].startswith("20")
    assert eu.attributes["auto_enable_controls"] is True
    assert eu.attributes["control_finding_generator"] == "SECURITY_CONTROL"
    # moto has no GetEnabledStandards: a gap, never "no standard".
    for name in ("standards", "enabled_standards"):
        assert name not in eu.attributes and "404" in eu.gaps[name]
    verdicts = evaluate(eu)
    assert verdicts["aws.securityhub.hub.enabled"][0] == "pass"
    assert "(SECURITY_CONTROL findings)" in verdicts["aws.securityhub.hub.enabled"][1]
    status, reason = verdicts["aws.securityhub.hub.standard-enabled"]
    assert status == "error" and reason.startswith("evidence gap")
    assert dict(eu_calls.operations) == {
        "securityhub:DescribeHub": 1,
        "securityhub:GetEnabledStandards": 1,
    }

    # Not subscribed: a real observation that fails, not a gap.
    assert us.resource_id == hub_arn("us-east-1") and us.gaps == {}
    assert us.attributes == {
        "enabled": False,
        "hub_arn": None,
        "subscribed_at": None,
        "auto_enable_controls": None,
        "control_finding_generator": None,
        "standards": [],
        "enabled_standards": [],
    }
    assert us.source == ("securityhub:DescribeHub",)
    verdicts = evaluate(us)
    assert verdicts["aws.securityhub.hub.enabled"] == (
        "fail",
        "The account is not subscribed to Security Hub in this region",
    )
    assert verdicts["aws.securityhub.hub.standard-enabled"][0] == "not_applicable"
    assert dict(us_calls.operations) == {"securityhub:DescribeHub": 1}


def collect(session: Any, region: str) -> Observation:
    """One unit, sequentially so that Stubber answers in order."""
    ctx = UnitContext(
        run_id="test-run",
        unit_id=f"test/aws.securityhub/{region}",
        scope=Scope("aws", ACCOUNT, region),
        session=session,
        translate=AwsProvider().translate_error,
    )
    [obs] = list(SecurityHubConnector().collect(ctx))
    check_observation(SecurityHubConnector, obs)
    return obs


def subscription(arn: str, status: str, reason: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "StandardsSubscriptionArn": arn.replace("::standards", f":{ACCOUNT}:subscription"),
        "StandardsArn": arn,
        "StandardsInput": {},
        "StandardsStatus": status,
        "StandardsControlsUpdatable": "READY_FOR_UPDATES",
    }
    if reason:
        found["StandardsStatusReason"] = {"StatusReasonCode": reason}
    return found


def test_standards_of_real_aws(moto: str) -> None:
    """Two pages of standards subscriptions (MaxResults 100), via Stubber."""
    session = open_session(moto)
    securityhub = session.client("securityhub", "eu-west-1")
    with Stubber(securityhub) as stub:
        stub.add_response(
            "describe_hub",
            {
                "HubArn": hub_arn("eu-west-1"),
                "SubscribedAt": "2023-05-04T08:15:00.123Z",
                "AutoEnableControls": False,
                "ControlFindingGenerator": "STANDARD_CONTROL",
            },
            {},
        )
        stub.add_response(
            "get_enabled_standards",
            {
                "StandardsSubscriptions": [
                    subscription(PCI, "INCOMPLETE", "NO_AVAILABLE_CONFIGURATION_RECORDER"),
                    subscription(FSBP, "READY"),
                ],
                "NextToken": "page-2",
            },
            {"MaxResults": 100},
        )
        stub.add_response(
            "get_enabled_standards",
            {"StandardsSubscriptions": [subscription(CIS_12, "READY")]},
            {"MaxResults": 100, "NextToken": "page-2"},
        )
        obs = collect(session, "eu-west-1")
        stub.assert_no_pending_responses()
    assert obs.gaps == {}
    assert obs.attributes["auto_enable_controls"] is False
    assert obs.attributes["control_finding_generator"] == "STANDARD_CONTROL"
    assert obs.attributes["standards"] == [
        {
            "arn": FSBP,
            "name": "aws-foundational-security-best-practices v1.0.0",
            "status": "READY",
            "status_reason": None,
        },
        {
            "arn": CIS_12,
            "name": "cis-aws-foundations-benchmark v1.2.0",
            "status": "READY",
            "status_reason": None,
        },
        {
            "arn": PCI,
            "name": "pci-dss v3.2.1",
            "status": "INCOMPLETE",
            "status_reason": "NO_AVAILABLE_CONFIGURATION_RECORDER",
        },
    ]
    assert obs.attributes["enabled_standards"] == [
        "aws-foundational-security-best-practices v1.0.0",
        "cis-aws-foundations-benchmark v1.2.0",
    ]
    assert evaluate(obs)["aws.securityhub.hub.standard-enabled"] == (
        "pass",
        "Standards checked: aws-foundational-security-best-practices v1.0.0, "
        "cis-aws-foundations-benchmark v1.2.0",
    )

    with Stubber(securityhub) as stub:
        stub.add_response("describe_hub", {"HubArn": hub_arn("eu-west-1")}, {})
        stub.add_response(
            "get_enabled_standards",
            {"StandardsSubscriptions": [subscription(PCI, "FAILED", "INTERNAL_ERROR")]},
            {"MaxResults": 100},
        )
        failing = collect(session, "eu-west-1")
    assert failing.attributes["enabled_standards"] == []
    assert evaluate(failing)["aws.securityhub.hub.standard-enabled"] == (
        "fail",
        "No standard is READY (subscriptions: pci-dss v3.2.1 FAILED)",
    )


def test_denied_reads(estate: str, proxy: Any) -> None:
    proxy.deny(service="securityhub", operation="POST /standards/get?")
    [obs], _ = run_unit(SecurityHubConnector, proxy.url, "eu-west-1")
    assert obs.attributes["enabled"] is True  # what was readable is still evidence
    for name in ("standards", "enabled_standards"):
        assert "PermissionDenied" in obs.gaps[name]

    proxy.deny(service="securityhub", operation="GET /accounts?", code="AccessDeniedException")
    with pytest.raises(ClientError) as denied:
        run_unit(SecurityHubConnector, proxy.url, "eu-west-1")
    unit_error = AwsProvider().translate_error(denied.value)  # what the runner records
    assert isinstance(unit_error, PermissionDenied) and unit_error.operation == "DescribeHub"


def test_invalid_access_other_than_not_subscribed_fails_the_unit(estate: str, proxy: Any) -> None:
    proxy.fail(
        401,
        "InvalidAccessException",
        "Access to this resource is not allowed for the caller",
        service="securityhub",
        operation="GET /accounts?",
    )
    with pytest.raises(ClientError, match="InvalidAccessException"):
        run_unit(SecurityHubConnector, proxy.url, "eu-west-1")


def test_standard_names() -> None:
    assert standard_name(FSBP) == "aws-foundational-security-best-practices v1.0.0"
    assert standard_name(CIS_12) == "cis-aws-foundations-benchmark v1.2.0"
    assert (
        standard_name("arn:aws:securityhub:::standards/aws-resource-tagging-standard/v/1.0.0")
        == "aws-resource-tagging-standard v1.0.0"
    )
    assert standard_name("arn:aws:securityhub:eu-west-1::standards/custom") == "custom"
    assert standard_name("not-an-arn") == "not-an-arn"
