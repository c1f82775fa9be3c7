"""Security groups and VPC flow logs through boto3 against moto over HTTP, in two regions.

moto 5.2.5 differs from AWS in two ways that matter here. Its default security groups have no
inbound rule, where AWS gives every default group an allow-all-from-itself rule: the estate adds
that rule to reproduce AWS. And moto answers DescribeSecurityGroups and DescribeFlowLogs in one
page whatever MaxResults says: paging with NextToken, the MaxResults sent, numeric protocols and
S3 flow logs without a delivery status are tested with Stubber in real AWS's shapes.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from annexa.collector.runner import check_observation
from annexa.connectors.aws.provider import AwsProvider
from annexa.connectors.aws.vpc import (
    VpcConnector,
    transform_security_group,
    world_ingress,
)
from annexa.connectors.base import UnitContext
from annexa.connectors.errors import PermissionDenied
from annexa.connectors.records import Observation, Scope
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.aws import ACCOUNT, by_id, client, open_session, run_unit

ROLE = f"arn:aws:iam::{ACCOUNT}:role/flow-logs"
OPERATIONS = {"ec2:DescribeSecurityGroups": 1, "ec2:DescribeVpcs": 1, "ec2:DescribeFlowLogs": 1}


def sg_arn(region: str, group_id: str) -> str:
    return f"arn:aws:ec2:{region}:{ACCOUNT}:security-group/{group_id}"


def vpc_arn(region: str, vpc_id: str) -> str:
    return f"arn:aws:ec2:{region}:{ACCOUNT}:vpc/{vpc_id}"


def world(protocol: str, low: int | None, high: int | None, **sources: Any) -> dict[str, Any]:
    permission: dict[str, Any] = {"IpProtocol": protocol, **sources}
    if low is not None:
        permission.update(FromPort=low, ToPort=high)
    return permission


ANY_V4 = {"IpRanges": [{"CidrIp": "0.0.0.0/0"}]}
ANY_V6 = {"Ipv6Ranges": [{"CidrIpv6": "::/0"}]}


def make_group(ec2: Any, vpc: str, name: str, *permissions: dict[str, Any]) -> str:
    group_id: str = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)[
        "GroupId"
    ]
    if permissions:
        ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=list(permissions))
    return group_id


def default_group(ec2: Any, vpc: str) -> str:
    groups = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"]
    group_id: str = groups[0]["GroupId"]
    return group_id


@pytest.fixture
def estate(moto: str) -> dict[str, str]:
    """us-east-1: five groups and a logged VPC; eu-west-1: a locked-down default group and VPCs
    whose flow logs are ACCEPT-only or fail to deliver."""
    ids: dict[str, str] = {}
    us = client(moto, "ec2", "us-east-1")
    client(moto, "logs", "us-east-1").create_log_group(logGroupName="/vpc/flow")
    vpc = ids["logged"] = us.create_vpc(CidrBlock="10.10.0.0/16")["Vpc"]["VpcId"]
    us.create_flow_logs(
        ResourceIds=[vpc],
        ResourceType="VPC",
        TrafficType="ALL",
        LogGroupName="/vpc/flow",
        DeliverLogsPermissionArn=ROLE,
    )
    ids["ssh"] = make_group(us, vpc, "ssh", world("tcp", 22, 22, **ANY_V4))
    ids["rdp"] = make_group(us, vpc, "rdp", world("tcp", 3389, 3389, **ANY_V6))
    ids["range"] = make_group(us, vpc, "range", world("tcp", 5000, 6000, **ANY_V4))
    ids["open"] = make_group(us, vpc, "open", world("-1", None, None, **ANY_V4, **ANY_V6))
    ids["tidy"] = make_group(
        us, vpc, "tidy", world("tcp", 22, 22, IpRanges=[{"CidrIp": "10.0.0.0/8"}])
    )
    # As in AWS, a default group admits traffic from its own members.
    ids["us-default"] = default_group(us, vpc)
    us.authorize_security_group_ingress(
        GroupId=ids["us-default"],
        IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": ids["us-default"]}]}],
    )

    eu = client(moto, "ec2", "eu-west-1")
    ids["eu-default-vpc"] = eu.describe_vpcs()["Vpcs"][0]["VpcId"]
    ids["eu-default"] = default_group(eu, ids["eu-default-vpc"])
    eu.revoke_security_group_egress(
        GroupId=ids["eu-default"], IpPermissions=[world("-1", None, None, **ANY_V4)]
    )
    accept = ids["accept-only"] = eu.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    eu.create_flow_logs(
        ResourceIds=[accept],
        ResourceType="VPC",
        TrafficType="ACCEPT",
        LogGroupName="/vpc/accept",
        DeliverLogsPermissionArn=ROLE,
    )
    # No such log group in eu-west-1: moto, like AWS, reports the delivery as FAILED.
    failing = ids["failing"] = eu.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    eu.create_flow_logs(
        ResourceIds=[failing],
        ResourceType="VPC",
        TrafficType="REJECT",
        LogGroupName="/vpc/missing",
        DeliverLogsPermissionArn=ROLE,
    )
    return ids


def evaluate(observation: Observation) -> dict[str, tuple[str, str]]:
    engine = RuleEngine([r for r in load_rules() if r.kind == observation.kind])
    return {e.rule_id: (e.status, e.reason) for e in engine.evaluate(observation)}


def test_security_groups(moto: str, estate: dict[str, str]) -> None:
    observations, _ = run_unit(VpcConnector, moto, "us-east-1")
    groups = by_id(observations, "aws.ec2.security_group")

    ssh = groups[sg_arn("us-east-1", estate["ssh"])]
    assert ssh.attributes["world_ingress"] == [
        {"protocol": "tcp", "from_port": 22, "to_port": 22, "source": "0.0.0.0/0"}
    ]
    assert ssh.attributes["name"] == "ssh" and ssh.attributes["is_default"] is False
    assert ssh.attributes["world_all_ports"] is False
    assert ssh.attributes["vpc_id"] == estate["logged"]
    assert ssh.source == ("ec2:DescribeSecurityGroups",)
    status, reason = evaluate(ssh)["aws.ec2.security_group.no-world-admin-ports"]
    assert status == "fail" and "port(s) 22 to the internet" in reason

    rdp = evaluate(groups[sg_arn("us-east-1", estate["rdp"])])
    assert rdp["aws.ec2.security_group.no-world-admin-ports"][0] == "fail"
    assert "3389" in rdp["aws.ec2.security_group.no-world-admin-ports"][1]
    assert rdp["aws.ec2.security_group.no-world-database-ports"][0] == "pass"

    ranged = evaluate(groups[sg_arn("us-east-1", estate["range"])])
    assert ranged["aws.ec2.security_group.no-world-admin-ports"][0] == "pass"
    status, reason = ranged["aws.ec2.security_group.no-world-database-ports"]
    assert status == "fail" and "port(s) 5432, 5439 to" in reason

    wide = groups[sg_arn("us-east-1", estate["open"])]
    assert wide.attributes["world_ingress"] == [
        {"protocol": "-1", "from_port": None, "to_port": None, "source": "0.0.0.0/0"},
        {"protocol": "-1", "from_port": None, "to_port": None, "source": "::/0"},
    ]
    assert wide.attributes["world_all_ports"] is True
    verdicts = evaluate(wide)
    assert verdicts["aws.ec2.security_group.no-world-all-ports"][0] == "fail"
    assert "22, 3389" in verdicts["aws.ec2.security_group.no-world-admin-ports"][1]

    tidy = groups[sg_arn("us-east-1", estate["tidy"])]
    assert tidy.attributes["world_ingress"] == [] and tidy.attributes["ingress_rule_count"] == 1
    assert {s for s, _ in evaluate(tidy).values()} == {"pass", "not_applicable"}

    default = groups[sg_arn("us-east-1", estate["us-default"])]
    assert default.attributes["is_default"] is True
    assert default.attributes["ingress_rule_count"] == 1
    assert default.attributes["egress_rule_count"] == 1
    assert default.attributes["world_ingress"] == []  # its members only, not the internet
    status, reason = evaluate(default)["aws.ec2.security_group.default-restricts-all"]
    assert status == "fail" and "1 inbound and 1 outbound" in reason
    # moto's default VPC has its own default group; both VPCs' groups are observed.
    assert sum(o.attributes["is_default"] for o in groups.values()) == 2


def test_vpcs_and_flow_logs_in_two_regions(moto: str, estate: dict[str, str]) -> None:
    session = open_session(moto)
    us, _ = run_unit(VpcConnector, moto, "us-east-1", session)
    eu, _ = run_unit(VpcConnector, moto, "eu-west-1", session)

    us_vpcs = by_id(us, "aws.ec2.vpc")
    logged = us_vpcs[vpc_arn("us-east-1", estate["logged"])]
    assert logged.attributes["cidr_block"] == "10.10.0.0/16"
    assert logged.attributes["is_default"] is False
    [flow_log] = logged.attributes["flow_logs"]
    assert flow_log["id"].startswith("fl-")
    assert {k: v for k, v in flow_log.items() if k != "id"} == {
        "status": "ACTIVE",
        "traffic_type": "ALL",
        "destination_type": "cloud-watch-logs",
        "destination": "/vpc/flow",
        "deliver_status": "SUCCESS",
    }
    assert logged.attributes["flow_logs_active"] is True
    assert set(logged.source) == {"ec2:DescribeVpcs", "ec2:DescribeFlowLogs"}
    status, reason = evaluate(logged)["aws.ec2.vpc.flow-logs"]
    assert status == "pass" and reason.endswith("records ALL traffic to /vpc/flow")
    [default_vpc] = [o for o in us_vpcs.values() if o.attributes["is_default"]]
    assert default_vpc.attributes["flow_logs"] == []
    assert default_vpc.attributes["flow_logs_active"] is False

    eu_vpcs = by_id(eu, "aws.ec2.vpc")
    accept = eu_vpcs[vpc_arn("eu-west-1", estate["accept-only"])].attributes
    assert accept["flow_logs"][0]["traffic_type"] == "ACCEPT"
    assert accept["flow_logs_active"] is False  # rejected connections go unrecorded
    failing = eu_vpcs[vpc_arn("eu-west-1", estate["failing"])]
    assert failing.attributes["flow_logs"][0]["deliver_status"] == "FAILED"
    assert failing.attributes["flow_logs_active"] is False
    status, reason = evaluate(failing)["aws.ec2.vpc.flow-logs"]
    assert status == "fail" and "delivery FAILED" in reason

    eu_groups = by_id(eu, "aws.ec2.security_group")
    locked = eu_groups[sg_arn("eu-west-1", estate["eu-default"])]
    assert locked.attributes["ingress_rule_count"] == 0
    assert locked.attributes["egress_rule_count"] == 0
    assert evaluate(locked)["aws.ec2.security_group.default-restricts-all"][0] == "pass"
    assert not set(eu_groups) & set(by_id(us, "aws.ec2.security_group"))


def test_calls_do_not_grow_with_the_estate(moto: str, estate: dict[str, str]) -> None:
    """Three listings per region, however many groups and VPCs there are."""
    observations, counter = run_unit(VpcConnector, moto, "us-east-1")
    assert dict(counter.operations) == OPERATIONS and counter.requests == 3
    ec2 = client(moto, "ec2", "us-east-1")
    for index in range(25):
        make_group(ec2, estate["logged"], f"more-{index}", world("tcp", 443, 443, **ANY_V4))
    ec2.create_vpc(CidrBlock="10.99.0.0/16")
    more, counter = run_unit(VpcConnector, moto, "us-east-1")
    assert len(more) == len(observations) + 27  # 25 groups, a VPC and its default group
    assert dict(counter.operations) == OPERATIONS and counter.requests == 3


def collect(session: Any, region: str) -> tuple[list[Observation], list[str]]:
    """One unit with its notes (run_unit does not return them), sequentially so that Stubber
    answers in order."""
    ctx = UnitContext(
        run_id="test-run",
        unit_id=f"test/aws.vpc/{region}",
        scope=Scope("aws", ACCOUNT, region),
        session=session,
        translate=AwsProvider().translate_error,
    )
    observations = list(VpcConnector().collect(ctx))
    for obs in observations:
        check_observation(VpcConnector, obs)
    return observations, ctx.notes


def test_denied_flow_logs_are_gaps_on_every_vpc(estate: dict[str, str], proxy: Any) -> None:
    proxy.deny(service="ec2", operation="DescribeFlowLogs")
    observations, notes = collect(open_session(proxy.url), "us-east-1")
    vpcs = by_id(observations, "aws.ec2.vpc")
    assert len(vpcs) == 2 and notes == []
    for vpc in vpcs.values():
        for name in ("flow_logs", "flow_logs_active"):
            assert name not in vpc.attributes and "PermissionDenied" in vpc.gaps[name]
        assert "cidr_block" in vpc.attributes  # what was readable is still evidence
        status, reason = evaluate(vpc)["aws.ec2.vpc.flow-logs"]
        assert status == "error" and reason.startswith("evidence gap")
    assert len(by_id(observations, "aws.ec2.security_group")) == 7


def test_denied_security_groups_leave_vpcs(estate: dict[str, str], proxy: Any) -> None:
    proxy.deny(service="ec2", operation="DescribeSecurityGroups")
    observations, notes = collect(open_session(proxy.url), "us-east-1")
    assert {o.kind for o in observations} == {"aws.ec2.vpc"} and len(observations) == 2
    assert len(notes) == 1 and notes[0].startswith("EC2 security groups not listed:")
    assert "PermissionDenied" in notes[0]
    logged = by_id(observations, "aws.ec2.vpc")[vpc_arn("us-east-1", estate["logged"])]
    assert logged.attributes["flow_logs_active"] is True

    proxy.deny(service="ec2", operation="DescribeVpcs")
    with pytest.raises(PermissionDenied) as denied:
        collect(open_session(proxy.url), "us-east-1")
    assert "DescribeSecurityGroups" in denied.value.describe()  # the first listing's error


def test_denied_vpcs_leave_security_groups(estate: dict[str, str], proxy: Any) -> None:
    proxy.deny(service="ec2", operation="DescribeVpcs")
    observations, notes = collect(open_session(proxy.url), "us-east-1")
    assert {o.kind for o in observations} == {"aws.ec2.security_group"}
    assert len(observations) == 7
    assert len(notes) == 1 and notes[0].startswith("EC2 VPCs not listed:")
    assert not any(s.operation == "DescribeFlowLogs" for s in proxy.seen)


PAGE_ONE = {
    "SecurityGroups": [
        {
            "GroupId": "sg-0aaa",
            "GroupName": "legacy",
            "OwnerId": ACCOUNT,
            "VpcId": "vpc-0abc",
            "Description": "numeric protocols",
            "IpPermissions": [
                {"IpProtocol": "6", "FromPort": 0, "ToPort": 65535, **ANY_V4},
                {"IpProtocol": "17", "FromPort": 53, "ToPort": 53, **ANY_V4, **ANY_V6},
                {"IpProtocol": "icmp", "FromPort": -1, "ToPort": -1, **ANY_V4},
            ],
            "IpPermissionsEgress": [],
        }
    ],
    "NextToken": "page-2",
}
PAGE_TWO = {
    "SecurityGroups": [
        {  # shared into the account from its network account: observed there
            "GroupId": "sg-0bbb",
            "GroupName": "shared",
            "OwnerId": "210987654321",
            "VpcId": "vpc-0shared",
            "IpPermissions": [],
            "IpPermissionsEgress": [],
        },
        {
            "GroupId": "sg-0ccc",
            "GroupName": "internal",
            "OwnerId": ACCOUNT,
            "VpcId": "vpc-0abc",
            "Tags": [{"Key": "team", "Value": "core"}],
            "IpPermissions": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 443,
                    "ToPort": 443,
                    "IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "172.16.0.0/12"}],
                    "PrefixListIds": [{"PrefixListId": "pl-0123"}],
                }
            ],
            "IpPermissionsEgress": [
                {"IpProtocol": "-1", **ANY_V4, **ANY_V6},
            ],
        },
    ]
}


def test_paging_and_real_aws_shapes(moto: str) -> None:
    """NextToken paging with MaxResults 1000, numeric protocols, shared groups and S3 flow logs
    without a delivery status, through Stubber."""
    session = open_session(moto)
    ec2 = session.client("ec2", "eu-west-1")
    with Stubber(ec2) as stub:
        stub.add_response("describe_security_groups", PAGE_ONE, {"MaxResults": 1000})
        stub.add_response(
            "describe_security_groups", PAGE_TWO, {"MaxResults": 1000, "NextToken": "page-2"}
        )
        stub.add_response(
            "describe_vpcs",
            {
                "Vpcs": [
                    {"VpcId": "vpc-0abc", "OwnerId": ACCOUNT, "CidrBlock": "10.0.0.0/16"},
                    {"VpcId": "vpc-0shared", "OwnerId": "210987654321", "IsDefault": False},
                ]
            },
            {"MaxResults": 1000},
        )
        stub.add_response(
            "describe_flow_logs",
            {
                "FlowLogs": [
                    {
                        "FlowLogId": "fl-0s3",
                        "FlowLogStatus": "ACTIVE",
                        "ResourceId": "vpc-0abc",
                        "TrafficType": "REJECT",
                        "LogDestinationType": "s3",
                        "LogDestination": "arn:aws:s3:::flow-logs-archive",
                    },
                    {  # a subnet's flow log covers part of the VPC only
                        "FlowLogId": "fl-0subnet",
                        "FlowLogStatus": "ACTIVE",
                        "ResourceId": "subnet-0abc",
                        "TrafficType": "ALL",
                    },
                ]
            },
            {"MaxResults": 1000},
        )
        observations, notes = collect(session, "eu-west-1")
        stub.assert_no_pending_responses()
    assert notes == []
    groups = by_id(observations, "aws.ec2.security_group")
    assert set(groups) == {sg_arn("eu-west-1", "sg-0aaa"), sg_arn("eu-west-1", "sg-0ccc")}
    legacy = groups[sg_arn("eu-west-1", "sg-0aaa")].attributes
    assert [(r["protocol"], r["from_port"], r["source"]) for r in legacy["world_ingress"]] == [
        ("tcp", 0, "0.0.0.0/0"),
        ("udp", 53, "0.0.0.0/0"),
        ("udp", 53, "::/0"),
        ("icmp", -1, "0.0.0.0/0"),
    ]
    assert legacy["world_all_ports"] is True and legacy["ingress_rule_count"] == 4
    internal = groups[sg_arn("eu-west-1", "sg-0ccc")].attributes
    assert internal["ingress_rule_count"] == 3 and internal["egress_rule_count"] == 2
    assert internal["world_ingress"] == [] and internal["tags"] == {"team": "core"}
    assert internal["description"] is None

    [vpc] = by_id(observations, "aws.ec2.vpc").values()
    assert vpc.resource_id == vpc_arn("eu-west-1", "vpc-0abc")
    assert vpc.attributes["flow_logs"] == [
        {
            "id": "fl-0s3",
            "status": "ACTIVE",
            "traffic_type": "REJECT",
            "destination_type": "s3",
            "destination": "arn:aws:s3:::flow-logs-archive",
            "deliver_status": None,
        }
    ]
    assert vpc.attributes["flow_logs_active"] is True


def test_transform_ignores_what_is_not_the_internet() -> None:
    group = {
        "GroupId": "sg-1",
        "GroupName": "default",
        "IpPermissions": [
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "1.2.3.4/32"}],
            },
            {"IpProtocol": "-1", "FromPort": -1, "ToPort": -1, **ANY_V6},
        ],
    }
    attributes = transform_security_group(group)
    assert attributes["is_default"] is True and attributes["egress_rule_count"] == 0
    assert attributes["world_ingress"] == [
        {"protocol": "-1", "from_port": None, "to_port": None, "source": "::/0"}
    ]
    assert world_ingress([]) == []
