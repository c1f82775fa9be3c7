"""Compute Engine networking: VPC firewall rules, networks, subnetworks and project OS Login.

Firewall rules carry the ingress they let in from the whole internet as port ranges of the same
shape as AWS security groups (``protocol``, ``from_port``, ``to_port``, ``source``), so rules
judge them with ``ports_in`` and a parameterised port list. The four listings are independent:
one that fails is noted on the unit and the others are still observed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from google.cloud import compute_v1

from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.errors import ConnectorError
from annexa.connectors.records import Observation

COMPUTE = "//compute.googleapis.com"
WORLD = ("0.0.0.0/0", "::/0")
ALL_TRAFFIC = "-1"  # the protocol ports_in() reads as every port of every protocol
PORTED = ("tcp", "udp", "sctp", "6", "17", "132")  # protocols whose rules may name ports
# Subnetwork purposes that carry VM traffic; proxy-only and PSC subnets cannot log flows.
VM_PURPOSES = ("PRIVATE", "PRIVATE_RFC_1918", "")
QUIET_WARNINGS = ("NO_RESULTS_ON_PAGE",)

FIREWALL = Kind(
    "gcp.compute.firewall",
    "A VPC firewall rule",
    {
        "name": "rule name",
        "network": "name of the VPC network it belongs to",
        "direction": "INGRESS or EGRESS",
        "disabled": "the rule is disabled (not enforced)",
        "priority": "priority (0 highest, 65535 lowest)",
        "source_ranges": "source CIDR ranges (ingress)",
        "destination_ranges": "destination CIDR ranges (egress)",
        "source_tags": "source network tags (ingress)",
        "source_service_accounts": "source service accounts (ingress)",
        "target_tags": "network tags of the instances it applies to (empty: all)",
        "target_service_accounts": "service accounts of the instances it applies to (empty: all)",
        "allowed": "allowed traffic as port ranges {protocol, from_port, to_port}; protocol "
        "'-1' is all traffic, ports null when the protocol has none",
        "denied": "denied traffic as port ranges, same shape as allowed",
        "world_open": "an enabled ingress rule allowing traffic from 0.0.0.0/0 or ::/0",
        "world_ingress": "ranges of allowed with source 0.0.0.0/0 or ::/0 when world_open "
        "(for ports_in)",
        "logging_enabled": "firewall rule logging is on",
    },
)

NETWORK = Kind(
    "gcp.compute.network",
    "A VPC network",
    {
        "name": "network name",
        "is_default": "the network is the auto-created one named 'default'",
        "auto_create_subnetworks": "auto mode: a subnetwork created in every region",
        "legacy": "a legacy (non-VPC) network with one global IPv4 range",
        "subnet_count": "number of subnetworks",
        "routing_mode": "REGIONAL or GLOBAL dynamic routing",
    },
)

SUBNETWORK = Kind(
    "gcp.compute.subnetwork",
    "A VPC subnetwork in one region",
    {
        "name": "subnetwork name",
        "network": "name of its VPC network",
        "region": "region",
        "ip_cidr_range": "primary IPv4 range",
        "purpose": "PRIVATE (VM traffic), REGIONAL_MANAGED_PROXY, PRIVATE_SERVICE_CONNECT, ...",
        "flow_logs_enabled": "VPC flow logs are on (logConfig.enable, else enableFlowLogs)",
        "flow_sampling": "share of flows sampled, 0 to 1 (null: flow logs off or unset)",
        "private_google_access": "VMs without external IPs may reach Google APIs",
    },
)

PROJECT = Kind(
    "gcp.compute.project",
    "A project's Compute Engine settings",
    {
        "project": "project id",
        "os_login_enabled": "common instance metadata enable-oslogin is TRUE (instances may "
        "still override it in their own metadata)",
        "os_login_2fa": "common instance metadata enable-oslogin-2fa is TRUE",
    },
)


def short(url: str) -> str:
    """The last segment of a Compute resource URL (a network's name, a region's)."""
    return url.rsplit("/", 1)[-1] if url else ""


def port_ranges(rules: Any) -> list[dict[str, Any]]:
    """Compute ``allowed`` / ``denied`` entries as ``{protocol, from_port, to_port}`` ranges.

    A protocol without ports covers all of them (0-65535); ``all`` becomes ``-1``."""
    ranges: list[dict[str, Any]] = []
    for rule in rules:
        protocol = str(rule.I_p_protocol).lower()
        if protocol == "all":
            ranges.append({"protocol": ALL_TRAFFIC, "from_port": None, "to_port": None})
        elif protocol not in PORTED:
            ranges.append({"protocol": protocol, "from_port": None, "to_port": None})
        elif not rule.ports:
            ranges.append({"protocol": protocol, "from_port": 0, "to_port": 65535})
        else:
            for ports in rule.ports:
                low, _, high = str(ports).partition("-")
                ranges.append(
                    {"protocol": protocol, "from_port": int(low), "to_port": int(high or low)}
                )
    return ranges


def transform_firewall(rule: compute_v1.Firewall) -> dict[str, Any]:
    allowed = port_ranges(rule.allowed)
    world_sources = [r for r in rule.source_ranges if r in WORLD]
    world_open = bool(
        rule.direction == "INGRESS" and not rule.disabled and world_sources and allowed
    )
    return {
        "name": rule.name,
        "network": short(rule.network),
        "direction": rule.direction,
        "disabled": bool(rule.disabled),
        "priority": rule.priority,
        "source_ranges": list(rule.source_ranges),
        "destination_ranges": list(rule.destination_ranges),
        "source_tags": list(rule.source_tags),
        "source_service_accounts": list(rule.source_service_accounts),
        "target_tags": list(rule.target_tags),
        "target_service_accounts": list(rule.target_service_accounts),
        "allowed": allowed,
        "denied": port_ranges(rule.denied),
        "world_open": world_open,
        "world_ingress": [
            {**entry, "source": source}
            for source in (world_sources if world_open else [])
            for entry in allowed
        ],
        "logging_enabled": bool(rule.log_config.enable),
    }


def transform_network(network: compute_v1.Network) -> dict[str, Any]:
    legacy = bool(network.I_pv4_range)
    return {
        "name": network.name,
        "is_default": network.name == "default",
        "auto_create_subnetworks": bool(network.auto_create_subnetworks) and not legacy,
        "legacy": legacy,
        "subnet_count": len(network.subnetworks),
        "routing_mode": network.routing_config.routing_mode or None,
    }


def transform_subnetwork(subnet: compute_v1.Subnetwork) -> dict[str, Any]:
    log_config = subnet.log_config
    enabled = bool(log_config.enable) if "enable" in log_config else bool(subnet.enable_flow_logs)
    sampled = enabled and "flow_sampling" in log_config
    return {
        "name": subnet.name,
        "network": short(subnet.network),
        "region": short(subnet.region),
        "ip_cidr_range": subnet.ip_cidr_range,
        "purpose": subnet.purpose or "PRIVATE",
        "flow_logs_enabled": enabled,
        "flow_sampling": log_config.flow_sampling if sampled else None,
        "private_google_access": bool(subnet.private_ip_google_access),
    }


def transform_project(project: compute_v1.Project) -> dict[str, Any]:
    metadata = {i.key: i.value for i in project.common_instance_metadata.items}
    return {
        "os_login_enabled": metadata.get("enable-oslogin", "").strip().lower() == "true",
        "os_login_2fa": metadata.get("enable-oslogin-2fa", "").strip().lower() == "true",
    }


def list_subnetworks(ctx: UnitContext, client: Any, project: str) -> list[compute_v1.Subnetwork]:
    """Every region's subnetworks from the aggregated list; unreachable regions are noted."""
    found: list[compute_v1.Subnetwork] = []
    pager = client.aggregated_list(project=project)
    for page in pager.pages:
        for scope, scoped in page.items.items():
            found += scoped.subnetworks
            if "warning" in scoped and scoped.warning.code not in QUIET_WARNINGS:
                ctx.note(f"compute subnetworks in {scope}: {scoped.warning.message}")
        for unreachable in page.unreachables:
            ctx.note(f"compute subnetworks in {unreachable} not listed: unreachable")
    return found


