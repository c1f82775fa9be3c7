"""Pass and fail examples for the GKE cluster rules."""

NETWORKS = {"enabled": True, "cidrs": ["203.0.113.0/24"], "world_open": False}
WORLD = {"enabled": True, "cidrs": ["0.0.0.0/0"], "world_open": True}
OFF = {"enabled": False, "cidrs": [], "world_open": False}


def _cluster(**extra: object) -> dict:
    return {"name": "prod", "location": "europe-west1", **extra}


EXAMPLES: dict[str, tuple[dict, dict]] = {
    "gcp.gke.cluster.control-plane-logging": (
        _cluster(
            logging_service="logging.googleapis.com/kubernetes",
            logging_components=["SYSTEM_COMPONENTS", "WORKLOADS", "APISERVER"],
        ),
        _cluster(
            logging_service="logging.googleapis.com/kubernetes",
            logging_components=["SYSTEM_COMPONENTS", "WORKLOADS"],
        ),
    ),
    "gcp.gke.cluster.secrets-encryption": (
        _cluster(
            secrets_encryption=True,
            secrets_encryption_key="projects/p/locations/europe-west1/keyRings/r/cryptoKeys/gke",
        ),
        _cluster(secrets_encryption=False, secrets_encryption_key=None),
    ),
    "gcp.gke.cluster.control-plane-access": (
        _cluster(private_endpoint=False, master_authorized_networks=NETWORKS),
        _cluster(private_endpoint=False, master_authorized_networks=WORLD),
    ),
    "gcp.gke.cluster.no-legacy-abac": (
        _cluster(legacy_abac=False),
        _cluster(legacy_abac=True),
    ),
    "gcp.gke.cluster.network-policy": (
        _cluster(network_policy=True, datapath_provider="ADVANCED_DATAPATH"),
        _cluster(network_policy=False, datapath_provider="LEGACY_DATAPATH"),
    ),
    "gcp.gke.cluster.workload-identity": (
        _cluster(workload_identity=True, workload_pool="acme-prod.svc.id.goog"),
        _cluster(workload_identity=False, workload_pool=None),
    ),
    "gcp.gke.cluster.shielded-nodes": (
        _cluster(shielded_nodes=True),
        _cluster(shielded_nodes=False),
    ),
}
