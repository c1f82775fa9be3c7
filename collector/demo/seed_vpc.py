"""Demo seed: security groups and VPC flow logs.

In eu-west-1 a production VPC sends ALL traffic to a CloudWatch Logs group through flow logs,
while a forgotten staging VPC has none. Production holds a tidy web group (HTTPS from anywhere,
PostgreSQL only from the web group); staging holds a bastion group with SSH and RDP open to the
internet and a reporting database whose PostgreSQL port is open to the world as well.
"""

from __future__ import annotations

from typing import Any

REGION = "eu-west-1"
ACCOUNT = "123456789012"
FLOW_LOG_GROUP = "/vpc/prod/flow-logs"


def _group(ec2: Any, vpc: str, name: str, description: str, team: str) -> str:
    group_id: str = ec2.create_security_group(
        GroupName=name,
        Description=description,
        VpcId=vpc,
        TagSpecifications=[
            {"ResourceType": "security-group", "Tags": [{"Key": "team", "Value": team}]}
        ],
    )["GroupId"]
    return group_id


def _tcp(port: int, *, cidr: str | None = None, v6: bool = False, group: str | None = None) -> Any:
    permission: dict[str, Any] = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if cidr:
        permission["IpRanges"] = [{"CidrIp": cidr}]
    if v6:
        permission["Ipv6Ranges"] = [{"CidrIpv6": "::/0"}]
    if group:
        permission["UserIdGroupPairs"] = [{"GroupId": group}]
    return permission


def _vpc(ec2: Any, cidr: str, name: str) -> str:
    vpc_id: str = ec2.create_vpc(
        CidrBlock=cidr,
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": name}]}],
    )["Vpc"]["VpcId"]
    return vpc_id


def seed() -> None:
    """Seed demo VPCs and security groups through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    ec2 = boto3.client("ec2", region_name=REGION)
    logs = boto3.client("logs", region_name=REGION)
    prod = _vpc(ec2, "10.20.0.0/16", "prod")
    staging = _vpc(ec2, "10.30.0.0/16", "staging")
    logs.create_log_group(logGroupName=FLOW_LOG_GROUP)
    ec2.create_flow_logs(
        ResourceIds=[prod],
        ResourceType="VPC",
        TrafficType="ALL",
        LogDestinationType="cloud-watch-logs",
        LogGroupName=FLOW_LOG_GROUP,
        DeliverLogsPermissionArn=f"arn:aws:iam::{ACCOUNT}:role/vpc-flow-logs",
    )

    web = _group(ec2, prod, "shop-web", "HTTPS from the internet", "shop")
    ec2.authorize_security_group_ingress(
        GroupId=web, IpPermissions=[_tcp(443, cidr="0.0.0.0/0", v6=True)]
    )
    database = _group(ec2, prod, "shop-db", "PostgreSQL from the web tier only", "shop")
    ec2.authorize_security_group_ingress(GroupId=database, IpPermissions=[_tcp(5432, group=web)])

    bastion = _group(ec2, staging, "staging-bastion", "temporary admin access", "ops")
    ec2.authorize_security_group_ingress(
        GroupId=bastion, IpPermissions=[_tcp(22, cidr="0.0.0.0/0"), _tcp(3389, v6=True)]
    )
    reports = _group(ec2, staging, "reports-db", "reporting database", "data")
    ec2.authorize_security_group_ingress(
        GroupId=reports, IpPermissions=[_tcp(5432, cidr="0.0.0.0/0")]
    )
