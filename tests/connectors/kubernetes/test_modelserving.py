"""KServe and Seldon model serving through the real client against the fake API server."""

from __future__ import annotations

import json

import pytest

from annexa.connectors.errors import PermissionDenied
from annexa.connectors.kubernetes.modelserving import (
    INFERENCE_SERVICE,
    SELDON_DEPLOYMENT,
    ModelServingConnector,
    storage,
)
from annexa.connectors.records import Observation
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.kube import KSERVE, SELDON, FakeApiServer, by_id, open_session, run_unit
from tests.support.kube_estates.modelserving import PINNED, SECRET_PARTS, inference_service, seed

ISVC = INFERENCE_SERVICE.name
SDEP = SELDON_DEPLOYMENT.name
RULES = RuleEngine([r for r in load_rules() if r.kind in (ISVC, SDEP)])


def verdicts(observation: Observation) -> dict[str, str]:
    return {e.rule_id.rpartition(".")[2]: e.status for e in RULES.evaluate(observation)}


def collect(server: FakeApiServer) -> tuple[list[Observation], list[str]]:
    """The unit's observations and its notes."""
    notes: list[str] = []
    observations, _ = run_unit(ModelServingConnector, server, notes=notes)
    return observations, notes


@pytest.fixture
def estate(kube_api: FakeApiServer) -> FakeApiServer:
    seed(kube_api)
    return kube_api


def test_storage_uris_keep_scheme_and_location_only() -> None:
    assert storage("s3://models/fraud/v3") == {
        "storage_uri_scheme": "s3",
        "storage_location": "s3://models/fraud/v3",
        "storage_uri_credentials": False,
    }
    assert storage("https://u:p@Models.example.com:8443/m.bin?sig=x#frag") == {
        "storage_uri_scheme": "https",
        "storage_location": "https://models.example.com:8443/m.bin",
        "storage_uri_credentials": True,
    }
    assert storage("pvc://claim/models")["storage_location"] == "pvc://claim/models"
    assert storage("hf://meta-llama/Llama-3.1-8B")["storage_uri_scheme"] == "hf"
    assert storage(None)["storage_uri_scheme"] is None


def test_inference_services(estate: FakeApiServer) -> None:
    observations, counter = run_unit(ModelServingConnector, estate)
    assert set(counter.operations) <= set(ModelServingConnector.permissions)
    services = by_id(observations, ISVC)
    assert sorted(services) == ["ml/chatbot", "ml/fraud", "team-b/churn"]

    fraud = services["ml/fraud"].attributes
    assert fraud["name"] == "fraud" and fraud["namespace"] == "ml"
    assert (fraud["model_format"], fraud["runtime"]) == ("sklearn", "kserve-sklearnserver")
    assert (
        fraud["storage_uri_scheme"] == "s3" and fraud["storage_location"] == "s3://models/fraud/v3"
    )
    assert fraud["storage_uri_credentials"] is False
    assert fraud["payload_logging"] is True and fraud["payload_logging_mode"] == "all"
    assert fraud["payload_logger_host"] == "payload-logger.monitoring.svc"
    assert fraud["visibility"] == "cluster-local"
    assert fraud["url_host"] == "fraud.ml.svc.cluster.local"
    assert fraud["service_accounts"] == ["fraud-model"]
    assert fraud["images"] == [PINNED.format("features")] and fraud["unpinned_images"] == []
    assert fraud["containers_without_limits"] == []
    assert (fraud["min_replicas"], fraud["max_replicas"], fraud["ready"]) == (2, 5, True)
    assert fraud["deployment_mode"] is None
    assert services["ml/fraud"].source == ("list inferenceservices.serving.kserve.io",)

    chatbot = services["ml/chatbot"].attributes
    assert chatbot["model_format"] == "huggingface" and chatbot["runtime"] is None
    assert chatbot["deployment_mode"] == "RawDeployment"
    assert chatbot["storage_uri_scheme"] == "https"
    assert chatbot["storage_location"] == "https://models.example.com/llm/v1"
    assert chatbot["storage_uri_credentials"] is True
    assert chatbot["payload_logging"] is False and chatbot["payload_logging_mode"] is None
    assert chatbot["visibility"] == "external" and chatbot["url_host"] == "chatbot.ml.example.com"
    assert chatbot["service_accounts"] == ["default"]
    assert chatbot["unpinned_images"] == ["ghcr.io/acme/llm-server:latest"]
    assert chatbot["containers_without_limits"] == ["predictor/model"]  # requests only
    assert (chatbot["min_replicas"], chatbot["ready"]) == (None, False)

    churn = services["team-b/churn"].attributes
    assert churn["model_format"] == "sklearn"  # the older framework-key form
    assert churn["storage_uri_scheme"] == "gs"
    assert churn["visibility"] == "cluster-local"  # the older Knative label
    assert churn["payload_logging_mode"] == "request" and churn["payload_logger_host"] is None
    assert churn["service_accounts"] == ["churn", "default"]  # the transformer names none
    assert churn["containers_without_limits"] == ["predictor/sklearn"]  # a CPU limit only
    assert churn["url_host"] is None and churn["ready"] is False

    assert verdicts(services["ml/fraud"]) == dict.fromkeys(
        [
            "payload-logging",
            "cluster-local",
            "images-pinned",
            "resource-limits",
            "dedicated-service-account",
        ],
        "pass",
    )
    assert set(verdicts(services["ml/chatbot"]).values()) == {"fail"}


