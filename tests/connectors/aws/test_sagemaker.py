"""SageMaker through boto3 against moto over HTTP; network isolation through Stubber."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from botocore.stub import Stubber

from annexa.collector.demo.seed_sagemaker import seed
from annexa.collector.inventory import ai_asset_kinds, ai_inventory, summary
from annexa.connectors.aws.provider import AwsProvider
from annexa.connectors.aws.sagemaker import SageMakerConnector
from annexa.connectors.base import UnitContext
from annexa.connectors.errors import PermissionDenied
from annexa.connectors.records import Observation, Scope
from tests.support.aws import ACCOUNT, by_id, open_session, run_unit

REGION = "eu-west-1"
ARN = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}"


@pytest.fixture
def estate(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    seed()
    return moto


def names(observations: list[Observation], kind: str) -> dict[str, dict[str, Any]]:
    return {o.attributes["name"]: o.attributes for o in by_id(observations, kind).values()}


def test_the_seeded_estate(estate: str) -> None:
    session = open_session(estate)
    eu, _ = run_unit(SageMakerConnector, estate, REGION, session)
    us, _ = run_unit(SageMakerConnector, estate, "us-east-1", session)
    assert us == []
    assert all(not o.gaps for o in eu)

    endpoints = names(eu, "aws.sagemaker.endpoint")
    assert endpoints["chat-prod"] == {
        "name": "chat-prod",
        "status": "InService",
        "created_at": endpoints["chat-prod"]["created_at"],
        "endpoint_config_name": "chat-v3",
        "data_capture_enabled": True,
        "data_capture_destination": "s3://ml-inference-capture/chat/",
        "kms_key_id": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/5f1c6a2e-0000-4000-8000-000000000001",
        "model_names": ["chat-v3"],
        "tags": {"owner": "ml-platform"},
    }
    dev = endpoints["summariser-dev"]
    assert dev["kms_key_id"] is None and dev["data_capture_enabled"] is False
    assert dev["data_capture_destination"] is None and dev["tags"] == {}
    assert f"{ARN}:endpoint/chat-prod" in by_id(eu, "aws.sagemaker.endpoint")

    models = names(eu, "aws.sagemaker.model")
    chat = models["chat-v3"]
    assert chat["vpc_configured"] is True and chat["vpc_subnets"] == ["subnet-0a1b2c3d"]
    assert chat["image_pinned_by_digest"] is True and chat["primary_image"].endswith("4e" * 32)
    assert chat["execution_role"] == f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
    # moto always reports EnableNetworkIsolation false; the true case is tested with Stubber.
    assert chat["network_isolation"] is False
    experiment = models["summariser-experiment"]
    assert experiment["vpc_configured"] is False and experiment["vpc_subnets"] == []
    assert experiment["image_pinned_by_digest"] is False and experiment["tags"] == {}

    notebooks = names(eu, "aws.sagemaker.notebook")
    locked = notebooks["ml-platform-analysis"]
    assert locked["root_access"] is False and locked["direct_internet_access"] is False
    assert locked["subnet_id"] == "subnet-0a1b2c3d" and locked["kms_key_id"]
    scratch = notebooks["research-scratch"]
    # Created without the flags: AWS defaults both to Enabled.
    assert scratch["root_access"] is True and scratch["direct_internet_access"] is True
    assert scratch["kms_key_id"] is None and scratch["subnet_id"] is None
    assert scratch["instance_type"] == "ml.p3.2xlarge" and scratch["status"] == "InService"

    domains = names(eu, "aws.sagemaker.domain")
    assert domains["studio-prod"]["app_network_access_type"] == "VpcOnly"
    assert domains["studio-prod"]["auth_mode"] == "SSO" and domains["studio-prod"]["kms_key_id"]
    sandbox = domains["studio-sandbox"]
    assert sandbox["app_network_access_type"] == "PublicInternetOnly"
    assert sandbox["kms_key_id"] is None and sandbox["vpc_id"] == "vpc-0e1f2a3b"
    assert sandbox["default_execution_role"].endswith("role/sagemaker-execution")


def _empty(stub: Stubber, operation: str, key: str) -> None:
    stub.add_response(operation, {key: []})


def test_network_isolated_model_of_real_aws(moto: str) -> None:
    """moto always answers EnableNetworkIsolation false; real AWS's true through Stubber."""
    session = open_session(moto)
    sm = session.client("sagemaker", REGION)  # the cached client the connector will use
    model_arn = f"{ARN}:model/isolated"
    created = datetime(2026, 1, 1, tzinfo=UTC)
    with Stubber(sm) as stub:
        _empty(stub, "list_endpoints", "Endpoints")
        stub.add_response(
            "list_models",
            {"Models": [{"ModelName": "isolated", "ModelArn": model_arn, "CreationTime": created}]},
        )
        _empty(stub, "list_notebook_instances", "NotebookInstances")
        _empty(stub, "list_domains", "Domains")
        stub.add_response(
            "describe_model",
            {
                "ModelName": "isolated",
                "ModelArn": model_arn,
                "CreationTime": created,
                "ExecutionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/r",
                "Containers": [
                    {"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/a@sha256:{'0' * 64}"},
                    {"Image": f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/b:v2"},
                ],
                "EnableNetworkIsolation": True,
            },
            {"ModelName": "isolated"},
        )
        stub.add_response("list_tags", {"Tags": [{"Key": "owner", "Value": "ml"}]})
        observations, _ = run_unit(SageMakerConnector, moto, REGION, session)
        stub.assert_no_pending_responses()
    [model] = observations
    assert model.attributes["network_isolation"] is True
    assert model.attributes["created_at"] == "2026-01-01T00:00:00.000000Z"
    # One of two containers is referenced by a mutable tag: the model is not pinned.
    assert model.attributes["image_pinned_by_digest"] is False
    assert model.attributes["primary_image"].endswith("/a@sha256:" + "0" * 64)
    assert model.attributes["vpc_configured"] is False
    assert model.attributes["tags"] == {"owner": "ml"}


def run_with_notes(endpoint: str, region: str) -> tuple[list[Observation], list[str]]:
    """Like run_unit, but also hands back the unit's notes (what made it partial)."""
    session = open_session(endpoint)
    with ThreadPoolExecutor(2) as pool:
        ctx = UnitContext(
            run_id="test-run",
            unit_id=f"test/aws.sagemaker/{region}",
            scope=Scope("aws", session.account, region),
            session=session,
            translate=AwsProvider().translate_error,
            executor=pool,
        )
        return list(SageMakerConnector().collect(ctx)), ctx.notes


def test_denied_describe_is_a_gap_and_denied_listing_a_note(estate: str, proxy) -> None:
    proxy.deny(service="sagemaker", operation="DescribeNotebookInstance")
    proxy.deny(service="sagemaker", operation="ListDomains")
    observations, notes = run_with_notes(proxy.url, REGION)
    notebooks = by_id(observations, "aws.sagemaker.notebook")
    assert len(notebooks) == 2, "unreadable notebooks are observed with gaps, not skipped"
    for notebook in notebooks.values():
        assert "PermissionDenied" in notebook.gaps["root_access"]
        assert "direct_internet_access" not in notebook.attributes
        assert notebook.attributes["tags"] is not None  # ListTags was still allowed
    # Domains could not be listed: no domain observations, and the unit says why (partial).
    assert not by_id(observations, "aws.sagemaker.domain")
    assert len(notes) == 1 and "domains not listed" in notes[0] and "PermissionDenied" in notes[0]
    assert len(by_id(observations, "aws.sagemaker.endpoint")) == 2


def test_denied_everywhere_fails_the_unit(estate: str, proxy) -> None:
    proxy.deny(service="sagemaker", region=REGION)
    with pytest.raises(PermissionDenied) as denied:
        run_unit(SageMakerConnector, proxy.url, REGION)
    assert denied.value.code == "AccessDenied" and denied.value.status == "denied"


def test_endpoint_config_gone_is_a_gap(estate: str, moto: str) -> None:
    """An endpoint whose config was deleted cannot show its key: a gap, not 'no KMS key'."""
    from tests.support.aws import client

    client(moto, "sagemaker", REGION).delete_endpoint_config(EndpointConfigName="chat-v3")
    observations, _ = run_unit(SageMakerConnector, moto, REGION)
    chat = by_id(observations, "aws.sagemaker.endpoint")[f"{ARN}:endpoint/chat-prod"]
    assert "kms_key_id" in chat.gaps and "model_names" in chat.gaps
    assert chat.attributes["endpoint_config_name"] == "chat-v3"


class ObservationsOnly:
    """The one store query the AI inventory makes, answered from a list of observations."""

    def __init__(self, observations: Iterable[Observation]) -> None:
        self._observations = list(observations)

    def observations(self, run_id: str, kinds: Iterable[str] = ()) -> Iterator[SimpleNamespace]:
        wanted = set(kinds)
        for obs in self._observations:
            if obs.kind in wanted:
                yield SimpleNamespace(
                    kind=obs.kind,
                    resource_id=obs.resource_id,
                    attributes=obs.attributes,
                    account=obs.scope.account,
                    region=obs.scope.region,
                    observed_at=obs.observed_at,
                )


def test_ai_inventory_lists_sagemaker_assets(estate: str) -> None:
    kinds = ai_asset_kinds()
    assert {k: kinds[k] for k in kinds if k.startswith("aws.sagemaker.")} == {
        "aws.sagemaker.endpoint": "endpoint",
        "aws.sagemaker.model": "model",
        "aws.sagemaker.notebook": "notebook",
        "aws.sagemaker.domain": "domain",
    }
    observations, _ = run_unit(SageMakerConnector, estate, REGION)
    assets = ai_inventory(ObservationsOnly(observations), "test-run")  # type: ignore[arg-type]
    assert [(a.category, a.name) for a in assets] == [
        ("domain", "studio-prod"),
        ("domain", "studio-sandbox"),
        ("endpoint", "chat-prod"),
        ("endpoint", "summariser-dev"),
        ("model", "chat-v3"),
        ("model", "summariser-experiment"),
        ("notebook", "ml-platform-analysis"),
        ("notebook", "research-scratch"),
    ]
    assert all(a.region == REGION and a.account == ACCOUNT for a in assets)
    assert summary(assets) == "2 domains, 2 endpoints, 2 models, 2 notebooks"
