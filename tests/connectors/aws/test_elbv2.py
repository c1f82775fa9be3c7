"""ELBv2 through boto3 against moto over HTTP; attributes moto omits via Stubber.

moto 5.2.5 implements load balancers, listeners and attributes, but it leaves
``access_logs.s3.enabled`` out of DescribeLoadBalancerAttributes until it has been set (real AWS
always reports it), and reports an SslPolicy on plain HTTP listeners.
"""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from annexa.connectors.aws.elbv2 import Elbv2Connector, get_attributes
from tests.support.aws import by_id, client, open_session, run_unit

MODERN = "ELBSecurityPolicy-TLS13-1-2-2021-06"
OUTDATED = "ELBSecurityPolicy-2016-08"
HTTPS_REDIRECT = {
    "Type": "redirect",
    "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
}


def subnets(moto: str, region: str) -> tuple[str, list[str]]:
    ec2 = client(moto, "ec2", region)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    found = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=f"{region}{z}")[
            "Subnet"
        ]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    return vpc, found


def attrs(elbv2, arn: str, **values: str) -> None:
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in values.items()]
    )


@pytest.fixture
def estate(moto: str) -> dict[str, str]:
    region = "us-east-1"
    vpc, nets = subnets(moto, region)
    cert = client(moto, "acm", region).request_certificate(DomainName="shop.example.com")[
        "CertificateArn"
    ]
    client(moto, "s3", region).create_bucket(Bucket="lb-logs")
    elbv2 = client(moto, "elbv2", region)
    target = elbv2.create_target_group(Name="app", Protocol="HTTP", Port=80, VpcId=vpc)[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    forward = {"Type": "forward", "TargetGroupArn": target}

    def balancer(name: str, **kwargs: str) -> str:
        return elbv2.create_load_balancer(Name=name, Subnets=nets, **kwargs)["LoadBalancers"][0][
            "LoadBalancerArn"
        ]

    def listener(arn: str, protocol: str, port: int, action: dict, **kwargs) -> None:
        elbv2.create_listener(
            LoadBalancerArn=arn, Protocol=protocol, Port=port, DefaultActions=[action], **kwargs
        )

    https = {"Certificates": [{"CertificateArn": cert}]}
    web = balancer("web", Scheme="internet-facing")
    listener(web, "HTTP", 80, HTTPS_REDIRECT)
    listener(web, "HTTPS", 443, forward, SslPolicy=MODERN, **https)
    attrs(
        elbv2,
        web,
        **{
            "access_logs.s3.enabled": "true",
            "access_logs.s3.bucket": "lb-logs",
            "deletion_protection.enabled": "true",
            "routing.http.drop_invalid_header_fields.enabled": "true",
        },
    )
    legacy = balancer("legacy", Scheme="internet-facing")
    listener(legacy, "HTTP", 80, forward)
    listener(legacy, "HTTPS", 443, forward, SslPolicy=OUTDATED, **https)
    attrs(elbv2, legacy, **{"access_logs.s3.enabled": "false"})
    internal = balancer("internal", Scheme="internal")
    listener(internal, "HTTP", 8080, forward)
    client(moto, "elbv2", "eu-west-1")  # no load balancers there
    return {"endpoint": moto, "web": web, "legacy": legacy, "internal": internal, "cert": cert}


def test_load_balancers(estate: dict[str, str]) -> None:
    session = open_session(estate["endpoint"])
    us, _ = run_unit(Elbv2Connector, estate["endpoint"], "us-east-1", session)
    eu, _ = run_unit(Elbv2Connector, estate["endpoint"], "eu-west-1", session)
    assert eu == []
    found = by_id(us, "aws.elbv2.load_balancer")
    assert set(found) == {estate["web"], estate["legacy"], estate["internal"]}

    web = found[estate["web"]].attributes
    assert web["name"] == "web" and web["type"] == "application"
    assert web["scheme"] == "internet-facing" and web["state"] == "active"
    assert web["plaintext_listeners"] == [] and web["tls_policies"] == [MODERN]
    http, tls = web["listeners"]
    assert http["protocol"] == "HTTP" and http["port"] == 80 and http["redirects_to_https"]
    assert http["ssl_policy"] is None and http["default_actions"] == ["redirect"]
    assert tls["certificates"] == [estate["cert"]] and tls["ssl_policy"] == MODERN
    assert web["access_logs_enabled"] is True and web["access_logs_bucket"] == "lb-logs"
    assert web["deletion_protection"] is True and web["drop_invalid_header_fields"] is True

    legacy = found[estate["legacy"]].attributes
    assert legacy["plaintext_listeners"] == ["HTTP:80"]
    assert legacy["tls_policies"] == [OUTDATED]
    assert legacy["access_logs_enabled"] is False and legacy["access_logs_bucket"] is None
    assert legacy["deletion_protection"] is False

    internal = found[estate["internal"]]
    assert internal.attributes["scheme"] == "internal"
    assert internal.attributes["plaintext_listeners"] == ["HTTP:8080"]
    assert internal.attributes["tls_policies"] == []
    # moto omits access_logs.s3.enabled until it is set: a gap, never "disabled" or "enabled".
    assert "access_logs_enabled" in internal.gaps
    assert "access_logs_enabled" not in internal.attributes


def test_real_aws_attributes_of_a_network_load_balancer(moto: str) -> None:
    """Real AWS always reports access_logs.s3.enabled; moto omits it until set. Stubbed."""
    elbv2 = open_session(moto).client("elbv2", "us-east-1")
    arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/nlb/1"
    with Stubber(elbv2) as stub:
        stub.add_response(
            "describe_load_balancer_attributes",
            {
                "Attributes": [
                    {"Key": "access_logs.s3.enabled", "Value": "false"},
                    {"Key": "access_logs.s3.bucket", "Value": ""},
                    {"Key": "deletion_protection.enabled", "Value": "false"},
                    {"Key": "load_balancing.cross_zone.enabled", "Value": "true"},
                ]
            },
            {"LoadBalancerArn": arn},
        )
        found = get_attributes(elbv2, arn, "network")
    assert found == {
        "access_logs_enabled": False,
        "access_logs_bucket": None,
        "deletion_protection": False,
        "drop_invalid_header_fields": None,
    }


def test_denied_listeners_are_gaps(estate: dict[str, str], proxy) -> None:
    proxy.deny(service="elasticloadbalancing", operation="DescribeListeners")
    observations, _ = run_unit(Elbv2Connector, proxy.url, "us-east-1")
    assert len(observations) == 3
    for obs in observations:
        for name in ("listeners", "tls_policies", "plaintext_listeners"):
            assert "PermissionDenied" in obs.gaps[name]
            assert name not in obs.attributes
    web = by_id(observations, "aws.elbv2.load_balancer")[estate["web"]]
    assert web.attributes["access_logs_enabled"] is True


def test_denied_describe_load_balancers_is_a_denied_unit(estate: dict[str, str], proxy) -> None:
    proxy.deny(service="elasticloadbalancing", operation="DescribeLoadBalancers")
    with pytest.raises(Exception, match="AccessDenied"):
        run_unit(Elbv2Connector, proxy.url, "us-east-1")
