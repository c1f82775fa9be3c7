"""Google Kubernetes Engine: the clusters of a project, every location at once.

One ``list_clusters`` call over ``locations/-`` answers for every region and zone. It is not
paged; zones it could not reach come back as ``missingZones`` and are noted on the unit, so an
unreachable zone is never read as one without clusters. The master auth block is read for flags
only: whether a client certificate was issued or basic auth set, never the certificate, key or
password themselves.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from google.cloud import container_v1
from google.protobuf import json_format

from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.errors import ConnectorError
from annexa.connectors.records import Observation

CONTAINER = "//container.googleapis.com"
NO_LOGGING = ("", "none")
ENCRYPTED = ("ENCRYPTED", "ALL_OBJECTS_ENCRYPTION_ENABLED")
DATAPLANE_V2 = "ADVANCED_DATAPATH"

CLUSTER = Kind(
    "gcp.gke.cluster",
    "A Google Kubernetes Engine cluster",
    {
        "name": "cluster name",
        "location": "region (regional cluster) or zone (zonal cluster)",
        "status": "RUNNING, PROVISIONING, RECONCILING, DEGRADED, ...",
        "autopilot": "an Autopilot cluster (nodes managed by Google)",
        "version": "current control plane (master) version, e.g. 1.29.4-gke.1043002",
        "version_major": "major number of the control plane version (null: unparsable)",
        "version_minor": "minor number of the control plane version (null: unparsable)",
        "logging_service": "loggingService (logging.googleapis.com/kubernetes; 'none': off)",
        "logging_components": "control plane and node components sent to Cloud Logging "
        "(loggingConfig.componentConfig.enableComponents: SYSTEM_COMPONENTS, WORKLOADS, "
        "APISERVER, SCHEDULER, CONTROLLER_MANAGER, ...); empty when logging is off",
        "secrets_encryption": "application-layer secrets encryption with a Cloud KMS key is on",
        "secrets_encryption_key": "the Cloud KMS key encrypting secrets (null: none)",
        "private_endpoint": "the control plane has no public endpoint (private endpoint only)",
        "master_authorized_networks": "control plane authorized networks {enabled, cidrs, "
        "world_open: a /0 range such as 0.0.0.0/0 is authorized, google_cloud_ips: Google "
        "Cloud public IPs may reach the endpoint}",
        "legacy_abac": "legacy attribute-based access control (ABAC) is enabled",
        "network_policy": "network policy is enforced (Calico network policy or Dataplane V2)",
        "datapath_provider": "networkConfig.datapathProvider (ADVANCED_DATAPATH: Dataplane V2)",
        "workload_identity": "Workload Identity is on (a workload pool is set)",
        "workload_pool": "the Workload Identity pool (null: off)",
        "shielded_nodes": "Shielded GKE Nodes are required for every node",
        "node_pools": "node pools {name, version, auto_upgrade, auto_repair}",
        "node_auto_upgrade": "every node pool upgrades automatically",
        "basic_auth": "a basic-auth username is set on the control plane (password never read)",
        "client_certificate_issued": "a client certificate was issued for the control plane "
        "(flag only: the certificate and key are never stored)",
    },
)


def version_numbers(version: str) -> tuple[int | None, int | None]:
    """``1.29.4-gke.1043002`` -> ``(1, 29)``; ``(None, None)`` when it does not parse."""
    parts = version.split("-", 1)[0].split(".")
    try:
        return int(parts[0]), int(parts[1])
    except (IndexError, ValueError):
        return None, None


def is_world(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def authorized_networks(cluster: Mapping[str, Any]) -> dict[str, Any]:
    """The control plane's authorized networks, from the classic block or the newer
    ``controlPlaneEndpointsConfig`` one when the classic block is absent."""
    config = cluster.get("masterAuthorizedNetworksConfig")
    if config is None:
        ip_endpoints = cluster.get("controlPlaneEndpointsConfig", {}).get("ipEndpointsConfig", {})
        config = ip_endpoints.get("authorizedNetworksConfig", {})
    enabled = bool(config.get("enabled", False))
    cidrs = [block["cidrBlock"] for block in config.get("cidrBlocks", []) if "cidrBlock" in block]
    return {
        "enabled": enabled,
        "cidrs": cidrs,
        "world_open": enabled and any(is_world(cidr) for cidr in cidrs),
        "google_cloud_ips": enabled and bool(config.get("gcpPublicCidrsAccessEnabled", False)),
    }


def private_endpoint(cluster: Mapping[str, Any]) -> bool:
    if cluster.get("privateClusterConfig", {}).get("enablePrivateEndpoint", False):
        return True
    ip_endpoints = cluster.get("controlPlaneEndpointsConfig", {}).get("ipEndpointsConfig", {})
    return ip_endpoints.get("enablePublicEndpoint") is False


def transform_cluster(cluster: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes of one cluster from its REST (camelCase JSON) representation."""
    version = cluster.get("currentMasterVersion", "")
    major, minor = version_numbers(version)
    logging_service = cluster.get("loggingService", "")
    components = cluster.get("loggingConfig", {}).get("componentConfig", {})
    encryption = cluster.get("databaseEncryption", {})
    encrypted = encryption.get("state") in ENCRYPTED and bool(encryption.get("keyName"))
    datapath = cluster.get("networkConfig", {}).get("datapathProvider")
    pool = cluster.get("workloadIdentityConfig", {}).get("workloadPool") or None
    pools = [
        {
            "name": p["name"],
            "version": p.get("version"),
            "auto_upgrade": bool(p.get("management", {}).get("autoUpgrade", False)),
            "auto_repair": bool(p.get("management", {}).get("autoRepair", False)),
        }
        for p in cluster.get("nodePools", [])
    ]
    master_auth = cluster.get("masterAuth", {})
    return {
        "name": cluster["name"],
        "location": cluster["location"],
        "status": cluster.get("status"),
        "autopilot": bool(cluster.get("autopilot", {}).get("enabled", False)),
        "version": version or None,
        "version_major": major,
        "version_minor": minor,
        "logging_service": logging_service or None,
        "logging_components": (
            [] if logging_service in NO_LOGGING else list(components.get("enableComponents", []))
        ),
        "secrets_encryption": encrypted,
        "secrets_encryption_key": encryption.get("keyName") if encrypted else None,
        "private_endpoint": private_endpoint(cluster),
        "master_authorized_networks": authorized_networks(cluster),
        "legacy_abac": bool(cluster.get("legacyAbac", {}).get("enabled", False)),
        "network_policy": bool(cluster.get("networkPolicy", {}).get("enabled", False))
        or datapath == DATAPLANE_V2,
        "datapath_provider": datapath,
        "workload_identity": pool is not None,
        "workload_pool": pool,
        "shielded_nodes": bool(cluster.get("shieldedNodes", {}).get("enabled", False)),
        "node_pools": pools,
        "node_auto_upgrade": all(p["auto_upgrade"] for p in pools),
        "basic_auth": bool(master_auth.get("username")),
        "client_certificate_issued": bool(master_auth.get("clientCertificate")),
    }


class GkeConnector(Connector):
    name = "gcp.gke"
    provider = "gcp"
    description = (
        "GKE clusters: control plane logging and access, secrets encryption, node security"
    )
    regional = False
    kinds = (CLUSTER,)
    permissions = ("container.clusters.list",)

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        project = ctx.session.project
        client = ctx.session.client("container", container_v1.ClusterManagerClient)
        found = ctx.attempt(lambda: client.list_clusters(parent=f"projects/{project}/locations/-"))
        if isinstance(found, ConnectorError):
            raise found  # the one listing every observation depends on
        response = json_format.MessageToDict(container_v1.ListClustersResponse.pb(found))
        for zone in response.get("missingZones", []):
            ctx.note(f"gcp.gke clusters in {zone} not listed: zone unreachable (missingZones)")
        for cluster in response.get("clusters", []):
            reads = ctx.reads("container.clusters.list")
            for name, value in transform_cluster(cluster).items():
                reads.set(name, value)
            path = f"projects/{project}/locations/{cluster['location']}/clusters/{cluster['name']}"
            yield ctx.observe(CLUSTER.name, f"{CONTAINER}/{path}", reads)
