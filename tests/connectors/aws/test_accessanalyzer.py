"""IAM Access Analyzer through boto3 with Stubber; moto over HTTP for what the runtime does.

moto 5.2.5 has no Access Analyzer at all: its server answers every call with HTTP 500 ("Unable to
find appropriate backend"). So analyzers and findings are tested with Stubber in real AWS's
shapes (two regions, paging, several analyzer types), the denied listing goes through the fault
proxy (which answers AccessDenied itself, before moto), and one test shows that moto's 500
becomes a clear unit error, a gap, never "no analyzer".
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from annexa.collector.runner import check_observation
from annexa.connectors.aws.accessanalyzer import AccessAnalyzerConnector
from annexa.connectors.aws.provider import AwsProvider
from annexa.connectors.base import UnitContext
from annexa.connectors.errors import PermissionDenied, TransientError
from annexa.connectors.records import Observation, Scope
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.aws import ACCOUNT, open_session, run_unit

ACTIVE = {"status": {"eq": ["ACTIVE"]}}
CREATED = "2024-01-10T12:00:00Z"


def region_arn(region: str) -> str:
    return f"arn:aws:access-analyzer:{region}:{ACCOUNT}:analyzers"


def analyzer(region: str, name: str, kind: str, status: str = "ACTIVE") -> dict[str, Any]:
    return {
        "arn": f"arn:aws:access-analyzer:{region}:{ACCOUNT}:analyzer/{name}",
        "name": name,
        "type": kind,
        "createdAt": CREATED,
        "status": status,
    }


def finding(index: int, resource: str | None) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": f"finding-{index}",
        "resourceType": "AWS::S3::Bucket",
        "condition": {},
        "createdAt": CREATED,
        "analyzedAt": CREATED,
        "updatedAt": CREATED,
        "status": "ACTIVE",
        "resourceOwnerAccount": ACCOUNT,
        "isPublic": index % 2 == 0,
    }
    if resource:
        found["resource"] = resource
    return found


def findings_params(arn: str, token: str | None = None) -> dict[str, Any]:
    params: dict[str, Any] = {"analyzerArn": arn, "filter": ACTIVE, "maxResults": 100}
    if token:
        params["nextToken"] = token
    return params


def evaluate(observation: Observation) -> dict[str, tuple[str, str]]:
    engine = RuleEngine([r for r in load_rules() if r.kind == observation.kind])
    return {e.rule_id: (e.status, e.reason) for e in engine.evaluate(observation)}


def collect(session: Any, region: str) -> Observation:
    """One unit, sequentially so that Stubber answers in order."""
    ctx = UnitContext(
        run_id="test-run",
        unit_id=f"test/aws.accessanalyzer/{region}",
        scope=Scope("aws", ACCOUNT, region),
        session=session,
        translate=AwsProvider().translate_error,
    )
    [obs] = list(AccessAnalyzerConnector().collect(ctx))
    check_observation(AccessAnalyzerConnector, obs)
    return obs


def test_analyzers_and_findings_in_two_regions(moto: str) -> None:
    """eu-west-1: an active account analyzer with 25 findings over two pages (23 resources),
    an unused-access analyzer and a disabled organization analyzer, whose findings are not
    read; us-east-1: only an unused-access analyzer, so external access goes unwatched."""
    session = open_session(moto)
    eu_client = session.client("accessanalyzer", "eu-west-1")
    us_client = session.client("accessanalyzer", "us-east-1")
    account = analyzer("eu-west-1", "account-analyzer", "ACCOUNT")
    buckets = [f"arn:aws:s3:::bucket-{i:02d}" for i in range(23)]
    first = [finding(i, buckets[i]) for i in range(15)]
    second = [finding(15 + i, buckets[i]) for i in range(2)]  # a second finding on a bucket
    second += [finding(17 + i, buckets[15 + i]) for i in range(8)]
    with Stubber(eu_client) as eu_stub, Stubber(us_client) as us_stub:
        eu_stub.add_response(
            "list_analyzers",
            {
                "analyzers": [account, analyzer("eu-west-1", "unused", "ACCOUNT_UNUSED_ACCESS")],
                "nextToken": "page-2",
            },
            {"maxResults": 100},
        )
        eu_stub.add_response(
            "list_analyzers",
            {"analyzers": [analyzer("eu-west-1", "org", "ORGANIZATION", "DISABLED")]},
            {"maxResults": 100, "nextToken": "page-2"},
        )
        eu_stub.add_response(
            "list_findings",
            {"findings": first, "nextToken": "f-2"},
            findings_params(account["arn"]),
        )
        eu_stub.add_response(
            "list_findings", {"findings": second}, findings_params(account["arn"], "f-2")
        )
        us_stub.add_response(
            "list_analyzers",
            {"analyzers": [analyzer("us-east-1", "unused", "ACCOUNT_UNUSED_ACCESS")]},
            {"maxResults": 100},
        )
        eu = collect(session, "eu-west-1")
        us = collect(session, "us-east-1")
        eu_stub.assert_no_pending_responses()
        us_stub.assert_no_pending_responses()

    assert eu.kind == "aws.accessanalyzer.region" and eu.resource_id == region_arn("eu-west-1")
    assert eu.gaps == {}
    assert eu.attributes["analyzers"] == [
        {"name": "account-analyzer", "type": "ACCOUNT", "status": "ACTIVE"},
        {"name": "unused", "type": "ACCOUNT_UNUSED_ACCESS", "status": "ACTIVE"},
        {"name": "org", "type": "ORGANIZATION", "status": "DISABLED"},
    ]
    assert eu.attributes["external_access_analyzer_active"] is True
    assert eu.attributes["active_external_findings"] == 25  # findings, not resources
    assert eu.attributes["finding_resources"] == sorted(buckets[:20])  # the first 20 found
    verdicts = evaluate(eu)
    assert verdicts["aws.accessanalyzer.region.external-access-analyzer"] == (
        "pass",
        "External access analyzed by account-analyzer ACCOUNT",
    )
    status, reason = verdicts["aws.accessanalyzer.region.no-active-external-findings"]
    assert status == "fail"
    assert reason.startswith("25 active external-access finding(s) (at most 0), e.g. ")
    assert "arn:aws:s3:::bucket-00, arn:aws:s3:::bucket-01" in reason

    assert us.resource_id == region_arn("us-east-1")
    assert us.attributes == {
        "analyzers": [{"name": "unused", "type": "ACCOUNT_UNUSED_ACCESS", "status": "ACTIVE"}],
        "external_access_analyzer_active": False,
        "active_external_findings": None,
        "finding_resources": [],
    }
    verdicts = evaluate(us)
    assert verdicts["aws.accessanalyzer.region.external-access-analyzer"] == (
        "fail",
        "No active external-access analyzer (analyzers: unused ACCOUNT_UNUSED_ACCESS ACTIVE)",
    )
    assert verdicts["aws.accessanalyzer.region.no-active-external-findings"] == (
        "not_applicable",
        "No active external-access analyzer",
    )


def test_findings_of_every_active_external_analyzer(moto: str) -> None:
    """An account and an organization analyzer: both are read and their findings summed."""
    session = open_session(moto)
    aa = session.client("accessanalyzer", "eu-west-1")
    account = analyzer("eu-west-1", "account", "ACCOUNT")
    org = analyzer("eu-west-1", "org", "ORGANIZATION")
    with Stubber(aa) as stub:
        stub.add_response("list_analyzers", {"analyzers": [org, account]}, {"maxResults": 100})
        stub.add_response("list_findings", {"findings": []}, findings_params(org["arn"]))
        stub.add_response(
            "list_findings",
            {"findings": [finding(1, None), finding(2, "arn:aws:sqs:eu-west-1:1:q")]},
            findings_params(account["arn"]),
        )
        obs = collect(session, "eu-west-1")
        stub.add_response("list_analyzers", {"analyzers": [org]}, {"maxResults": 100})
        stub.add_response("list_findings", {"findings": []}, findings_params(org["arn"]))
        clean = collect(session, "eu-west-1")
        stub.assert_no_pending_responses()
    assert obs.attributes["active_external_findings"] == 2
    assert obs.attributes["finding_resources"] == ["arn:aws:sqs:eu-west-1:1:q"]
    assert clean.attributes["active_external_findings"] == 0
    assert clean.attributes["finding_resources"] == []
    assert evaluate(clean)["aws.accessanalyzer.region.no-active-external-findings"] == (
        "pass",
        "0 active external-access finding(s) (at most 0)",
    )


def test_no_analyzer_is_a_fail_not_a_gap(moto: str) -> None:
    session = open_session(moto)
    aa = session.client("accessanalyzer", "eu-west-1")
    with Stubber(aa) as stub:
        stub.add_response("list_analyzers", {"analyzers": []}, {"maxResults": 100})
        obs = collect(session, "eu-west-1")
    assert obs.gaps == {} and obs.attributes["analyzers"] == []
    assert obs.attributes["external_access_analyzer_active"] is False
    assert evaluate(obs)["aws.accessanalyzer.region.external-access-analyzer"] == (
        "fail",
        "No active external-access analyzer (analyzers: none)",
    )


def test_denied_findings_are_gaps(moto: str) -> None:
    """AccessDeniedException on ListFindings in AWS's shape, through Stubber."""
    session = open_session(moto)
    aa = session.client("accessanalyzer", "eu-west-1")
    account = analyzer("eu-west-1", "account", "ACCOUNT")
    with Stubber(aa) as stub:
        stub.add_response("list_analyzers", {"analyzers": [account]}, {"maxResults": 100})
        stub.add_client_error(
            "list_findings",
            service_error_code="AccessDeniedException",
            service_message="not authorized to perform: access-analyzer:ListFindings",
            http_status_code=403,
        )
        obs = collect(session, "eu-west-1")
    assert obs.attributes["external_access_analyzer_active"] is True
    for name in ("active_external_findings", "finding_resources"):
        assert name not in obs.attributes and "PermissionDenied" in obs.gaps[name]
    status, reason = evaluate(obs)["aws.accessanalyzer.region.no-active-external-findings"]
    assert status == "error" and reason.startswith("evidence gap")


