"""Vertex AI endpoints, models and Workbench instances over REST against the fake server."""

from __future__ import annotations

import re

import pytest

from annexa.connectors.base import AI_ASSET_CATEGORIES
from annexa.connectors.errors import NotApplicable
from annexa.connectors.gcp.vertex import REGIONS, VertexConnector
from annexa.connectors.records import Observation
from tests.support.gcp import FakeGoogle, Route, run_unit

V1 = "/v1/projects/acme-prod/locations"
NAME = "projects/123456789/locations"  # the API names resources by project number
BASE = "//aiplatform.googleapis.com/projects/acme-prod/locations"
KEY = "projects/acme-sec/locations/us-central1/keyRings/ml/cryptoKeys/vertex"
DIGEST = "sha256:" + "ab" * 32
SECRET = "sk-live-do-not-store"


def endpoint(region: str, eid: str, **extra: object) -> dict:
    return {
        "name": f"{NAME}/{region}/endpoints/{eid}",
        "displayName": f"endpoint-{eid}",
        "createTime": "2026-01-05T10:00:00.000000Z",
        "updateTime": "2026-01-05T10:00:00.000000Z",
        "etag": "AMEw9yN",
        **extra,
    }


def model(region: str, mid: str, **extra: object) -> dict:
    return {
        "name": f"{NAME}/{region}/models/{mid}",
        "displayName": f"model-{mid}",
        "versionId": "1",
        "versionAliases": ["default"],
        "createTime": "2026-01-05T10:00:00.000000Z",
        "supportedDeploymentResourcesTypes": ["DEDICATED_RESOURCES"],
        **extra,
    }


CENTRAL_ENDPOINTS = [
    endpoint(
        "us-central1",
        "1001",
        displayName="chat",
        encryptionSpec={"kmsKeyName": KEY},
        network="projects/123456789/global/networks/ml-vpc",
        predictRequestResponseLoggingConfig={
            "enabled": True,
            "samplingRate": 0.25,
            "bigqueryDestination": {"outputUri": "bq://acme-prod.vertex.chat_log"},
        },
        deployedModels=[
            {
                "id": "555",
                "model": f"{NAME}/us-central1/models/2001",
                "modelVersionId": "1",
                "displayName": "ranker-v1",
                "dedicatedResources": {"machineSpec": {"machineType": "n1-standard-4"}},
            },
            {"id": "556", "model": f"{NAME}/us-central1/models/2002@3"},
        ],
        trafficSplit={"555": 90, "556": 10},
        labels={"owner": "ml-platform"},
    ),
    endpoint(
        "us-central1",
        "1002",
        privateServiceConnectConfig={
            "enablePrivateServiceConnect": True,
            "projectAllowlist": ["acme-prod"],
        },
    ),
    endpoint(
        "us-central1",
        "1003",
        dedicatedEndpointEnabled=True,
        dedicatedEndpointDns="1003.us-central1-123456789.prediction.vertexai.goog",
        predictRequestResponseLoggingConfig={"enabled": False, "samplingRate": 0.5},
    ),
]
CENTRAL_MODELS = [
    model(
        "us-central1",
        "2001",
        displayName="ranker",
        encryptionSpec={"kmsKeyName": KEY},
        artifactUri="gs://acme-models/ranker/v1",
        containerSpec={
            "imageUri": f"us-docker.pkg.dev/acme/serve/ranker@{DIGEST}",
            "env": [{"name": "API_TOKEN", "value": SECRET}],
            "ports": [{"containerPort": 8080}],
        },
        labels={"owner": "search"},
    ),
    model(
        "us-central1",
        "2002",
        containerSpec={"imageUri": "us-docker.pkg.dev/acme/serve/llm:latest"},
        artifactUri="gs://acme-models/llm",
    ),
    model("us-central1", "2003", displayName="automl-tabular"),  # no custom container
]
EUROPE_ENDPOINTS = [endpoint("europe-west4", "3001")]
EUROPE_MODELS = [model("europe-west4", "4001", labels={"team": "ml"})]

