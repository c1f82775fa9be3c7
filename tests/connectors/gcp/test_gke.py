"""GKE clusters through google-cloud-container (REST) against the fake Google server."""

from __future__ import annotations

import re

import pytest

from annexa.connectors.calls import CallCounter
from annexa.connectors.errors import NotApplicable, PermissionDenied
from annexa.connectors.gcp.gke import GkeConnector
from annexa.connectors.records import Observation
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.gcp import FakeGoogle, Route, run_unit

CLUSTERS = r"/v1/projects/acme-prod/locations/-/clusters"
BASE = "//container.googleapis.com/projects/acme-prod/locations"
KEY = "projects/acme-prod/locations/europe-west1/keyRings/gke/cryptoKeys/secrets"

HARDENED = {
    "name": "prod",
    "location": "europe-west1",
    "status": "RUNNING",
    "currentMasterVersion": "1.29.4-gke.1043002",
    "loggingService": "logging.googleapis.com/kubernetes",
    "loggingConfig": {
        "componentConfig": {"enableComponents": ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"]}
    },
    "databaseEncryption": {"state": "ENCRYPTED", "keyName": KEY},
    "privateClusterConfig": {"enablePrivateNodes": True, "enablePrivateEndpoint": True},
    "masterAuthorizedNetworksConfig": {
        "enabled": True,
        "cidrBlocks": [{"displayName": "office", "cidrBlock": "203.0.113.0/24"}],
    },
    "legacyAbac": {},
    "networkConfig": {
        "datapathProvider": "ADVANCED_DATAPATH",
        "network": "projects/x/global/networks/prod",
    },
    "workloadIdentityConfig": {"workloadPool": "acme-prod.svc.id.goog"},
    "shieldedNodes": {"enabled": True},
    "masterAuth": {"clusterCaCertificate": "LS0tLS1CRUdJTi...", "clientCertificateConfig": {}},
    "nodePools": [
        {
            "name": "default-pool",
            "version": "1.29.4-gke.1043002",
            "management": {"autoUpgrade": True, "autoRepair": True},
        }
    ],
}

LEGACY = {
    "name": "legacy",
    "location": "us-central1-a",
    "status": "RUNNING",
    "currentMasterVersion": "1.27.16-gke.1287000",
    "loggingService": "logging.googleapis.com/kubernetes",
    "loggingConfig": {"componentConfig": {"enableComponents": ["SYSTEM_COMPONENTS"]}},
    "databaseEncryption": {"state": "DECRYPTED"},
    "privateClusterConfig": {"enablePrivateEndpoint": False},
    "masterAuthorizedNetworksConfig": {
        "enabled": True,
        "cidrBlocks": [{"cidrBlock": "10.0.0.0/8"}, {"cidrBlock": "0.0.0.0/0"}],
    },
    "legacyAbac": {"enabled": True},
    "networkPolicy": {"provider": "CALICO", "enabled": False},
    "networkConfig": {"datapathProvider": "LEGACY_DATAPATH"},
    "shieldedNodes": {},
    "masterAuth": {
        "username": "admin",
        "clusterCaCertificate": "LS0tLS1CRUdJTi...",
        "clientCertificate": "LS0tLS1DRVJUSUZJQ0FURS0t",
        "clientKey": "LS0tLS1QUklWQVRFIEtFWS0t",
    },
    "nodePools": [
        {"name": "pool-a", "version": "1.27.16", "management": {"autoUpgrade": True}},
        {"name": "pool-b", "version": "1.26.15", "management": {"autoRepair": True}},
    ],
}

LOGGING_OFF = {
    "name": "quiet",
    "location": "europe-west4",
    "currentMasterVersion": "1.30.2-gke.1587003",
    "loggingService": "none",
    "loggingConfig": {"componentConfig": {}},
    "networkPolicy": {"provider": "CALICO", "enabled": True},
    "legacyAbac": {},
    "masterAuthorizedNetworksConfig": {},
}


@pytest.fixture
def google():
    with FakeGoogle().running() as server:
        yield server


def statuses(observation: Observation) -> dict[str, str]:
    rules = [r for r in load_rules() if r.kind == observation.kind]
    return {e.rule_id: e.status for e in RuleEngine(rules).evaluate(observation)}


def clusters(google: FakeGoogle, *found: dict, missing: tuple[str, ...] = ()) -> None:
    body: dict = {"clusters": list(found)}
    if missing:
        body["missingZones"] = list(missing)
    google.get(CLUSTERS, body)


def test_clusters_and_their_flags(google: FakeGoogle) -> None:
    clusters(google, HARDENED, LEGACY, LOGGING_OFF)
    notes: list[str] = []
    observations, counter = run_unit(GkeConnector, google, notes=notes)
    found = {o.resource_id: o for o in observations}
    assert set(found) == {
        f"{BASE}/europe-west1/clusters/prod",
        f"{BASE}/us-central1-a/clusters/legacy",
        f"{BASE}/europe-west4/clusters/quiet",
    }
    assert not notes and all(not o.gaps for o in observations)
    assert counter.operations == {"GET v1/projects/*/locations/*/clusters": 1}

    prod = found[f"{BASE}/europe-west1/clusters/prod"].attributes
    assert prod["version"] == "1.29.4-gke.1043002"
    assert (prod["version_major"], prod["version_minor"]) == (1, 29)
    assert prod["logging_components"] == ["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"]
    assert prod["secrets_encryption"] is True and prod["secrets_encryption_key"] == KEY
    assert prod["private_endpoint"] is True
    assert prod["master_authorized_networks"] == {
        "enabled": True,
        "cidrs": ["203.0.113.0/24"],
        "world_open": False,
        "google_cloud_ips": False,
    }
    assert prod["legacy_abac"] is False and prod["network_policy"] is True
    assert prod["datapath_provider"] == "ADVANCED_DATAPATH"
    assert prod["workload_identity"] is True and prod["workload_pool"] == "acme-prod.svc.id.goog"
    assert prod["shielded_nodes"] is True and prod["node_auto_upgrade"] is True
    assert prod["basic_auth"] is False and prod["client_certificate_issued"] is False
    assert set(statuses(found[f"{BASE}/europe-west1/clusters/prod"]).values()) == {"pass"}

    legacy_obs = found[f"{BASE}/us-central1-a/clusters/legacy"]
    legacy = legacy_obs.attributes
    assert (legacy["version_major"], legacy["version_minor"]) == (1, 27)
    assert legacy["secrets_encryption"] is False and legacy["secrets_encryption_key"] is None
    assert legacy["master_authorized_networks"]["world_open"] is True
    assert legacy["legacy_abac"] is True and legacy["network_policy"] is False
    assert legacy["workload_identity"] is False and legacy["shielded_nodes"] is False
    assert legacy["node_auto_upgrade"] is False
    assert [p["auto_upgrade"] for p in legacy["node_pools"]] == [True, False]
    assert legacy["basic_auth"] is True and legacy["client_certificate_issued"] is True
    stored = repr(legacy)
    assert "LS0tLS1DRVJU" not in stored and "LS0tLS1QUklW" not in stored  # never the cert or key
    assert set(statuses(legacy_obs).values()) == {"fail"}

    quiet_obs = found[f"{BASE}/europe-west4/clusters/quiet"]
    assert quiet_obs.attributes["logging_components"] == []
    assert quiet_obs.attributes["network_policy"] is True  # Calico network policy
    assert quiet_obs.attributes["private_endpoint"] is False
    results = statuses(quiet_obs)
    assert results["gcp.gke.cluster.control-plane-logging"] == "fail"
    assert results["gcp.gke.cluster.control-plane-access"] == "fail"  # public, no networks
    assert results["gcp.gke.cluster.network-policy"] == "pass"


def test_newer_endpoint_config_counts_as_private(google: FakeGoogle) -> None:
    cluster = {
        "name": "dns-only",
        "location": "europe-west1",
        "currentMasterVersion": "1.31.1-gke.1678000",
        "controlPlaneEndpointsConfig": {
            "ipEndpointsConfig": {
                "enabled": True,
                "enablePublicEndpoint": False,
                "authorizedNetworksConfig": {
                    "enabled": True,
                    "gcpPublicCidrsAccessEnabled": True,
                    "cidrBlocks": [{"cidrBlock": "192.0.2.0/24"}],
                },
            }
        },
    }
    clusters(google, cluster)
    [observation], _ = run_unit(GkeConnector, google)
    attrs = observation.attributes
    assert attrs["private_endpoint"] is True
    assert attrs["master_authorized_networks"]["cidrs"] == ["192.0.2.0/24"]
    assert attrs["master_authorized_networks"]["google_cloud_ips"] is True
    assert attrs["version"] == "1.31.1-gke.1678000" and attrs["version_minor"] == 31


def test_missing_zones_are_noted(google: FakeGoogle) -> None:
    clusters(google, HARDENED, missing=("us-east1-b", "asia-south1-c"))
    notes: list[str] = []
    observations, _ = run_unit(GkeConnector, google, notes=notes)
    assert [o.attributes["name"] for o in observations] == ["prod"]
    assert len(notes) == 2
    assert "us-east1-b" in notes[0] and "not listed" in notes[0]
    assert "asia-south1-c" in notes[1]


def test_no_clusters(google: FakeGoogle) -> None:
    google.get(CLUSTERS, {})  # the API omits "clusters" when there are none
    notes: list[str] = []
    observations, _ = run_unit(GkeConnector, google, notes=notes)
    assert observations == [] and notes == []


def test_denied_listing_denies_the_unit(google: FakeGoogle) -> None:
    clusters(google, HARDENED)
    google.deny(CLUSTERS)
    counter = CallCounter()
    with pytest.raises(PermissionDenied):
        run_unit(GkeConnector, google, counter=counter)
    assert counter.operations == {"GET v1/projects/*/locations/*/clusters": 1}


def test_disabled_api_is_not_applicable(google: FakeGoogle) -> None:
    message = (
        "Kubernetes Engine API has not been used in project 123456789 before or it is disabled."
    )
    error = {"error": {"code": 403, "message": message, "status": "PERMISSION_DENIED"}}
    google.routes.append(Route("GET", re.compile(f"^{CLUSTERS}$"), error, 403))
    with pytest.raises(NotApplicable):
        run_unit(GkeConnector, google)
