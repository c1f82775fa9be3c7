"""Project IAM policy and service account keys through the real clients against FakeGoogle."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from annexa.connectors.calls import CallCounter
from annexa.connectors.errors import PermissionDenied
from annexa.connectors.gcp.iam import IamConnector
from annexa.connectors.records import Observation
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.gcp import FakeGoogle, run_unit

PROJECT_PATH = r"/v3/projects/acme-prod"
POLICY_PATH = r"/v3/projects/acme-prod:getIamPolicy"
ACCOUNTS_PATH = r"/v1/projects/acme-prod/serviceAccounts"
CI = "ci@acme-prod.iam.gserviceaccount.com"
LEGACY = "legacy@acme-prod.iam.gserviceaccount.com"
WEB = "web@acme-prod.iam.gserviceaccount.com"
COMPUTE = "serviceAccount:123456789-compute@developer.gserviceaccount.com"
AGENT = "serviceAccount:123456789@cloudservices.gserviceaccount.com"
RESOURCE = "//cloudresourcemanager.googleapis.com/projects/acme-prod"

GOOD_POLICY = {
    "version": 3,
    "etag": "BwYd1xwDqJQ=",
    "bindings": [
        {"role": "roles/viewer", "members": ["group:auditors@acme.example"]},
        {"role": "roles/editor", "members": [AGENT]},
        {"role": "roles/storage.admin", "members": ["user:alice@acme.example"]},
    ],
    "auditConfigs": [
        {
            "service": "allServices",
            "auditLogConfigs": [
                {"logType": "ADMIN_READ"},
                {"logType": "DATA_READ"},
                {"logType": "DATA_WRITE"},
            ],
        }
    ],
}
BAD_POLICY = {
    "version": 3,
    "etag": "BwYd1xwDqJR=",
    "bindings": [
        {"role": "roles/owner", "members": ["user:alice@acme.example"]},
        {"role": "roles/editor", "members": ["group:devs@acme.example", COMPUTE, AGENT]},
        {"role": "roles/viewer", "members": ["allUsers"]},
        {
            "role": "roles/editor",
            "members": ["user:contractor@partner.example"],
            "condition": {
                "title": "until-june",
                "expression": 'request.time < timestamp("2026-07-01T00:00:00Z")',
            },
        },
        {"role": "roles/storage.objectViewer", "members": ["allAuthenticatedUsers"]},
    ],
    "auditConfigs": [
        {"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}]},
        {
            "service": "storage.googleapis.com",
            "auditLogConfigs": [
                {"logType": "DATA_WRITE", "exemptedMembers": ["user:bob@acme.example"]}
            ],
        },
    ],
}


def stamp(days_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


def account(email: str, disabled: bool = False) -> dict:
    return {
        "name": f"projects/acme-prod/serviceAccounts/{email}",
        "projectId": "acme-prod",
        "uniqueId": str(abs(hash(email)))[:21],
        "email": email,
        "displayName": email.split("@")[0],
        "etag": "MDEwMjE5MjA=",
        "oauth2ClientId": "1234567890",
        **({"disabled": True} if disabled else {}),
    }


def key(email: str, key_id: str, days_ago: int, **extra) -> dict:
    return {
        "name": f"projects/acme-prod/serviceAccounts/{email}/keys/{key_id}",
        "validAfterTime": stamp(days_ago),
        "validBeforeTime": "9999-12-31T23:59:59Z",
        "keyAlgorithm": "KEY_ALG_RSA_2048",
        "keyOrigin": "GOOGLE_PROVIDED",
        "keyType": "USER_MANAGED",
        **extra,
    }


def project_body() -> dict:
    return {
        "name": "projects/123456789",
        "parent": "folders/4242",
        "projectId": "acme-prod",
        "state": "ACTIVE",
        "displayName": "Acme production",
        "createTime": "2021-03-01T10:00:00.000Z",
        "updateTime": "2024-01-01T10:00:00.000Z",
        "etag": 'W/"1c2d"',
        "labels": {"env": "prod"},
    }


def estate(google: FakeGoogle, policy: dict) -> None:
    google.get(PROJECT_PATH, project_body())
    google.post(POLICY_PATH, policy)
    google.get(
        ACCOUNTS_PATH, ("accounts", [account(CI), account(LEGACY, disabled=True), account(WEB)])
    )
    google.get(
        f"{ACCOUNTS_PATH}/{CI}/keys",
        (
            "keys",
            [
                key(CI, "k-fresh", 10),
                key(CI, "k-old", 400, validBeforeTime="2030-01-01T00:00:00Z"),
                key(CI, "k-off", 500, disabled=True, keyOrigin="USER_PROVIDED"),
            ],
        ),
    )
    google.get(f"{ACCOUNTS_PATH}/{LEGACY}/keys", ("keys", [key(LEGACY, "k-legacy", 900)]))
    google.get(f"{ACCOUNTS_PATH}/{WEB}/keys", {})  # no user-managed keys: the API omits "keys"


@pytest.fixture
def google():
    with FakeGoogle().running() as server:
        yield server


def of_kind(observations: list[Observation], kind: str) -> dict[str, Observation]:
    return {o.resource_id: o for o in observations if o.kind == kind}


def statuses(observation: Observation) -> dict[str, str]:
    rules = [r for r in load_rules() if r.kind == observation.kind]
    return {e.rule_id: e.status for e in RuleEngine(rules).evaluate(observation)}


def test_good_project_passes(google: FakeGoogle) -> None:
    google.get(PROJECT_PATH, project_body())
    google.post(POLICY_PATH, GOOD_POLICY)
    google.get(ACCOUNTS_PATH, ("accounts", [account(WEB)]))
    google.get(f"{ACCOUNTS_PATH}/{WEB}/keys", {})
    observations, _ = run_unit(IamConnector, google)
    [project] = observations
    assert project.resource_id == RESOURCE and not project.gaps
    attrs = project.attributes
    assert attrs["project_id"] == "acme-prod" and attrs["project_number"] == "123456789"
    assert attrs["parent"] == "folders/4242" and attrs["state"] == "ACTIVE"
    assert attrs["labels"] == {"env": "prod"} and attrs["bindings_count"] == 3
    assert attrs["data_access_logging"] == ["allServices"]
    assert attrs["service_accounts_with_basic_roles"] == [
        {"member": AGENT, "role": "roles/editor", "conditional": False, "google_managed": True}
    ]
    assert set(statuses(project).values()) == {"pass"}


def test_bad_project_and_keys(google: FakeGoogle) -> None:
    estate(google, BAD_POLICY)
    observations, counter = run_unit(IamConnector, google)
    [project] = of_kind(observations, "gcp.iam.project").values()
    attrs = project.attributes
    assert [(g["member"], g["role"], g["conditional"]) for g in attrs["basic_role_users"]] == [
        ("group:devs@acme.example", "roles/editor", False),
        ("user:alice@acme.example", "roles/owner", False),
        ("user:contractor@partner.example", "roles/editor", True),
    ]
    assert [(g["member"], g["role"]) for g in attrs["public_members"]] == [
        ("allAuthenticatedUsers", "roles/storage.objectViewer"),
        ("allUsers", "roles/viewer"),
    ]
    assert [
        (g["member"], g["google_managed"]) for g in attrs["service_accounts_with_basic_roles"]
    ] == [
        (COMPUTE, False),
        (AGENT, True),
    ]
    assert attrs["conditional_bindings"] == [
        {
            "role": "roles/editor",
            "members": 1,
            "title": "until-june",
            "expression": 'request.time < timestamp("2026-07-01T00:00:00Z")',
        }
    ]
    # allServices' DATA_READ and storage's own DATA_WRITE together cover storage only.
    assert attrs["audit_configs"] == {
        "allServices": ["DATA_READ"],
        "storage.googleapis.com": ["DATA_READ", "DATA_WRITE"],
    }
    assert attrs["data_access_logging"] == ["storage.googleapis.com"]
    assert attrs["audit_exempted_members"] == [
        {
            "service": "storage.googleapis.com",
            "log_type": "DATA_WRITE",
            "member": "user:bob@acme.example",
        }
    ]
    assert set(statuses(project).values()) == {"fail"}

    keys = {
        o.attributes["key_id"]: o.attributes
        for o in of_kind(observations, "gcp.iam.service_account_key").values()
    }
    assert set(keys) == {"k-fresh", "k-old", "k-off", "k-legacy"}  # three keys: two pages
    assert keys["k-fresh"]["age_days"] == 10 and keys["k-fresh"]["expires"] is None
    assert keys["k-old"]["age_days"] == 400 and keys["k-old"]["expires"].startswith("2030-01-01")
    assert keys["k-off"]["disabled"] is True and keys["k-off"]["key_origin"] == "USER_PROVIDED"
    assert keys["k-legacy"]["service_account_disabled"] is True
    assert keys["k-fresh"]["service_account"] == CI
    assert (
        "//iam.googleapis.com/projects/acme-prod/serviceAccounts/" + CI + "/keys/k-old"
        in of_kind(observations, "gcp.iam.service_account_key")
    )
    results = {
        key_id: statuses(o)["gcp.iam.service_account_key.rotation"]
        for o in of_kind(observations, "gcp.iam.service_account_key").values()
        for key_id in [o.attributes["key_id"]]
    }
    assert results == {
        "k-fresh": "pass",
        "k-old": "fail",
        "k-off": "not_applicable",
        "k-legacy": "not_applicable",
    }

    listed = [q for _, path, q in google.requests if path.endswith("/keys")]
    assert listed and all(q.startswith("keyTypes=USER_MANAGED") for q in listed)
    assert [q for _, path, q in google.requests if path == ACCOUNTS_PATH] == ["", "pageToken=2"]
    assert counter.operations == {
        "GET v3/projects/*": 1,
        "POST v3/projects/*:getIamPolicy": 1,
        "GET v1/projects/*/serviceAccounts": 2,
        "GET v1/projects/*/serviceAccounts/*/keys": 4,  # ci has two pages
    }


def test_policy_version_three_is_requested(google: FakeGoogle) -> None:
    bodies: list[bytes] = []
    original = google.handle

    def handle(method: str, target: str, body: bytes):
        if target.split("?")[0].endswith(":getIamPolicy"):
            bodies.append(body)
        return original(method, target, body)

    google.handle = handle  # type: ignore[method-assign]
    estate(google, GOOD_POLICY)
    run_unit(IamConnector, google)
    assert b'"requestedPolicyVersion": 3' in bodies[0]


def test_denied_policy_is_a_gap_not_a_pass(google: FakeGoogle) -> None:
    estate(google, BAD_POLICY)
    google.deny(POLICY_PATH)
    observations, _ = run_unit(IamConnector, google)
    [project] = of_kind(observations, "gcp.iam.project").values()
    assert project.attributes["project_number"] == "123456789"
    assert "PermissionDenied" in project.gaps["public_members"]
    assert "data_access_logging" in project.gaps and "basic_role_users" in project.gaps
    assert set(statuses(project).values()) == {"error"}
    assert of_kind(observations, "gcp.iam.service_account_key")  # keys still observed


def test_denied_key_listing_is_noted(google: FakeGoogle) -> None:
    estate(google, GOOD_POLICY)
    google.deny(f"{ACCOUNTS_PATH}/{CI}/keys")
    notes: list[str] = []
    observations, _ = run_unit(IamConnector, google, notes=notes)
    assert of_kind(observations, "gcp.iam.project")[RESOURCE].attributes["bindings_count"] == 3
    keys = {o.attributes["key_id"] for o in observations if o.kind == "gcp.iam.service_account_key"}
    assert keys == {"k-legacy"}
    assert len(notes) == 1 and CI in notes[0] and "PermissionDenied" in notes[0]


def test_denied_account_listing_still_observes_project(google: FakeGoogle) -> None:
    estate(google, GOOD_POLICY)
    google.deny(f"{ACCOUNTS_PATH}$")
    notes: list[str] = []
    observations, _ = run_unit(IamConnector, google, notes=notes)
    [project] = observations
    assert project.kind == "gcp.iam.project" and not project.gaps
    assert notes and "service accounts not listed" in notes[0]


def test_nothing_readable_denies_the_unit(google: FakeGoogle) -> None:
    google.deny(r"/acme-prod")
    counter = CallCounter()
    with pytest.raises(PermissionDenied):
        run_unit(IamConnector, google, counter=counter)
    assert counter.operations["GET v1/projects/*/serviceAccounts"] == 1
