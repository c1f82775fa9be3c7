"""Declared permissions are exactly what the connectors use, and deploy/ matches them."""

from __future__ import annotations

from pathlib import Path

import pytest

from annexa.collector.demo import seed
from annexa.connectors.aws.permissions import iam_action, policy_document
from annexa.connectors.aws.provider import AwsProvider
from annexa.connectors.calls import CallCounter
from annexa.connectors.errors import ConnectorError
from annexa.connectors.registry import connector_registry
from tests.support.aws import open_session, run_unit

translate_error = AwsProvider().translate_error
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def demo_estate(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    seed()
    return moto


def aws_connectors():
    loaded, failures = connector_registry().load_all()
    assert not failures
    return [c for c in loaded.values() if c.provider == "aws"]


def test_every_operation_used_is_declared(demo_estate: str) -> None:
    session = open_session(demo_estate, regions=("eu-west-1", "us-east-1"))
    for connector in aws_connectors():
        scopes = ("eu-west-1", "us-east-1") if connector.regional else ("global",)
        used: set[str] = set()
        for scope in scopes:
            counter = CallCounter()
            failed: Exception | None = None
            try:
                run_unit(connector, demo_estate, scope, session, counter)
            except Exception as exc:  # moto lacks the service (Access Analyzer): calls count
                failed = exc
            if failed is not None:
                assert isinstance(failed, ConnectorError) or translate_error(failed), failed
                assert counter.operations, f"{connector.name} failed before any call"
            used |= set(counter.operations)
        needed = {iam_action(op) for op in used} - {None}
        assert needed <= set(connector.permissions), (
            f"{connector.name} uses undeclared {needed - set(connector.permissions)}"
        )


def test_deployed_policy_is_generated_from_the_declarations() -> None:
    deployed = (ROOT / "deploy" / "aws" / "annexa-readonly-policy.json").read_text()
    assert deployed == policy_document(aws_connectors()), (
        "regenerate with: annexa policy aws > deploy/aws/annexa-readonly-policy.json"
    )


def test_declared_permissions_are_reads() -> None:
    for connector in aws_connectors():
        for permission in connector.permissions:  # sts:AssumeRole is the provider's, not theirs
            action = permission.split(":", 1)[1]
            assert action.startswith(("Get", "List", "Describe", "GenerateCredentialReport")), (
                permission
            )
