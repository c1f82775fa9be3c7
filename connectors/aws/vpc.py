"""VPC network controls: security groups and VPCs with their flow logs, per region.

Security groups are most of a typical estate, so the unit makes three paginated listings per
region and no call per resource: DescribeSecurityGroups, DescribeVpcs and one DescribeFlowLogs
for the whole region, joined to the VPCs by ``ResourceId``. Only flow logs attached to the VPC
itself count for it; a subnet's or a network interface's flow log covers only part of the VPC.

A failed listing of security groups or of VPCs is noted on the unit (``partial``) and the other
is still observed; when both fail the unit fails with the first error. A failed flow-log listing
makes ``flow_logs`` and ``flow_logs_active`` gaps on every VPC, never "no flow logs".

Groups and VPCs shared into the account by another account (``OwnerId`` differs) are left to the
owner's unit: the owner reads them completely, whereas a participant cannot see the owner's flow
logs and would report them missing.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from annexa.connectors.aws.common import paginate, tags_dict
from annexa.connectors.base import Connector, Kind, Reads, UnitContext
from annexa.connectors.errors import ConnectorError
from annexa.connectors.records import Observation

TAGS = "resource tags (secret-looking values redacted)"
PAGE_SIZE = 1000
WORLD = ("0.0.0.0/0", "::/0")
ALL_TRAFFIC = "-1"
# Protocol numbers AWS accepts in place of names, reported by name.
PROTOCOL_NAMES = {"1": "icmp", "6": "tcp", "17": "udp", "58": "icmpv6"}

SECURITY_GROUP = Kind(
    "aws.ec2.security_group",
    "A VPC security group: what it lets in from the internet, and how many rules it has",
    {
        "group_id": "GroupId",
        "name": "GroupName",
        "description": "Description",
        "vpc_id": "VpcId",
        "is_default": "the VPC's default security group (GroupName default)",
        "ingress_rule_count": "inbound rules, one per source of each permission (as AWS counts)",
        "egress_rule_count": "outbound rules, one per destination of each permission",
        "world_ingress": "inbound rules open to 0.0.0.0/0 or ::/0: {protocol, from_port, to_port, "
        "source}; protocol -1 is all traffic (ports null)",
        "world_all_ports": "some world rule allows all traffic, or every TCP or UDP port",
        "tags": TAGS,
    },
)
VPC = Kind(
    "aws.ec2.vpc",
    "A VPC and the flow logs attached to it",
    {
        "vpc_id": "VpcId",
        "cidr_block": "primary IPv4 CidrBlock",
        "is_default": "the region's default VPC",
        "flow_logs": "flow logs on the VPC: {id, status, traffic_type, destination_type, "
        "destination, deliver_status}",
        "flow_logs_active": "an ACTIVE flow log records ALL or REJECT traffic and its delivery "
        "has not failed (DeliverLogsStatus SUCCESS or not reported)",
        "tags": TAGS,
    },
)


def _protocol(permission: dict[str, Any]) -> str:
    protocol = str(permission.get("IpProtocol", ALL_TRAFFIC)).lower()
    return PROTOCOL_NAMES.get(protocol, protocol)


def rule_count(permissions: list[dict[str, Any]]) -> int:
    """Rules as AWS counts them: each source (CIDR, group, prefix list) of a permission is one."""
    sources = ("IpRanges", "Ipv6Ranges", "UserIdGroupPairs", "PrefixListIds")
    return sum(max(1, sum(len(p.get(key) or []) for key in sources)) for p in permissions)


def world_ingress(permissions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One entry per inbound permission and world source (0.0.0.0/0, ::/0) it admits."""
    found = []
    for permission in permissions:
        protocol = _protocol(permission)
        ports = (None, None)
        if protocol != ALL_TRAFFIC:
            ports = (permission.get("FromPort"), permission.get("ToPort"))
        cidrs = [r.get("CidrIp") for r in permission.get("IpRanges") or []]
        cidrs += [r.get("CidrIpv6") for r in permission.get("Ipv6Ranges") or []]
        found += [
            {"protocol": protocol, "from_port": ports[0], "to_port": ports[1], "source": source}
            for source in WORLD
            if source in cidrs
        ]
    return found


def all_ports(rule: dict[str, Any]) -> bool:
    """All traffic, or the whole TCP or UDP port range."""
    if rule["protocol"] == ALL_TRAFFIC:
        return True
    return rule["protocol"] in ("tcp", "udp") and (rule["from_port"], rule["to_port"]) == (0, 65535)


def transform_security_group(group: dict[str, Any]) -> dict[str, Any]:
    ingress = group.get("IpPermissions") or []
    world = world_ingress(ingress)
    return {
        "group_id": group["GroupId"],
        "name": group["GroupName"],
        "description": group.get("Description"),
        "vpc_id": group.get("VpcId"),
        "is_default": group["GroupName"] == "default",
        "ingress_rule_count": rule_count(ingress),
        "egress_rule_count": rule_count(group.get("IpPermissionsEgress") or []),
        "world_ingress": world,
        "world_all_ports": any(all_ports(rule) for rule in world),
        "tags": tags_dict(group.get("Tags")),
    }