class NetworkConnector(Connector):
    name = "gcp.network"
    provider = "gcp"
    description = "VPC firewall rules, networks, subnetwork flow logs and project OS Login"
    regional = False
    kinds = (FIREWALL, NETWORK, SUBNETWORK, PROJECT)
    permissions = (
        "compute.firewalls.list",
        "compute.networks.list",
        "compute.subnetworks.list",
        "compute.projects.get",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        project = ctx.session.project
        firewalls = ctx.session.client("compute-firewalls", compute_v1.FirewallsClient)
        networks = ctx.session.client("compute-networks", compute_v1.NetworksClient)
        subnetworks = ctx.session.client("compute-subnetworks", compute_v1.SubnetworksClient)
        projects = ctx.session.client("compute-projects", compute_v1.ProjectsClient)
        found = ctx.attempt_all(
            "compute",
            {
                "firewalls": lambda: list(firewalls.list(project=project)),
                "networks": lambda: list(networks.list(project=project)),
                "subnetworks": lambda: list_subnetworks(ctx, subnetworks, project),
                "project": lambda: projects.get(project=project),
            },
        )
        base = f"{COMPUTE}/projects/{project}"
        for rule in _listed(found["firewalls"]):
            reads = ctx.reads("compute.firewalls.list")
            for name, value in transform_firewall(rule).items():
                reads.set(name, value)
            yield ctx.observe(FIREWALL.name, f"{base}/global/firewalls/{rule.name}", reads)
        for network in _listed(found["networks"]):
            reads = ctx.reads("compute.networks.list")
            for name, value in transform_network(network).items():
                reads.set(name, value)
            yield ctx.observe(NETWORK.name, f"{base}/global/networks/{network.name}", reads)
        for subnet in _listed(found["subnetworks"]):
            reads = ctx.reads("compute.subnetworks.list")
            attributes = transform_subnetwork(subnet)
            for name, value in attributes.items():
                reads.set(name, value)
            path = f"{base}/regions/{attributes['region']}/subnetworks/{subnet.name}"
            yield ctx.observe(SUBNETWORK.name, path, reads)
        reads = ctx.reads("compute.projects.get")
        reads.set("project", project)
        result = found["project"]
        reads.read_many(("os_login_enabled", "os_login_2fa"), lambda: _project(result))
        yield ctx.observe(PROJECT.name, base, reads)


def _listed(result: Any) -> list[Any]:
    """A listing's items, or none when it failed (attempt_all has noted it)."""
    return [] if isinstance(result, ConnectorError) else list(result)


def _project(result: Any) -> dict[str, Any]:
    if isinstance(result, ConnectorError):
        raise result
    return transform_project(result)
