"""Demo seed: ELBv2 load balancers.

In eu-west-1 a well-configured shop ALB (HTTP redirects to HTTPS, a TLS 1.2+ policy, access logs,
deletion protection) next to a legacy internet-facing ALB that serves plaintext HTTP, still uses
ELBSecurityPolicy-2016-08 and writes no access logs, and an internal network load balancer.
"""

from __future__ import annotations

from typing import Any

REGION = "eu-west-1"


def _subnets(ec2: Any) -> tuple[str, list[str]]:
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=zone)["Subnet"]["SubnetId"]
        for cidr, zone in (("10.50.1.0/24", f"{REGION}a"), ("10.50.2.0/24", f"{REGION}b"))
    ]
    return vpc, subnets


def _attributes(elbv2: Any, arn: str, **values: str) -> None:
    elbv2.modify_load_balancer_attributes(
        LoadBalancerArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in values.items()]
    )


def seed() -> None:
    """Seed load balancers through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    vpc, subnets = _subnets(boto3.client("ec2", region_name=REGION))
    certificate = boto3.client("acm", region_name=REGION).request_certificate(
        DomainName="shop.example.org"
    )["CertificateArn"]
    boto3.client("s3", region_name=REGION).create_bucket(
        Bucket="demo-lb-access-logs", CreateBucketConfiguration={"LocationConstraint": REGION}
    )
    elbv2 = boto3.client("elbv2", region_name=REGION)
    target = elbv2.create_target_group(Name="shop", Protocol="HTTP", Port=8080, VpcId=vpc)[
        "TargetGroups"
    ][0]["TargetGroupArn"]
    forward = [{"Type": "forward", "TargetGroupArn": target}]
    redirect = [
        {
            "Type": "redirect",
            "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"},
        }
    ]
    certificates = [{"CertificateArn": certificate}]

    def balancer(name: str, **kwargs: str) -> str:
        found = elbv2.create_load_balancer(Name=name, Subnets=subnets, **kwargs)
        return str(found["LoadBalancers"][0]["LoadBalancerArn"])

    shop = balancer("shop", Scheme="internet-facing")
    elbv2.create_listener(LoadBalancerArn=shop, Protocol="HTTP", Port=80, DefaultActions=redirect)
    elbv2.create_listener(
        LoadBalancerArn=shop,
        Protocol="HTTPS",
        Port=443,
        SslPolicy="ELBSecurityPolicy-TLS13-1-2-2021-06",
        Certificates=certificates,
        DefaultActions=forward,
    )
    _attributes(
        elbv2,
        shop,
        **{
            "access_logs.s3.enabled": "true",
            "access_logs.s3.bucket": "demo-lb-access-logs",
            "deletion_protection.enabled": "true",
            "routing.http.drop_invalid_header_fields.enabled": "true",
        },
    )

    legacy = balancer("legacy-portal", Scheme="internet-facing")
    elbv2.create_listener(LoadBalancerArn=legacy, Protocol="HTTP", Port=80, DefaultActions=forward)
    elbv2.create_listener(
        LoadBalancerArn=legacy,
        Protocol="HTTPS",
        Port=443,
        SslPolicy="ELBSecurityPolicy-2016-08",
        Certificates=certificates,
        DefaultActions=forward,
    )
    _attributes(elbv2, legacy, **{"access_logs.s3.enabled": "false"})

    internal = balancer("orders-internal", Scheme="internal", Type="network")
    _attributes(elbv2, internal, **{"access_logs.s3.enabled": "false"})
