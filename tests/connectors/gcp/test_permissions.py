"""The GCP custom role is generated from the connectors' declared permissions."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from annexa.connectors.gcp.permissions import DISCOVERY, role_definition
from annexa.connectors.registry import connector_registry

ROOT = Path(__file__).resolve().parents[3]


def gcp_connectors():
    loaded, failures = connector_registry().load_all()
    assert not failures
    return [c for c in loaded.values() if c.provider == "gcp"]


def test_deployed_role_is_generated_from_the_declarations() -> None:
    deployed = (ROOT / "deploy" / "gcp" / "annexa-readonly-role.yaml").read_text()
    assert deployed == role_definition(gcp_connectors()), (
        "regenerate with: annexa policy gcp > deploy/gcp/annexa-readonly-role.yaml"
    )


def test_the_role_only_reads() -> None:
    role = yaml.safe_load(role_definition(gcp_connectors()))
    permissions = role["includedPermissions"]
    assert set(DISCOVERY) <= set(permissions)
    for permission in permissions:
        assert re.match(r"^[a-z]+\.[A-Za-z]+\.(list|get|getIamPolicy)$", permission), permission


def test_requests_are_checked_against_declared_permissions() -> None:
    from annexa.connectors.gcp.permissions import OPERATION_PERMISSIONS, undeclared
    from annexa.connectors.gcp.storage import StorageConnector

    assert undeclared(StorageConnector, ["GET storage/v1/b", "GET storage/v1/b/*/iam"]) == []
    # a permission the connector does not declare, and a request nobody mapped
    assert undeclared(StorageConnector, ["GET v1/projects/*/instances"]) == [
        "GET v1/projects/*/instances"
    ]
    assert undeclared(StorageConnector, ["GET storage/v1/b/*/o"]) == ["GET storage/v1/b/*/o"]
    declared = {p for c in gcp_connectors() for p in c.permissions}
    assert set(OPERATION_PERMISSIONS.values()) - set(DISCOVERY) <= declared