NOTEBOOKS = [
    {
        "name": "projects/acme-prod/locations/us-central1-a/instances/research-1",
        "id": "0f1e2d3c",
        "creator": "alice@acme.example",
        "state": "ACTIVE",
        "healthState": "HEALTHY",
        "proxyUri": "abc-dot-us-central1.notebooks.googleusercontent.com",
        "gceSetup": {
            "machineType": "e2-standard-4",
            "disablePublicIp": True,
            "serviceAccounts": [{"email": "nb@acme-prod.iam.gserviceaccount.com"}],
            "bootDisk": {"diskSizeGb": "150", "diskEncryption": "CMEK", "kmsKey": KEY},
            "dataDisks": [{"diskSizeGb": "100", "diskEncryption": "CMEK", "kmsKey": KEY}],
            "metadata": {
                "notebook-disable-root": "true",
                "startup-script-url": f"https://example.com/boot?token={SECRET}",
                "jupyter-api-key": SECRET,
            },
            "networkInterfaces": [{"network": "projects/acme-prod/global/networks/ml-vpc"}],
        },
        "labels": {"owner": "research"},
    },
    {
        "name": "projects/acme-prod/locations/europe-west4-b/instances/scratch",
        "state": "STOPPED",
        "gceSetup": {
            "machineType": "n1-standard-8",
            "serviceAccounts": [{"email": "123456789-compute@developer.gserviceaccount.com"}],
            "bootDisk": {"diskEncryption": "GMEK"},
            "dataDisks": [{"diskEncryption": "GMEK"}],
            "metadata": {"notebook-disable-root": "false", "idle-timeout-seconds": "3600"},
        },
    },
    {
        "name": "projects/acme-prod/locations/asia-northeast1-c/instances/plain",
        "state": "PROVISIONING",
        "gceSetup": {"machineType": "e2-medium"},
    },
]

DISABLED = {
    "error": {
        "code": 403,
        "message": "Vertex AI API has not been used in project 123456789 before or it is "
        "disabled. Enable it by visiting https://console.developers.google.com/apis/api/"
        "aiplatform.googleapis.com/overview?project=123456789 then retry.",
        "status": "PERMISSION_DENIED",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "SERVICE_DISABLED",
                "domain": "googleapis.com",
                "metadata": {
                    "service": "aiplatform.googleapis.com",
                    "consumer": "projects/123456789",
                },
            }
        ],
    }
}
NOTEBOOKS_DISABLED = {
    "error": {
        **DISABLED["error"],
        "message": "Notebooks API has not been used in project 123456789 before or it is disabled.",
        "details": [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": "SERVICE_DISABLED",
                "metadata": {"service": "notebooks.googleapis.com"},
            }
        ],
    }
}

ENDPOINTS_OP = "GET v1/projects/*/locations/*/endpoints"
MODELS_OP = "GET v1/projects/*/locations/*/models"
NOTEBOOKS_OP = "GET v2/projects/*/locations/*/instances"
OPERATIONS = {
    ENDPOINTS_OP: len(REGIONS) + 1,  # three us-central1 endpoints, pages of two
    MODELS_OP: len(REGIONS) + 1,  # three us-central1 models
    NOTEBOOKS_OP: 2,  # three instances
}


@pytest.fixture
def google():
    server = FakeGoogle()
    server.get(f"{V1}/us-central1/endpoints", ("endpoints", CENTRAL_ENDPOINTS))
    server.get(f"{V1}/us-central1/models", ("models", CENTRAL_MODELS))
    server.get(f"{V1}/europe-west4/endpoints", ("endpoints", EUROPE_ENDPOINTS))
    server.get(f"{V1}/europe-west4/models", ("models", EUROPE_MODELS))
    server.get(f"{V1}/[a-z0-9-]+/endpoints", ("endpoints", []))
    server.get(f"{V1}/[a-z0-9-]+/models", ("models", []))
    server.get("/v2/projects/acme-prod/locations/-/instances", ("instances", NOTEBOOKS))
    with server.running():
        yield server


