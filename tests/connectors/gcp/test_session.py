"""The GCP foundation: key-file auth, the read-only guard, discovery, errors."""

from __future__ import annotations

import pytest
from google.cloud import resourcemanager_v3

from annexa.connectors.calls import CallCounter, counting
from annexa.connectors.errors import MutationRefused, NotApplicable, PermissionDenied
from annexa.connectors.gcp.errors import translate
from annexa.connectors.gcp.guard import check, operation
from annexa.connectors.gcp.provider import GcpProvider, GcpTarget
from tests.support.gcp import SETTINGS, FakeGoogle, open_session, target


@pytest.fixture
def google():
    with FakeGoogle().running() as server:
        yield server


def project(number: int, project_id: str, parent: str, state: str = "ACTIVE") -> dict:
    return {"name": f"projects/{number}", "projectId": project_id, "parent": parent, "state": state}


def folder(number: int, parent: str) -> dict:
    return {"name": f"folders/{number}", "parent": parent, "state": "ACTIVE"}


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("POST", "/v3/projects/p1:getIamPolicy", "POST v3/projects/*:getIamPolicy"),
        ("GET", "/v3/projects", "GET v3/projects"),
        ("GET", "/storage/v1/b/bucket/iam", "GET storage/v1/b/*/iam"),
        (
            "GET",
            "/compute/v1/projects/p/global/firewalls",
            "GET compute/v1/projects/*/global/firewalls",
        ),
        (
            "GET",
            "/v1/projects/p/locations/l/keyRings/r/cryptoKeys",
            "GET v1/projects/*/locations/*/keyRings/*/cryptoKeys",
        ),
    ],
)
def test_requests_are_named_without_ids(method: str, path: str, name: str) -> None:
    assert operation(method, path) == name


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("POST", "https://x/v3/projects/p:setIamPolicy"),
        ("DELETE", "https://x/v1/projects/p"),
        ("PATCH", "https://x/v1/projects/p/buckets/b"),
        ("GET", "https://x/storage/v1/b/bucket/o/report.csv?alt=media"),
        ("GET", "https://x/v1/projects/p/secrets/s/versions/1:access"),
    ],
)
def test_guard_refuses_writes_and_data_reads(method: str, url: str) -> None:
    with pytest.raises(MutationRefused):
        check(method, url)


def test_key_file_auth_guard_and_counting(google: FakeGoogle) -> None:
    google.post(
        r"/v3/projects/acme-prod:getIamPolicy",
        {"bindings": [{"role": "roles/viewer", "members": ["user:a@acme.example"]}]},
    )
    session = open_session(google)
    client = session.client("resourcemanager", resourcemanager_v3.ProjectsClient)
    counter = CallCounter()
    with counting(counter):
        policy = client.get_iam_policy(resource="projects/acme-prod")
        with pytest.raises(MutationRefused):
            client.set_iam_policy(request={"resource": "projects/acme-prod", "policy": {}})
    assert [b.role for b in policy.bindings] == ["roles/viewer"]
    assert counter.operations == {"POST v3/projects/*:getIamPolicy": 1} and counter.requests == 1
    assert google.requests[-1][1] == "/v3/projects/acme-prod:getIamPolicy"  # nothing else sent


def test_folder_discovery_walks_subfolders_and_skips_inactive(google: FakeGoogle) -> None:
    google.get(r"/v3/projects", ("projects", []))  # replaced below per parent
    google.routes.clear()
    listing = {
        "folders/10": [
            project(1, "acme-prod", "folders/10"),
            project(2, "acme-old", "folders/10", "DELETE_REQUESTED"),
        ],
        "folders/11": [
            project(3, "acme-data", "folders/11"),
            project(4, "acme-ml", "folders/11"),
            project(5, "acme-web", "folders/11"),
        ],
    }
    subfolders = {"folders/10": [folder(11, "folders/10")], "folders/11": []}
    original = google.handle

    def handle(method: str, target_: str, body: bytes):
        if "parent=" in target_:
            parent = target_.split("parent=")[1].split("&")[0].replace("%2F", "/")
            key = "projects" if target_.startswith("/v3/projects") else "folders"
            items = (listing if key == "projects" else subfolders).get(parent, [])
            google.routes[:] = []
            google.get(target_.split("?")[0], (key, items))
        return original(method, target_, body)

    google.handle = handle  # type: ignore[method-assign]
    expanded = GcpProvider().expand(target(google, folder="10"), SETTINGS)
    assert [t.name for t in expanded] == [
        "gcp-test/folders-10",  # the folder itself, for the hierarchy connectors
        "gcp-test/acme-data",
        "gcp-test/acme-ml",
        "gcp-test/acme-prod",
        "gcp-test/acme-web",
    ]
    assert expanded[0].project is None and expanded[0].folder == "10"
    assert all(t.project and t.folder is None for t in expanded[1:])
    pages = [q for _, p, q in google.requests if p == "/v3/projects" and "folders%2F11" in q]
    assert len(pages) == 2  # three projects, pages of two


def test_errors_are_gaps_or_not_applicable(google: FakeGoogle) -> None:
    google.deny(r"/v3/projects/acme-prod:getIamPolicy")
    client = open_session(google).client("resourcemanager", resourcemanager_v3.ProjectsClient)
    with pytest.raises(Exception) as denied:
        client.get_iam_policy(resource="projects/acme-prod")
    assert isinstance(translate(denied.value), PermissionDenied)
    with pytest.raises(Exception) as missing:
        client.get_project(name="projects/nothing-here")
    assert isinstance(translate(missing.value), NotApplicable)


def test_a_target_names_exactly_one_scope() -> None:
    with pytest.raises(ValueError, match="exactly one"):
        GcpTarget(name="t", project="acme-prod", folder="10")
    with pytest.raises(ValueError, match="exactly one"):
        GcpTarget(name="t")
