"""GuardDuty detectors through boto3 against moto over HTTP in two regions; statistics by Stubber.

moto 5.2.5 implements ListDetectors and GetDetector, but its GetDetector reports the legacy
``DataSources`` (with CloudTrail, DNS and flow logs always DISABLED) and echoes ``Features`` only
as they were passed to CreateDetector. It lacks GetFindingsStatistics altogether (HTTP 404): over
moto ``high_severity_findings`` is a gap, and the count itself is tested with Stubber in real
AWS's shapes (findings grouped by severity, full ``Features`` list).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from annexa.collector.runner import check_observation
from annexa.connectors.aws.guardduty import (
    ACTIVE_HIGH_FINDINGS,
    GuardDutyConnector,
    features_dict,
)
from annexa.connectors.aws.provider import AwsProvider
from annexa.connectors.base import UnitContext
from annexa.connectors.errors import PermissionDenied
from annexa.connectors.records import Observation, Scope
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.aws import ACCOUNT, client, open_session, run_unit

KIND = "aws.guardduty.detector"
DETECTOR_ID = "12abc34d567e8fa901bc2d34e56789f0"


def detector_arn(region: str, detector_id: str | None = None) -> str:
    arn = f"arn:aws:guardduty:{region}:{ACCOUNT}:detector"
    return f"{arn}/{detector_id}" if detector_id else arn


def evaluate(observation: Observation) -> dict[str, tuple[str, str]]:
    engine = RuleEngine([r for r in load_rules() if r.kind == observation.kind])
    return {e.rule_id: (e.status, e.reason) for e in engine.evaluate(observation)}


@pytest.fixture
def estate(moto: str) -> dict[str, str]:
    """eu-west-1: an enabled detector with S3 (as a data source), EKS audit logs and runtime
    monitoring; us-east-1: a suspended detector with nothing extra."""
    eu = client(moto, "guardduty", "eu-west-1")
    us = client(moto, "guardduty", "us-east-1")
    return {
        "eu-west-1": eu.create_detector(
            Enable=True,
            FindingPublishingFrequency="FIFTEEN_MINUTES",
            DataSources={"S3Logs": {"Enable": True}},
            Features=[
                {"Name": "EKS_AUDIT_LOGS", "Status": "ENABLED"},
                {"Name": "RUNTIME_MONITORING", "Status": "ENABLED"},
                {"Name": "EBS_MALWARE_PROTECTION", "Status": "DISABLED"},
            ],
            Tags={"team": "security"},
        )["DetectorId"],
        "us-east-1": us.create_detector(Enable=False)["DetectorId"],
    }


def test_detectors_in_two_regions(moto: str, estate: dict[str, str]) -> None:
    session = open_session(moto)
    [eu], _ = run_unit(GuardDutyConnector, moto, "eu-west-1", session)
    [us], _ = run_unit(GuardDutyConnector, moto, "us-east-1", session)

    assert eu.kind == KIND and eu.resource_id == detector_arn("eu-west-1", estate["eu-west-1"])
    assert eu.attributes["enabled"] is True
    assert eu.attributes["detector_id"] == estate["eu-west-1"]
    assert eu.attributes["features"] == {
        "CLOUD_TRAIL": "DISABLED",  # moto's DataSources; AWS lists these as features, ENABLED
        "DNS_LOGS": "DISABLED",
        "EBS_MALWARE_PROTECTION": "DISABLED",
        "EKS_AUDIT_LOGS": "ENABLED",
        "FLOW_LOGS": "DISABLED",
        "RUNTIME_MONITORING": "ENABLED",
        "S3_DATA_EVENTS": "ENABLED",
    }
    assert eu.attributes["protections_enabled"] == [
        "EKS_AUDIT_LOGS",
        "RUNTIME_MONITORING",
        "S3_DATA_EVENTS",
    ]
    assert eu.attributes["finding_publishing_frequency"] == "FIFTEEN_MINUTES"
    assert eu.attributes["tags"] == {"team": "security"}
    assert set(eu.source) == {
        "guardduty:ListDetectors",
        "guardduty:GetDetector",
        "guardduty:GetFindingsStatistics",
    }
    # moto has no GetFindingsStatistics: a gap, never zero findings.
    assert "high_severity_findings" not in eu.attributes
    assert "404" in eu.gaps["high_severity_findings"]
    verdicts = evaluate(eu)
    assert verdicts["aws.guardduty.detector.enabled"] == (
        "pass",
        f"Detector {estate['eu-west-1']} is enabled, publishing findings every FIFTEEN_MINUTES",
    )
    for rule in ("s3-protection", "eks-audit-logs", "runtime-monitoring"):
        assert verdicts[f"aws.guardduty.detector.{rule}"][0] == "pass", rule
    assert verdicts["aws.guardduty.detector.malware-protection"] == (
        "fail",
        "Malware Protection for EC2 is DISABLED",
    )
    status, reason = verdicts["aws.guardduty.detector.no-active-high-findings"]
    assert status == "error" and reason.startswith("evidence gap")

    assert us.resource_id == detector_arn("us-east-1", estate["us-east-1"])
    assert us.attributes["enabled"] is False and us.attributes["protections_enabled"] == []
    assert us.attributes["finding_publishing_frequency"] == "SIX_HOURS"
    verdicts = evaluate(us)
    assert verdicts["aws.guardduty.detector.enabled"][0] == "fail"
    assert verdicts["aws.guardduty.detector.s3-protection"] == (
        "not_applicable",
        "GuardDuty is not enabled",
    )


def test_no_detector_is_a_fail_not_a_gap(moto: str) -> None:
    observations, counter = run_unit(GuardDutyConnector, moto, "eu-west-1")
    [obs] = observations
    assert obs.resource_id == detector_arn("eu-west-1")
    assert obs.gaps == {} and obs.source == ("guardduty:ListDetectors",)
    assert obs.attributes == {
        "enabled": False,
        "detector_id": None,
        "features": {},
        "protections_enabled": [],
        "finding_publishing_frequency": None,
        "high_severity_findings": None,
        "tags": {},
    }
    verdicts = evaluate(obs)
    assert verdicts["aws.guardduty.detector.enabled"] == (
        "fail",
        "GuardDuty is not enabled (detector: none)",
    )
    assert verdicts["aws.guardduty.detector.no-active-high-findings"][0] == "not_applicable"
    assert dict(counter.operations) == {"guardduty:ListDetectors": 1}


def test_calls_per_region(moto: str, estate: dict[str, str]) -> None:
    _, counter = run_unit(GuardDutyConnector, moto, "eu-west-1")
    assert dict(counter.operations) == {
        "guardduty:ListDetectors": 1,
        "guardduty:GetDetector": 1,
        "guardduty:GetFindingsStatistics": 1,
    }


def collect(session: Any, region: str) -> Observation:
    """One unit, sequentially so that Stubber answers in order."""
    ctx = UnitContext(
        run_id="test-run",
        unit_id=f"test/aws.guardduty/{region}",
        scope=Scope("aws", ACCOUNT, region),
        session=session,
        translate=AwsProvider().translate_error,
    )
    [obs] = list(GuardDutyConnector().collect(ctx))
    check_observation(GuardDutyConnector, obs)
    return obs


REAL_DETECTOR = {
    "CreatedAt": "2024-03-01T10:00:00.000Z",
    "FindingPublishingFrequency": "SIX_HOURS",
    "ServiceRole": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/guardduty.amazonaws.com/x",
    "Status": "ENABLED",
    "DataSources": {  # deprecated, still sent; Features wins where both speak
        "CloudTrail": {"Status": "ENABLED"},
        "DNSLogs": {"Status": "ENABLED"},
        "FlowLogs": {"Status": "ENABLED"},
        "S3Logs": {"Status": "DISABLED"},
        "Kubernetes": {"AuditLogs": {"Status": "DISABLED"}},
        "MalwareProtection": {
            "ScanEc2InstanceWithFindings": {"EbsVolumes": {"Status": "DISABLED"}},
            "ServiceRole": "arn:aws:iam::123456789012:role/x",
        },
    },
    "Features": [
        {"Name": "CLOUD_TRAIL", "Status": "ENABLED"},
        {"Name": "DNS_LOGS", "Status": "ENABLED"},
        {"Name": "FLOW_LOGS", "Status": "ENABLED"},
        {"Name": "S3_DATA_EVENTS", "Status": "ENABLED"},
        {"Name": "EKS_AUDIT_LOGS", "Status": "DISABLED"},
        {"Name": "EBS_MALWARE_PROTECTION", "Status": "ENABLED"},
        {"Name": "RDS_LOGIN_EVENTS", "Status": "ENABLED"},
        {"Name": "LAMBDA_NETWORK_LOGS", "Status": "DISABLED"},
        {
            "Name": "RUNTIME_MONITORING",
            "Status": "DISABLED",
            "AdditionalConfiguration": [{"Name": "EKS_ADDON_MANAGEMENT", "Status": "DISABLED"}],
        },
    ],
    "Tags": {"owner": "secops"},
}
STATISTICS_PARAMS = {
    "DetectorId": DETECTOR_ID,
    "GroupBy": "SEVERITY",
    "FindingCriteria": ACTIVE_HIGH_FINDINGS,
    "MaxResults": 100,
}


def test_high_severity_findings_from_real_aws_shapes(moto: str) -> None:
    """Two pages of detector ids (one detector), findings grouped by severity, via Stubber."""
    session = open_session(moto)
    guardduty = session.client("guardduty", "eu-west-1")
    with Stubber(guardduty) as stub:
        stub.add_response("list_detectors", {"DetectorIds": [], "NextToken": "t"}, {})
        stub.add_response("list_detectors", {"DetectorIds": [DETECTOR_ID]}, {"NextToken": "t"})
        stub.add_response("get_detector", REAL_DETECTOR, {"DetectorId": DETECTOR_ID})
        stub.add_response(
            "get_findings_statistics",
            {
                "FindingStatistics": {
                    "GroupedBySeverity": [
                        {"Severity": 8.0, "TotalFindings": 2},
                        {"Severity": 9.0, "TotalFindings": 1},
                        {"Severity": 5.0, "TotalFindings": 4},  # filtered out by AWS; ignored
                    ]
                }
            },
            STATISTICS_PARAMS,
        )
        obs = collect(session, "eu-west-1")
        stub.assert_no_pending_responses()
    assert obs.resource_id == detector_arn("eu-west-1", DETECTOR_ID)
    assert obs.attributes["high_severity_findings"] == 3
    assert obs.attributes["features"]["S3_DATA_EVENTS"] == "ENABLED"  # Features over DataSources
    assert obs.attributes["protections_enabled"] == [
        "CLOUD_TRAIL",
        "DNS_LOGS",
        "EBS_MALWARE_PROTECTION",
        "FLOW_LOGS",
        "RDS_LOGIN_EVENTS",
        "S3_DATA_EVENTS",
    ]
    assert obs.attributes["tags"] == {"owner": "secops"}
    verdicts = evaluate(obs)
    assert verdicts["aws.guardduty.detector.no-active-high-findings"] == (
        "fail",
        "3 active finding(s) of severity 7 or more are not archived (at most 0)",
    )
    assert verdicts["aws.guardduty.detector.runtime-monitoring"] == (
        "fail",
        "Runtime Monitoring is not enabled (RUNTIME_MONITORING DISABLED, EKS_RUNTIME_MONITORING none)",
    )
    assert verdicts["aws.guardduty.detector.eks-audit-logs"][0] == "fail"

    with Stubber(guardduty) as stub:
        stub.add_response("list_detectors", {"DetectorIds": [DETECTOR_ID]}, {})
        stub.add_response("get_detector", REAL_DETECTOR, {"DetectorId": DETECTOR_ID})
        stub.add_response(
            "get_findings_statistics", {"FindingStatistics": {"GroupedBySeverity": []}}
        )
        clean = collect(session, "eu-west-1")
        stub.add_response("list_detectors", {"DetectorIds": [DETECTOR_ID]}, {})
        stub.add_response("get_detector", REAL_DETECTOR, {"DetectorId": DETECTOR_ID})
        stub.add_response("get_findings_statistics", {"FindingStatistics": {}})
        silent = collect(session, "eu-west-1")
    assert clean.attributes["high_severity_findings"] == 0
    assert evaluate(clean)["aws.guardduty.detector.no-active-high-findings"][0] == "pass"
    assert "high_severity_findings" not in silent.attributes  # no groups: unknown, not zero
    assert "without findings grouped by severity" in silent.gaps["high_severity_findings"]


def test_denied_reads_are_gaps(estate: dict[str, str], proxy: Any) -> None:
    detector_id = estate["eu-west-1"]
    proxy.deny(service="guardduty", operation=f"GET /detector/{detector_id}?")
    proxy.deny(service="guardduty", operation=f"POST /detector/{detector_id}/findings/statistics?")
    [obs], _ = run_unit(GuardDutyConnector, proxy.url, "eu-west-1")
    assert obs.attributes == {"detector_id": detector_id}  # what was readable is still evidence
    for name in ("enabled", "features", "protections_enabled", "high_severity_findings", "tags"):
        assert "PermissionDenied" in obs.gaps[name]
    status, reason = evaluate(obs)["aws.guardduty.detector.enabled"]
    assert status == "error" and "could not read enabled: PermissionDenied" in reason

    proxy.deny(service="guardduty", operation="GET /detector?")
    with pytest.raises(ClientError) as denied:
        run_unit(GuardDutyConnector, proxy.url, "us-east-1")
    unit_error = AwsProvider().translate_error(denied.value)  # what the runner records
    assert isinstance(unit_error, PermissionDenied) and unit_error.operation == "ListDetectors"


def test_features_fall_back_to_data_sources() -> None:
    assert features_dict({"Status": "ENABLED"}) == {}
    assert features_dict(
        {
            "DataSources": {
                "Kubernetes": {"AuditLogs": {"Status": "ENABLED"}},
                "MalwareProtection": {
                    "ScanEc2InstanceWithFindings": {"EbsVolumes": {"Status": "ENABLED"}}
                },
            },
            "Features": [{"Name": "EKS_AUDIT_LOGS", "Status": "DISABLED"}],
        }
    ) == {"EBS_MALWARE_PROTECTION": "ENABLED", "EKS_AUDIT_LOGS": "DISABLED"}