def refuse(server: FakeGoogle, path: str, body: dict) -> None:
    """Answer ``path`` with a Google error body (ahead of the other routes)."""
    server.routes.insert(0, Route("GET", re.compile(f"^{path}$"), body, status=403))


def by_kind(observations: list[Observation], kind: str) -> dict[str, dict]:
    return {o.resource_id: o.attributes for o in observations if o.kind == kind}


def test_endpoints_across_regions(google: FakeGoogle) -> None:
    notes: list[str] = []
    observations, counter = run_unit(VertexConnector, google, notes=notes)
    endpoints = by_kind(observations, "gcp.vertex.endpoint")
    assert set(endpoints) == {
        f"{BASE}/us-central1/endpoints/1001",
        f"{BASE}/us-central1/endpoints/1002",
        f"{BASE}/us-central1/endpoints/1003",
        f"{BASE}/europe-west4/endpoints/3001",
    }
    assert endpoints[f"{BASE}/us-central1/endpoints/1001"] == {
        "name": "chat",
        "endpoint_id": "1001",
        "region": "us-central1",
        "cmek": KEY,
        "private": True,
        "network": "projects/123456789/global/networks/ml-vpc",
        "private_service_connect": False,
        "dedicated_endpoint": False,
        "request_response_logging": True,
        "logging_sampling_rate": 0.25,
        "logging_destination": "bq://acme-prod.vertex.chat_log",
        "deployed_model_count": 2,
        "deployed_model_ids": ["2001", "2002@3"],
        "labels": {"owner": "ml-platform"},
    }
    psc = endpoints[f"{BASE}/us-central1/endpoints/1002"]
    assert psc["private"] is True and psc["private_service_connect"] is True
    assert psc["network"] is None and psc["cmek"] is None
    dedicated = endpoints[f"{BASE}/us-central1/endpoints/1003"]
    assert dedicated["dedicated_endpoint"] is True and dedicated["private"] is False
    assert dedicated["request_response_logging"] is False
    assert dedicated["logging_sampling_rate"] is None
    europe = endpoints[f"{BASE}/europe-west4/endpoints/3001"]
    assert europe["name"] == "endpoint-3001" and europe["region"] == "europe-west4"
    assert europe["deployed_model_count"] == 0 and europe["labels"] == {}
    regions = {o.scope.region for o in observations if o.kind == "gcp.vertex.endpoint"}
    assert regions == {"us-central1", "europe-west4"}
    assert notes == []
    assert counter.operations == OPERATIONS


def test_models_pinning_and_artifacts(google: FakeGoogle) -> None:
    observations, _ = run_unit(VertexConnector, google)
    models = by_kind(observations, "gcp.vertex.model")
    assert len(models) == 4
    pinned = models[f"{BASE}/us-central1/models/2001"]
    assert pinned == {
        "name": "ranker",
        "model_id": "2001",
        "region": "us-central1",
        "version_id": "1",
        "cmek": KEY,
        "image_uri": f"us-docker.pkg.dev/acme/serve/ranker@{DIGEST}",
        "image_pinned": True,
        "artifact_uri_scheme": "gs",
        "labels": {"owner": "search"},
    }
    tagged = models[f"{BASE}/us-central1/models/2002"]
    assert tagged["image_pinned"] is False and tagged["cmek"] is None
    automl = models[f"{BASE}/us-central1/models/2003"]
    assert automl["image_uri"] is None and automl["image_pinned"] is None
    assert automl["artifact_uri_scheme"] is None
    assert models[f"{BASE}/europe-west4/models/4001"]["labels"] == {"team": "ml"}
    assert SECRET not in str([o.attributes for o in observations])  # container env unread


