"""The registry: lazy entry points, declared metadata, broken plugins reported not fatal."""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest

from annexa.connectors.base import Connector
from annexa.connectors.registry import (
    CONNECTOR_GROUP,
    PluginError,
    connector_registry,
    provider_registry,
)

EXPECTED = {
    "aws.iam",
    "aws.s3",
    "aws.cloudtrail",
    "aws.config",
    "aws.kms",
    "aws.organizations",
    "aws.backup",
    "aws.elbv2",
    "aws.acm",
    "aws.lambda",
    "aws.ecr",
    "aws.eks",
    "aws.sagemaker",
    "aws.bedrock",
    "aws.ec2",
    "aws.vpc",
    "aws.rds",
    "aws.cloudwatch",
    "aws.guardduty",
    "aws.securityhub",
    "aws.accessanalyzer",
    "kubernetes.rbac",
    "kubernetes.namespaces",
    "kubernetes.workloads",
    "kubernetes.controlplane",
    "kubernetes.admission",
    "kubernetes.modelserving",
}


def point(name: str, value: str) -> EntryPoint:
    return EntryPoint(name=name, value=value, group=CONNECTOR_GROUP)


def test_installed_connectors_are_registered() -> None:
    registry = connector_registry()
    assert set(registry.names()) >= EXPECTED
    loaded, failures = registry.load_all()
    assert failures == []
    assert set(loaded) >= EXPECTED


def test_listing_imports_nothing() -> None:
    registry = connector_registry([point("aws.broken", "annexa_no_such_module:Thing")])
    assert registry.names() == ["aws.broken"]  # no import happened, so no error yet


def test_broken_plugin_is_reported_and_skipped() -> None:
    registry = connector_registry(
        [
            point("aws.s3", "annexa.connectors.aws.s3:S3Connector"),
            point("aws.broken", "annexa_no_such_module:Thing"),
        ]
    )
    loaded, failures = registry.load_all()
    assert list(loaded) == ["aws.s3"]
    [failure] = failures
    assert failure.name == "aws.broken" and "ModuleNotFoundError" in failure.error
    with pytest.raises(PluginError, match="ModuleNotFoundError"):
        registry.load("aws.broken")


def test_unknown_name() -> None:
    with pytest.raises(PluginError, match=r"no plugin named 'aws\.nope'"):
        connector_registry().load("aws.nope")


class Nameless(Connector):
    name = "aws.other"
    provider = "aws"
    description = "x"
    kinds = ()
    permissions = ("s3:ListAllMyBuckets",)

    def collect(self, ctx):  # pragma: no cover
        yield from ()


def test_metadata_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    module = types.ModuleType("annexa_fake_plugin")
    module.Nameless = Nameless
    monkeypatch.setitem(sys.modules, "annexa_fake_plugin", module)
    registry = connector_registry([point("aws.fake", "annexa_fake_plugin:Nameless")])
    with pytest.raises(PluginError, match=r"registered as 'aws\.fake'"):
        registry.load("aws.fake")
    Nameless.name = "aws.fake"
    try:
        with pytest.raises(PluginError, match="declares no observation kinds"):
            connector_registry([point("aws.fake", "annexa_fake_plugin:Nameless")]).load("aws.fake")
    finally:
        Nameless.name = "aws.other"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_connector_declares_usable_metadata(name: str) -> None:
    """Registry-wide meta-test: what each connector declares is complete and consistent."""
    cls = connector_registry().load(name)
    assert cls.description and cls.permissions
    kinds = [k.name for k in cls.kinds]
    assert len(kinds) == len(set(kinds))
    for kind in cls.kinds:
        assert kind.name.startswith(f"{cls.provider}.") and kind.description
        assert all(isinstance(d, str) and d for d in kind.attributes.values())


def test_providers() -> None:
    assert "aws" in provider_registry().names()
    assert provider_registry().load("aws").name == "aws"
