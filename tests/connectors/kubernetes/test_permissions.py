"""Declared permissions are exactly what the Kubernetes connectors use; deploy/ matches them."""

from __future__ import annotations

import importlib
import pkgutil
from fnmatch import fnmatchcase
from pathlib import Path

import pytest
import yaml

from annexa.connectors.calls import CallCounter
from annexa.connectors.kubernetes.guard import check
from annexa.connectors.kubernetes.permissions import manifests, parse
from annexa.connectors.registry import connector_registry
from tests.support import kube_estates
from tests.support.kube import FakeApiServer, open_session, run_unit

ROOT = Path(__file__).resolve().parents[3]


def kubernetes_connectors():
    loaded, failures = connector_registry().load_all()
    assert not failures
    return [c for c in loaded.values() if c.provider == "kubernetes"]


def seed_everything(server: FakeApiServer) -> None:
    """Every family's representative estate, in one cluster."""
    for module in pkgutil.iter_modules(kube_estates.__path__):
        importlib.import_module(f"{kube_estates.__name__}.{module.name}").seed(server)


@pytest.fixture
def estate(kube_api: FakeApiServer) -> FakeApiServer:
    seed_everything(kube_api)
    return kube_api


def test_there_are_kubernetes_connectors() -> None:
    assert kubernetes_connectors()


def test_every_request_sent_is_declared(estate: FakeApiServer) -> None:
    session = open_session(estate, page_size=3)
    for connector in kubernetes_connectors():
        counter = CallCounter()
        observations, _ = run_unit(connector, estate, session, counter)
        assert observations, f"{connector.name} observed nothing in the full estate"
        for operation in counter.operations:
            assert any(fnmatchcase(operation, p) for p in connector.permissions), (
                f"{connector.name} sends undeclared {operation!r}"
            )


def test_declared_permissions_are_reads_the_guard_lets_through() -> None:
    for connector in kubernetes_connectors():
        for permission in connector.permissions:
            verb, resource, group = parse(permission)  # raises on secrets and non-reads
            assert verb in ("get", "list")
            if group is None:
                check("GET", resource)
            elif "*" not in resource:
                prefix = f"/apis/{group}/v1" if group else "/api/v1"
                check("GET", f"{prefix}/{resource}" + ("/x" if verb == "get" else ""))


def test_deployed_rbac_is_generated_from_the_declarations() -> None:
    deployed = (ROOT / "deploy" / "kubernetes" / "rbac.yaml").read_text()
    assert deployed == manifests(kubernetes_connectors()), (
        "regenerate with: annexa policy kubernetes > deploy/kubernetes/rbac.yaml"
    )


def test_deployed_cluster_role_only_reads_and_never_secrets() -> None:
    documents = list(yaml.safe_load_all((ROOT / "deploy" / "kubernetes" / "rbac.yaml").read_text()))
    [role] = [d for d in documents if d["kind"] == "ClusterRole"]
    assert role["rules"]
    for rule in role["rules"]:
        assert set(rule["verbs"]) <= {"get", "list"}, rule
        assert "secrets" not in rule.get("resources", []), rule
        assert "*" not in rule.get("apiGroups", []), rule
        wildcard = [r for r in rule.get("resources", []) if "*" in r]
        assert not wildcard or rule["apiGroups"] == ["constraints.gatekeeper.sh"], rule
    [binding] = [d for d in documents if d["kind"] == "ClusterRoleBinding"]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