def test_notebooks_and_metadata_values_never_stored(google: FakeGoogle) -> None:
    observations, _ = run_unit(VertexConnector, google)
    notebooks = {o.attributes["name"]: o for o in observations if o.kind == "gcp.vertex.notebook"}
    research = notebooks["research-1"]
    assert research.resource_id == (
        "//notebooks.googleapis.com/projects/acme-prod/locations/us-central1-a/instances/research-1"
    )
    assert research.scope.region == "us-central1"
    assert research.attributes == {
        "name": "research-1",
        "zone": "us-central1-a",
        "state": "ACTIVE",
        "no_public_ip": True,
        "root_access_disabled": True,
        "cmek": KEY,
        "data_disks_cmek": True,
        "service_account": "nb@acme-prod.iam.gserviceaccount.com",
        "default_service_account": False,
        "labels": {"owner": "research"},
    }
    scratch = notebooks["scratch"].attributes
    assert scratch["no_public_ip"] is False and scratch["root_access_disabled"] is False
    assert scratch["cmek"] is None and scratch["data_disks_cmek"] is False
    assert scratch["default_service_account"] is True and scratch["state"] == "STOPPED"
    plain = notebooks["plain"].attributes
    assert plain["service_account"] is None and plain["data_disks_cmek"] is True
    stored = str([(o.attributes, o.gaps) for o in observations])
    assert SECRET not in stored and "3600" not in stored and "startup-script" not in stored


def test_asset_categories() -> None:
    assets = {kind.name: kind.asset for kind in VertexConnector.kinds}
    assert assets == {
        "gcp.vertex.endpoint": "endpoint",
        "gcp.vertex.model": "model",
        "gcp.vertex.notebook": "notebook",
    }
    for kind in VertexConnector.kinds:
        assert kind.asset in AI_ASSET_CATEGORIES and "name" in kind.attributes


def test_denied_region_is_noted_and_others_observed(google: FakeGoogle) -> None:
    google.deny(r"/locations/europe-west4/")
    notes: list[str] = []
    observations, counter = run_unit(VertexConnector, google, notes=notes)
    regions = {o.scope.region for o in observations if o.kind != "gcp.vertex.notebook"}
    assert regions == {"us-central1"}
    assert len(by_kind(observations, "gcp.vertex.endpoint")) == 3
    assert len(by_kind(observations, "gcp.vertex.notebook")) == 3
    assert sorted(n.split(":")[0] for n in notes) == [
        "vertex endpoints in europe-west4 not listed",
        "vertex models in europe-west4 not listed",
    ]
    assert all("PermissionDenied [403]" in n for n in notes)
    assert counter.operations == OPERATIONS


def test_denied_notebooks_are_noted(google: FakeGoogle) -> None:
    google.deny(r"/instances$")
    notes: list[str] = []
    observations, _ = run_unit(VertexConnector, google, notes=notes)
    assert not by_kind(observations, "gcp.vertex.notebook")
    assert len(by_kind(observations, "gcp.vertex.model")) == 4
    assert len(notes) == 1 and notes[0].startswith("vertex instances not listed: Permission")


def test_disabled_vertex_api_skips_the_regions(google: FakeGoogle) -> None:
    """SERVICE_DISABLED on the probe: no other region is asked, notebooks still observed."""
    refuse(google, f"{V1}/[a-z0-9-]+/(endpoints|models)", DISABLED)
    notes: list[str] = []
    observations, counter = run_unit(VertexConnector, google, notes=notes)
    assert {o.kind for o in observations} == {"gcp.vertex.notebook"}
    assert notes == []  # a disabled API is not a gap
    assert counter.operations == {ENDPOINTS_OP: 1, NOTEBOOKS_OP: 2}


def test_both_apis_disabled_is_not_applicable(google: FakeGoogle) -> None:
    refuse(google, f"{V1}/[a-z0-9-]+/(endpoints|models)", DISABLED)
    refuse(google, "/v2/projects/acme-prod/locations/-/instances", NOTEBOOKS_DISABLED)
    with pytest.raises(NotApplicable, match="API not enabled"):
        run_unit(VertexConnector, google)


def test_nothing_readable_is_denied(google: FakeGoogle) -> None:
    refuse(google, f"{V1}/[a-z0-9-]+/(endpoints|models)", DISABLED)
    google.deny(r"/instances$")
    with pytest.raises(Exception) as denied:
        run_unit(VertexConnector, google)
    assert type(denied.value).__name__ == "PermissionDenied"
