"""EKS: clusters' control-plane logging, secrets encryption, API endpoint exposure and version.

One DescribeCluster call per cluster from ListClusters. Endpoint settings that the API leaves out
are filled with EKS's documented defaults (public endpoint on, open to 0.0.0.0/0, private
endpoint off), which is what a cluster created without them gets.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from annexa.connectors.aws.common import iso, paginate
from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.records import Observation

CLUSTER = Kind(
    "aws.eks.cluster",
    "An EKS cluster: control-plane logging, secrets encryption, endpoint exposure, version",
    {
        "name": "cluster name",
        "status": "ACTIVE, CREATING, UPDATING, ...",
        "created_at": "createdAt",
        "kubernetes_version": "Kubernetes minor version, e.g. 1.31",
        "version_major": "major part of the Kubernetes version (null: unparseable)",
        "version_minor": "minor part of the Kubernetes version (null: unparseable)",
        "platform_version": "EKS platform version, e.g. eks.4",
        "logging_enabled_types": "enabled control-plane log types (api, audit, authenticator, "
        "controllerManager, scheduler)",
        "secrets_encrypted": "envelope encryption of Kubernetes secrets with a KMS key",
        "secrets_kms_key": "KMS key ARN for secrets envelope encryption (null: none)",
        "endpoint_public_access": "the API server endpoint is reachable from the internet",
        "endpoint_private_access": "the API server endpoint is reachable from the VPC",
        "public_access_cidrs": "CIDR blocks allowed to reach the public endpoint",
        "public_endpoint_open": "public endpoint on and open to 0.0.0.0/0 or ::/0",
        "authentication_mode": "accessConfig.authenticationMode (CONFIG_MAP, API, "
        "API_AND_CONFIG_MAP; null: not reported)",
        "tags": "cluster tags (secret-looking values redacted)",
    },
)

OPEN_CIDRS = ("0.0.0.0/0", "::/0")
VERSION = re.compile(r"^(\d+)\.(\d+)")


def enabled_log_types(logging: dict[str, Any] | None) -> list[str]:
    return sorted(
        {
            log_type
            for setup in (logging or {}).get("clusterLogging", [])
            if setup.get("enabled")
            for log_type in setup.get("types", [])
        }
    )


def secrets_key(encryption: list[dict[str, Any]] | None) -> str | None:
    """The KMS key that envelope-encrypts Kubernetes secrets, if one is configured."""
    for config in encryption or []:
        key = (config.get("provider") or {}).get("keyArn")
        if "secrets" in config.get("resources", []) and key:
            return str(key)
    return None


def endpoint(vpc: dict[str, Any]) -> dict[str, Any]:
    public = bool(vpc.get("endpointPublicAccess", True))
    cidrs = sorted(vpc.get("publicAccessCidrs") or ["0.0.0.0/0"]) if public else []
    return {
        "endpoint_public_access": public,
        "endpoint_private_access": bool(vpc.get("endpointPrivateAccess", False)),
        "public_access_cidrs": cidrs,
        "public_endpoint_open": public and any(cidr in OPEN_CIDRS for cidr in cidrs),
    }


def version_parts(version: str | None) -> dict[str, int | None]:
    match = VERSION.match(version or "")
    if match is None:
        return {"version_major": None, "version_minor": None}
    return {"version_major": int(match.group(1)), "version_minor": int(match.group(2))}


def transform_cluster(cluster: dict[str, Any]) -> dict[str, Any]:
    key = secrets_key(cluster.get("encryptionConfig"))
    return {
        "name": cluster["name"],
        "status": cluster.get("status"),
        "created_at": iso(cluster.get("createdAt")),
        "kubernetes_version": cluster.get("version"),
        **version_parts(cluster.get("version")),
        "platform_version": cluster.get("platformVersion"),
        "logging_enabled_types": enabled_log_types(cluster.get("logging")),
        "secrets_encrypted": key is not None,
        "secrets_kms_key": key,
        **endpoint(cluster.get("resourcesVpcConfig") or {}),
        "authentication_mode": (cluster.get("accessConfig") or {}).get("authenticationMode"),
        "tags": dict(cluster.get("tags") or {}),
    }


class EksConnector(Connector):
    name = "aws.eks"
    provider = "aws"
    description = "EKS clusters: control-plane logging, secrets encryption, endpoint, version"
    regional = True
    kinds = (CLUSTER,)
    permissions = ("eks:ListClusters", "eks:DescribeCluster")

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        eks = ctx.session.client("eks", ctx.scope.region)
        names = list(paginate(eks, "list_clusters", "clusters"))
        yield from ctx.map(lambda name: _cluster(ctx, eks, name), names)


def _cluster(ctx: UnitContext, eks: Any, name: str) -> Observation:
    reads = ctx.reads("eks:ListClusters")
    reads.set("name", name)
    found: list[str] = []

    def describe() -> dict[str, Any]:
        cluster = eks.describe_cluster(name=name)["cluster"]
        found.append(cluster["arn"])
        return transform_cluster(cluster)

    # A cluster the auditor may list but not describe is observed with gaps, not skipped.
    reads.read_many([a for a in CLUSTER.attributes if a != "name"], describe)
    partition, region, account = ctx.session.partition, ctx.scope.region, ctx.scope.account
    arn = found[0] if found else f"arn:{partition}:eks:{region}:{account}:cluster/{name}"
    return ctx.observe("aws.eks.cluster", arn, reads)