def test_seldon_deployments(estate: FakeApiServer) -> None:
    observations, _ = run_unit(ModelServingConnector, estate)
    deployments = by_id(observations, SDEP)
    assert sorted(deployments) == ["ml/iris", "ml/recsys"]

    iris = deployments["ml/iris"].attributes
    assert iris["name"] == "iris" and iris["predictors"] == 1 and iris["protocol"] == "v2"
    assert iris["payload_logging"] is True
    assert iris["payload_logging_nodes"] == ["default/classifier: all"]
    assert iris["service_accounts"] == ["iris"]
    assert iris["images"] == [PINNED.format("iris")] and iris["unpinned_images"] == []
    assert iris["containers_without_limits"] == []
    assert iris["replicas"] == {"default": 2} and iris["state"] == "Available"
    assert iris["storage_uri_schemes"] == ["s3"] and iris["storage_uri_credentials"] is False

    recsys = deployments["ml/recsys"].attributes
    assert recsys["predictors"] == 2 and recsys["protocol"] == "seldon"
    assert recsys["payload_logging"] is False and recsys["payload_logging_nodes"] == []
    assert recsys["service_accounts"] == ["default"]
    assert recsys["unpinned_images"] == ["acme/ranker:1.4", "acme/router:latest"]
    assert recsys["containers_without_limits"] == ["main/ranker", "main/router"]
    assert recsys["replicas"] == {"main": 1, "canary": 1} and recsys["state"] == "Failed"
    assert recsys["storage_uri_schemes"] == ["gs"]

    assert set(verdicts(deployments["ml/iris"]).values()) == {"pass"}
    assert set(verdicts(deployments["ml/recsys"]).values()) == {"fail"}


def test_allow_listed_namespaces_may_expose_endpoints(estate: FakeApiServer) -> None:
    [rule] = [
        r
        for r in load_rules(
            params={
                "kubernetes.modelserving.inference_service.cluster-local": {
                    "external_namespaces": ["ml"]
                }
            }
        )
        if r.id.endswith("inference_service.cluster-local")
    ]
    observations, _ = run_unit(ModelServingConnector, estate)
    [evaluation] = RuleEngine([rule]).evaluate(by_id(observations, ISVC)["ml/chatbot"])
    assert evaluation.status == "not_applicable"
    assert evaluation.reason == "Namespace ml may expose model endpoints"


def test_endpoints_join_the_ai_asset_inventory() -> None:
    for kind in ModelServingConnector.kinds:
        assert kind.asset == "endpoint" and "name" in kind.attributes


def test_no_credentials_of_storage_uris_are_stored(estate: FakeApiServer) -> None:
    observations, _ = run_unit(ModelServingConnector, estate)
    stored = json.dumps([(o.attributes, o.gaps) for o in observations], default=str)
    assert "chatbot.ml.example.com" in stored  # the dump holds the chatbot's observation
    for secret in SECRET_PARTS:
        assert secret not in stored


def test_a_cluster_without_the_crds_has_nothing_to_report(kube_api: FakeApiServer) -> None:
    observations, notes = collect(kube_api)
    assert observations == [] and notes == []
    assert len(kube_api.requested("inferenceservices")) == 1
    assert len(kube_api.requested("seldondeployments")) == 1


def test_only_kserve_installed(kube_api: FakeApiServer) -> None:
    kube_api.install(KSERVE)
    kube_api.add(inference_service("solo", "ml", {}, spec={"predictor": {}}))
    observations, notes = collect(kube_api)
    assert [o.resource_id for o in observations] == ["ml/solo"] and notes == []
    solo = observations[0].attributes
    assert (
        solo["model_format"] is None
        and solo["images"] == []
        and solo["service_accounts"] == ["default"]
    )


def test_a_forbidden_engine_is_a_gap_and_the_other_is_still_observed(estate: FakeApiServer) -> None:
    estate.deny("serving.kserve.io", "inferenceservices")
    observations, notes = collect(estate)
    assert sorted(o.resource_id for o in observations) == ["ml/iris", "ml/recsys"]
    assert {o.kind for o in observations} == {SDEP}
    [note] = notes
    assert note.startswith(
        "model serving KServe InferenceServices not listed: PermissionDenied [403]"
    )


def test_both_engines_forbidden_fails_the_unit(estate: FakeApiServer) -> None:
    estate.deny("serving.kserve.io", "inferenceservices")
    estate.deny("machinelearning.seldon.io", "seldondeployments")
    with pytest.raises(PermissionDenied):
        collect(estate)


def test_listings_page(estate: FakeApiServer) -> None:
    estate.install(SELDON)
    session = open_session(estate, page_size=2)
    observations, _ = run_unit(ModelServingConnector, estate, session)
    assert len(by_id(observations, ISVC)) == 3 and len(by_id(observations, SDEP)) == 2
    pages = estate.requested("/apis/serving.kserve.io/v1beta1/inferenceservices")
    assert len(pages) == 2 and all("limit=2" in q for _, _, q in pages)
    assert sum("continue=" in q for _, _, q in pages) == 1
