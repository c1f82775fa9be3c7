"""Bedrock through boto3 against moto over HTTP; guardrails and real KMS answers via Stubber.

moto 5.2.5 implements invocation logging and custom models, but not ListGuardrails/GetGuardrail
(HTTP 500), and it invents a KMS key ARN for every custom model: guardrails and a custom model
without a customer-managed key are tested with Stubber in real AWS's shapes.
"""

from __future__ import annotations

import socket
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import EndpointConnectionError
from botocore.stub import Stubber

from annexa.collector.demo.seed_bedrock import seed
from annexa.collector.runner import check_observation
from annexa.connectors.aws.bedrock import (
    BedrockConnector,
    bedrock_unavailable,
    transform_guardrail,
)
from annexa.connectors.aws.provider import AwsProvider
from annexa.connectors.base import UnitContext
from annexa.connectors.errors import NotApplicable, PermissionDenied
from annexa.connectors.records import Observation, Scope
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.aws import ACCOUNT, by_id, open_session

REGION = "eu-west-1"
ARN = f"arn:aws:bedrock:{REGION}:{ACCOUNT}"
LOGGING_ID = f"{ARN}:model-invocation-logging"
WHEN = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def estate(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    seed()
    return moto


def collect(session: Any, region: str) -> tuple[list[Observation], list[str]]:
    """One unit, sequentially (Stubber answers in order), with its notes and contract check."""
    ctx = UnitContext(
        run_id="test-run",
        unit_id=f"test/aws.bedrock/{region}",
        scope=Scope("aws", ACCOUNT, region),
        session=session,
        translate=AwsProvider().translate_error,
    )
    observations = list(BedrockConnector().collect(ctx))
    for obs in observations:
        check_observation(BedrockConnector, obs)
    return observations, ctx.notes


def test_the_seeded_estate(estate: str) -> None:
    session = open_session(estate)
    eu, eu_notes = collect(session, REGION)
    us, us_notes = collect(session, "us-east-1")

    logging = by_id(eu, "aws.bedrock.invocation_logging")[LOGGING_ID].attributes
    assert logging["name"] == REGION and logging["enabled"] is True
    assert logging["cloudwatch_log_group"] == "/bedrock/model-invocations"
    assert logging["text_data_delivery"] is True and logging["image_data_delivery"] is False
    assert logging["s3_bucket"] is None
    [us_logging] = by_id(us, "aws.bedrock.invocation_logging").values()
    assert (
        us_logging.attributes["enabled"] is False and us_logging.attributes["name"] == "us-east-1"
    )
    assert us_logging.resource_id == f"arn:aws:bedrock:us-east-1:{ACCOUNT}:model-invocation-logging"

    models = {
        o.attributes["name"]: o.attributes for o in by_id(eu, "aws.bedrock.custom_model").values()
    }
    assert set(models) == {"support-answers", "claims-triage"}
    support = models["support-answers"]
    assert support["base_model"].endswith("foundation-model/amazon.titan-text-express-v1")
    assert support["job_name"] == "support-answers-job" and support["tags"] == {
        "owner": "ml-platform"
    }
    assert support["created_at"].endswith("Z")
    assert models["claims-triage"]["tags"] == {}
    # moto invents a KMS key for every custom model; the AWS-owned-key case is in a Stubber test.
    assert support["kms_key_arn"].startswith(f"arn:aws:kms:{REGION}:{ACCOUNT}:key/")
    assert not by_id(us, "aws.bedrock.custom_model")

    # moto lacks ListGuardrails: no guardrail is reported as "none", the unit notes a gap.
    for observations, notes in ((eu, eu_notes), (us, us_notes)):
        assert not by_id(observations, "aws.bedrock.guardrail")
        assert len(notes) == 1 and notes[0].startswith("Bedrock guardrails not listed:")
        assert "TransientError" in notes[0] and "ListGuardrails" in notes[0]


def _guardrail(guardrail_id: str, **policies: Any) -> dict[str, Any]:
    return {
        "name": guardrail_id,
        "guardrailId": guardrail_id,
        "guardrailArn": f"{ARN}:guardrail/{guardrail_id}",
        "version": "DRAFT",
        "status": "READY",
        "createdAt": WHEN,
        "updatedAt": WHEN,
        "blockedInputMessaging": "Sorry.",
        "blockedOutputsMessaging": "Sorry.",
        **policies,
    }


def _summary(guardrail: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": guardrail["guardrailId"],
        "arn": guardrail["guardrailArn"],
        "status": "READY",
        "name": guardrail["name"],
        "version": "DRAFT",
        "createdAt": WHEN,
        "updatedAt": WHEN,
    }


STRICT = _guardrail(
    "support-bot",
    contentPolicy={
        "filters": [
            {"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"},
            {"type": "HATE", "inputStrength": "MEDIUM", "outputStrength": "MEDIUM"},
        ]
    },
    sensitiveInformationPolicy={
        "piiEntities": [
            {"type": "EMAIL", "action": "ANONYMIZE"},
            {"type": "US_SOCIAL_SECURITY_NUMBER", "action": "BLOCK"},
        ],
        "regexes": [{"name": "policy-no", "pattern": "P-[0-9]{8}", "action": "ANONYMIZE"}],
    },
    topicPolicy={"topics": [{"name": "advice", "definition": "x", "type": "DENY"}]},
    kmsKeyArn=f"arn:aws:kms:{REGION}:{ACCOUNT}:key/guardrails",
)
LAX = _guardrail(
    "prototype",
    contentPolicy={
        "filters": [{"type": "PROMPT_ATTACK", "inputStrength": "LOW", "outputStrength": "NONE"}]
    },
    # Detect-only PII (action NONE) leaks as much as no policy at all.
    sensitiveInformationPolicy={"piiEntities": [{"type": "NAME", "action": "NONE"}]},
)


def test_guardrails_and_keys_of_real_aws(moto: str) -> None:
    session = open_session(moto)
    bedrock = session.client("bedrock", REGION)  # the cached client the connector will use
    model_arn = f"{ARN}:custom-model/claims-ft"
    with Stubber(bedrock) as stub:
        stub.add_response("get_model_invocation_logging_configuration", {})  # never configured
        stub.add_response("list_guardrails", {"guardrails": [_summary(STRICT), _summary(LAX)]})
        stub.add_response(
            "list_custom_models",
            {
                "modelSummaries": [
                    {
                        "modelArn": model_arn,
                        "modelName": "claims-ft",
                        "creationTime": WHEN,
                        "baseModelArn": "arn:aws:bedrock:eu-west-1::foundation-model/m",
                        "baseModelName": "m",
                    }
                ]
            },
        )
        stub.add_response(
            "get_guardrail",
            STRICT,
            {"guardrailIdentifier": "support-bot", "guardrailVersion": "DRAFT"},
        )
        stub.add_response("list_tags_for_resource", {"tags": [{"key": "owner", "value": "cx"}]})
        stub.add_response(
            "get_guardrail", LAX, {"guardrailIdentifier": "prototype", "guardrailVersion": "DRAFT"}
        )
        stub.add_response("list_tags_for_resource", {"tags": []})
        stub.add_response(
            "get_custom_model",
            {  # no modelKmsKeyArn: encrypted with an AWS-owned key
                "modelArn": model_arn,
                "modelName": "claims-ft",
                "jobName": "claims-ft-job",
                "baseModelArn": "arn:aws:bedrock:eu-west-1::foundation-model/m",
                "customizationType": "FINE_TUNING",
                "modelStatus": "Active",
                "creationTime": WHEN,
            },
            {"modelIdentifier": model_arn},
        )
        stub.add_response("list_tags_for_resource", {"tags": []}, {"resourceARN": model_arn})
        observations, notes = collect(session, REGION)
        stub.assert_no_pending_responses()
    assert notes == []

    guardrails = {
        o.attributes["name"]: o.attributes
        for o in by_id(observations, "aws.bedrock.guardrail").values()
    }
    strict = guardrails["support-bot"]
    assert strict["prompt_attack_strength"] == "HIGH" and strict["prompt_attack_blocks"] is True
    assert strict["content_filters"] == {"HATE": "MEDIUM", "PROMPT_ATTACK": "HIGH"}
    assert strict["pii_policy"] is True
    assert strict["pii_entity_types"] == ["EMAIL", "US_SOCIAL_SECURITY_NUMBER"]
    assert strict["pii_regex_count"] == 1 and strict["denied_topic_count"] == 1
    assert strict["kms_key_arn"].endswith("key/guardrails") and strict["tags"] == {"owner": "cx"}
    assert strict["created_at"] == "2026-03-01T12:00:00.000000Z" and strict["version"] == "DRAFT"
    lax = guardrails["prototype"]
    assert lax["prompt_attack_strength"] == "LOW" and lax["pii_policy"] is False
    assert lax["pii_entity_types"] == [] and lax["kms_key_arn"] is None

    [model] = by_id(observations, "aws.bedrock.custom_model").values()
    assert model.attributes["kms_key_arn"] is None and model.attributes["status"] == "Active"
    assert model.attributes["customization_type"] == "FINE_TUNING"
    logging = by_id(observations, "aws.bedrock.invocation_logging")[LOGGING_ID]
    assert (
        logging.attributes["enabled"] is False
        and logging.attributes["cloudwatch_log_group"] is None
    )

    outcome = {
        (e.rule_id, o.attributes["name"]): e.status
        for o in observations
        for e in RuleEngine(load_rules()).evaluate(o)
    }
    assert outcome[("aws.bedrock.guardrail.prompt-attack", "support-bot")] == "pass"
    assert outcome[("aws.bedrock.guardrail.prompt-attack", "prototype")] == "fail"
    assert outcome[("aws.bedrock.guardrail.sensitive-information", "prototype")] == "fail"
    assert outcome[("aws.bedrock.guardrail.kms", "support-bot")] == "pass"
    assert outcome[("aws.bedrock.guardrail.owner", "prototype")] == "fail"
    assert outcome[("aws.bedrock.custom-model.kms", "claims-ft")] == "fail"
    assert outcome[("aws.bedrock.invocation-logging.enabled", REGION)] == "fail"


def test_detect_only_and_disabled_prompt_filters_do_not_count() -> None:
    detect_only = {"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "NONE"}
    detected = transform_guardrail(
        _guardrail("g", contentPolicy={"filters": [{**detect_only, "inputAction": "NONE"}]})
    )
    assert (
        detected["prompt_attack_strength"] == "HIGH" and detected["prompt_attack_blocks"] is False
    )
    disabled = transform_guardrail(
        _guardrail("g", contentPolicy={"filters": [{**detect_only, "inputEnabled": False}]})
    )
    assert disabled["prompt_attack_strength"] == "NONE" and disabled["content_filters"] == {}
    bare = transform_guardrail(_guardrail("g"))
    assert bare["prompt_attack_strength"] == "NONE" and bare["prompt_attack_blocks"] is False


def test_region_without_a_bedrock_endpoint_is_skipped() -> None:
    """Where Bedrock's regional endpoint does not resolve, the unit is not applicable."""
    unreachable = boto3.client(
        "bedrock",
        region_name=REGION,
        endpoint_url="http://bedrock.eu-nowhere-1.invalid",
        config=Config(retries={"max_attempts": 1}, connect_timeout=5),
    )
    session = SimpleNamespace(client=lambda service, region: unreachable)
    with pytest.raises(NotApplicable) as skipped:
        collect(session, REGION)
    assert skipped.value.status == "skipped" and "no endpoint in eu-west-1" in skipped.value.message


def test_unrecognized_client_is_skipped_and_connection_refused_is_not(moto: str) -> None:
    session = open_session(moto)
    with Stubber(session.client("bedrock", REGION)) as stub:
        stub.add_client_error(
            "get_model_invocation_logging_configuration",
            "UnrecognizedClientException",
            "The security token included in the request is invalid.",
            http_status_code=403,
        )
        with pytest.raises(NotApplicable, match="not enabled for the account"):
            collect(session, REGION)
    refused = EndpointConnectionError(
        endpoint_url="https://bedrock.eu-west-1.amazonaws.com",
        error=ConnectionRefusedError("refused"),
    )
    assert bedrock_unavailable(refused, REGION) is None  # a network failure stays a gap
    missing = EndpointConnectionError(
        endpoint_url="https://bedrock.af-south-1.amazonaws.com",
        error=socket.gaierror(-2, "Name or service not known"),
    )
    assert isinstance(bedrock_unavailable(missing, "af-south-1"), NotApplicable)


def test_denied_logging_configuration_is_a_gap(estate: str, proxy) -> None:
    proxy.deny(service="bedrock", operation="GET /logging/modelinvocations?")
    observations, notes = collect(open_session(proxy.url), REGION)
    logging = by_id(observations, "aws.bedrock.invocation_logging")[LOGGING_ID]
    assert "PermissionDenied" in logging.gaps["enabled"]
    assert "enabled" not in logging.attributes and logging.attributes["name"] == REGION
    assert len(by_id(observations, "aws.bedrock.custom_model")) == 2
    assert [n.split(":")[0] for n in notes] == ["Bedrock guardrails not listed"]  # moto lacks it
    evaluations = RuleEngine(load_rules()).evaluate(logging)
    assert [e.status for e in evaluations] == ["error"]  # an evidence gap, never a pass


def test_bedrock_denied_everywhere_fails_the_unit(estate: str, proxy) -> None:
    proxy.deny(service="bedrock", region=REGION)
    with pytest.raises(PermissionDenied) as denied:
        collect(open_session(proxy.url), REGION)
    assert denied.value.status == "denied"