def test_denied_listing_fails_the_unit(moto: str, proxy: Any) -> None:
    proxy.deny(service="access-analyzer", operation="GET /analyzer?maxResults")
    with pytest.raises(ClientError) as denied:
        run_unit(AccessAnalyzerConnector, proxy.url, "eu-west-1")
    unit_error = AwsProvider().translate_error(denied.value)  # what the runner records
    assert isinstance(unit_error, PermissionDenied) and unit_error.operation == "ListAnalyzers"
    assert [(s.service, s.region) for s in proxy.seen if s.service != "sts"] == [
        ("access-analyzer", "eu-west-1")
    ]


def test_moto_without_access_analyzer_is_a_unit_error(moto: str) -> None:
    """moto's HTTP 500 for a service it does not implement: an error status with a readable
    reason, recorded as a gap, never an empty region."""
    with pytest.raises(ClientError) as failed:
        run_unit(AccessAnalyzerConnector, moto, "eu-west-1")
    unit_error = AwsProvider().translate_error(failed.value)
    assert isinstance(unit_error, TransientError) and unit_error.status == "error"
    assert unit_error.is_gap
    assert unit_error.describe() == (
        "TransientError [500] in ListAnalyzers: HTTP 500 after the SDK's retries: "
        "an HTML error page (500 Internal Server Error)"
    )
