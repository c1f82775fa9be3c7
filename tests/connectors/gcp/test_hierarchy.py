"""Folder and organization IAM policies, read once per hierarchy target."""

from __future__ import annotations

import pytest

from annexa.connectors.calls import CallCounter
from annexa.connectors.gcp.hierarchy import HierarchyConnector
from annexa.connectors.gcp.iam import IamConnector
from annexa.connectors.gcp.provider import GcpProvider
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.gcp import SETTINGS, FakeGoogle, run_unit, target


@pytest.fixture
def google():
    with FakeGoogle().running() as server:
        yield server


def test_an_organization_policy_and_audit_config(google: FakeGoogle) -> None:
    google.get(
        r"/v3/organizations/987654321098",
        {"name": "organizations/987654321098", "displayName": "acme.example", "state": "ACTIVE"},
    )
    google.post(
        r"/v3/organizations/987654321098:getIamPolicy",
        {
            "bindings": [
                {"role": "roles/owner", "members": ["user:founder@acme.example"]},
                {"role": "roles/browser", "members": ["allAuthenticatedUsers"]},
            ],
            "auditConfigs": [
                {
                    "service": "allServices",
                    "auditLogConfigs": [{"logType": "DATA_READ"}, {"logType": "DATA_WRITE"}],
                }
            ],
        },
    )
    provider = GcpProvider()
    session = provider.open_session(target(google, organization="987654321098"), SETTINGS)
    counter = CallCounter()
    [node], _ = run_unit(HierarchyConnector, google, session, counter)
    assert node.resource_id == "//cloudresourcemanager.googleapis.com/organizations/987654321098"
    assert node.attributes["node_type"] == "organization"
    assert node.attributes["display_name"] == "acme.example"
    assert [g["member"] for g in node.attributes["basic_role_users"]] == [
        "user:founder@acme.example"
    ]
    assert [g["member"] for g in node.attributes["public_members"]] == ["allAuthenticatedUsers"]
    verdicts = {
        e.rule_id.rsplit(".", 1)[1]: e.status
        for e in RuleEngine([r for r in load_rules() if r.kind == node.kind]).evaluate(node)
    }
    assert verdicts == {
        "no-basic-roles-for-users": "fail",
        "no-public-members": "fail",
        "data-access-logging": "pass",
    }
    assert counter.operations == {
        "GET v3/organizations/*": 1,
        "POST v3/organizations/*:getIamPolicy": 1,
    }


def test_a_denied_folder_policy_is_a_gap(google: FakeGoogle) -> None:
    google.get(
        r"/v3/folders/10",
        {
            "name": "folders/10",
            "displayName": "prod",
            "parent": "organizations/1",
            "state": "ACTIVE",
        },
    )
    google.deny(r"/v3/folders/10:getIamPolicy")
    session = GcpProvider().open_session(target(google, folder="10"), SETTINGS)
    [node], _ = run_unit(HierarchyConnector, google, session)
    assert node.attributes["parent"] == "organizations/1"
    assert "public_members" in node.gaps and "PermissionDenied" in node.gaps["public_members"]


def test_hierarchy_and_project_connectors_run_where_they_belong(google: FakeGoogle) -> None:
    provider = GcpProvider()
    folder, project = target(google, folder="10"), target(google, project="acme-prod")
    assert provider.scopes(folder, HierarchyConnector) == ("global",)
    assert provider.scopes(folder, IamConnector) == ()
    assert provider.scopes(project, HierarchyConnector) == ()
    assert provider.scopes(project, IamConnector) == ("global",)