def transform_vpc(vpc: dict[str, Any]) -> dict[str, Any]:
    return {
        "vpc_id": vpc["VpcId"],
        "cidr_block": vpc.get("CidrBlock"),
        "is_default": bool(vpc.get("IsDefault")),
        "tags": tags_dict(vpc.get("Tags")),
    }


def transform_flow_log(flow_log: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": flow_log["FlowLogId"],
        "status": flow_log.get("FlowLogStatus"),
        "traffic_type": flow_log.get("TrafficType"),
        "destination_type": flow_log.get("LogDestinationType", "cloud-watch-logs"),
        "destination": flow_log.get("LogDestination") or flow_log.get("LogGroupName"),
        "deliver_status": flow_log.get("DeliverLogsStatus"),
    }


def flow_log_active(flow_log: dict[str, Any]) -> bool:
    """Recording rejected traffic at least, and delivering it (an unreported status counts)."""
    return (
        flow_log["status"] == "ACTIVE"
        and flow_log["traffic_type"] in ("ALL", "REJECT")
        and flow_log["deliver_status"] in ("SUCCESS", None)
    )


def get_flow_logs(ec2: Any) -> dict[str, list[dict[str, Any]]]:
    """The region's flow logs by the resource they are attached to."""
    by_resource: dict[str, list[dict[str, Any]]] = {}
    for flow_log in paginate(ec2, "describe_flow_logs", "FlowLogs", MaxResults=PAGE_SIZE):
        if flow_log.get("ResourceId"):
            by_resource.setdefault(flow_log["ResourceId"], []).append(transform_flow_log(flow_log))
    return by_resource


def _owned(items: list[dict[str, Any]], account: str) -> list[dict[str, Any]]:
    return [item for item in items if item.get("OwnerId", account) == account]


def _list(ec2: Any, operation: str, key: str, account: str) -> list[dict[str, Any]]:
    return _owned(list(paginate(ec2, operation, key, MaxResults=PAGE_SIZE)), account)


class VpcConnector(Connector):
    name = "aws.vpc"
    provider = "aws"
    description = "Security groups open to the internet, default groups, VPC flow logs"
    regional = True
    kinds = (SECURITY_GROUP, VPC)
    permissions = (
        "ec2:DescribeSecurityGroups",
        "ec2:DescribeVpcs",
        "ec2:DescribeFlowLogs",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        ec2 = ctx.session.client("ec2", ctx.scope.region)
        account = ctx.scope.account
        listings = {
            "security groups": ("describe_security_groups", "SecurityGroups"),
            "VPCs": ("describe_vpcs", "Vpcs"),
        }
        found = ctx.attempt_all(
            "EC2",
            {
                family: partial(_list, ec2, operation, key, account)
                for family, (operation, key) in listings.items()
            },
        )
        groups, vpcs = found["security groups"], found["VPCs"]
        if not isinstance(groups, ConnectorError):
            for group in groups:
                yield _security_group(ctx, group)
        if not isinstance(vpcs, ConnectorError):
            flow_logs = ctx.reads()
            if vpcs:
                flow_logs.read("by_resource", lambda: get_flow_logs(ec2))
            for vpc in vpcs:
                yield _vpc(ctx, vpc, flow_logs)


def _security_group(ctx: UnitContext, group: dict[str, Any]) -> Observation:
    reads = ctx.reads("ec2:DescribeSecurityGroups")
    for attribute, value in transform_security_group(group).items():
        reads.set(attribute, value)
    arn = f"arn:aws:ec2:{ctx.scope.region}:{ctx.scope.account}:security-group/{group['GroupId']}"
    return ctx.observe("aws.ec2.security_group", arn, reads)


def _vpc(ctx: UnitContext, vpc: dict[str, Any], flow_logs: Reads) -> Observation:
    reads = ctx.reads("ec2:DescribeVpcs")
    for attribute, value in transform_vpc(vpc).items():
        reads.set(attribute, value)
    if "by_resource" in flow_logs.gaps:
        for attribute in ("flow_logs", "flow_logs_active"):
            reads.gaps[attribute] = flow_logs.gaps["by_resource"]
    else:
        reads.sources.update(flow_logs.sources)
        attached = flow_logs.attributes["by_resource"].get(vpc["VpcId"], [])
        reads.set("flow_logs", attached)
        reads.set("flow_logs_active", any(flow_log_active(f) for f in attached))
    arn = f"arn:aws:ec2:{ctx.scope.region}:{ctx.scope.account}:vpc/{vpc['VpcId']}"
    return ctx.observe("aws.ec2.vpc", arn, reads)
