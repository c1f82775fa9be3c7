"""`annexa collect` on Google Cloud: a folder's projects discovered, one project unreadable."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from annexa.collector.cli import main
from annexa.store import Store
from tests.support.gcp import FakeGoogle


def project(number: int, project_id: str) -> dict:
    return {
        "name": f"projects/{number}",
        "projectId": project_id,
        "parent": "folders/10",
        "state": "ACTIVE",
    }


@pytest.fixture
def google() -> Iterator[FakeGoogle]:
    with FakeGoogle().running() as server:
        server.get(
            r"/v3/projects",
            ("projects", [project(1, "acme-prod"), project(2, "acme-data"), project(3, "acme-ml")]),
        )
        server.get(r"/v3/folders", ("folders", []))
        for project_id in ("acme-prod", "acme-ml"):
            server.get(
                rf"/v3/projects/{project_id}",
                {"name": "projects/1", "projectId": project_id, "state": "ACTIVE"},
            )
            policy = {"bindings": [{"role": "roles/owner", "members": ["user:alice@acme.example"]}]}
            server.post(rf"/v3/projects/{project_id}:getIamPolicy", policy)
            server.get(rf"/v1/projects/{project_id}/serviceAccounts", ("accounts", []))
        server.deny(r"/projects/acme-data")  # the folder lists it; annexa may not read it
        yield server


def test_a_folder_is_collected_project_by_project(google: FakeGoogle, tmp_path: Path) -> None:
    config = tmp_path / "annexa.toml"
    config.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "evidence.db"}"
[signing]
key_path = "{tmp_path / "annexa.key"}"
[collector]
max_attempts = 1

[[targets]]
name = "acme"
provider = "gcp"
folder = "10"
exclude_projects = ["acme-ml"]
credentials_file = "{google.key_file(tmp_path)}"
endpoints = {{ "*" = "{google.url}" }}
connectors = ["gcp.iam"]
"""
    )
    result = CliRunner().invoke(main, ["collect", "--config", str(config), "--quiet"])
    assert result.exit_code == 1, result.output  # a gap: acme-data could not be read
    store = Store.open(f"sqlite:///{tmp_path / 'evidence.db'}")
    units = {u.unit_key: u for u in store.units(store.run().id)}
    findings = list(store.findings(store.run().id))
    store.close()
    assert set(units) == {"acme/acme-data/gcp.iam/global", "acme/acme-prod/gcp.iam/global"}
    assert units["acme/acme-prod/gcp.iam/global"].status == "ok"
    assert units["acme/acme-prod/gcp.iam/global"].account == "acme-prod"
    denied = units["acme/acme-data/gcp.iam/global"]
    assert denied.status == "denied" and denied.account == "acme-data"
    assert "PermissionDenied" in (denied.error_message or "")
    failing = {(f.rule_id, f.account) for f in findings if f.status == "fail"}
    assert ("gcp.iam.project.no-basic-roles-for-users", "acme-prod") in failing
    assert all(f.account == "acme-prod" for f in findings)  # nothing judged for acme-data
    requested = [path for _, path, _ in google.requests]
    assert not any("acme-ml" in path for path in requested)  # excluded before anything is read
    status = CliRunner().invoke(main, ["status", "--config", str(config), "--format", "json"])
    controls = {c["control"]: c for c in json.loads(status.output)["controls"]}
    assert controls["A.8.2"]["gap"] >= 1 and controls["A.8.2"]["fail"] >= 1
