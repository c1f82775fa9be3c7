"""ELBv2: application, network and gateway load balancers, their listeners and attributes.

Per load balancer: scheme and type, every listener with its protocol, port, TLS security policy,
certificates and default actions, which HTTP listeners serve plaintext without redirecting to
HTTPS, and from the load balancer attributes access logging, deletion protection and whether
invalid HTTP header fields are dropped.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.connectors.aws.common import iso, paginate
from annexa.connectors.base import Connector, Kind, UnitContext, Unreadable
from annexa.connectors.records import Observation

LOAD_BALANCER = Kind(
    "aws.elbv2.load_balancer",
    "An application, network or gateway load balancer with its listeners",
    {
        "name": "LoadBalancerName",
        "type": "application, network or gateway",
        "scheme": "internet-facing or internal",
        "state": "State.Code (active, provisioning, failed, ...)",
        "vpc_id": "the VPC of the load balancer",
        "created_at": "CreatedTime",
        "listeners": "each listener's protocol, port, ssl_policy, certificates and default actions",
        "tls_policies": "security policies of the HTTPS and TLS listeners",
        "plaintext_listeners": "HTTP listeners (as PROTOCOL:port) that do not redirect to HTTPS",
        "access_logs_enabled": "access_logs.s3.enabled",
        "access_logs_bucket": "access_logs.s3.bucket (null: none)",
        "deletion_protection": "deletion_protection.enabled (null: not reported)",
        "drop_invalid_header_fields": (
            "routing.http.drop_invalid_header_fields.enabled (null: not an ALB or not reported)"
        ),
    },
)

ENCRYPTED_PROTOCOLS = ("HTTPS", "TLS")
ATTRIBUTE_FIELDS = (
    "access_logs_enabled",
    "access_logs_bucket",
    "deletion_protection",
    "drop_invalid_header_fields",
)


def redirects_to_https(actions: list[dict[str, Any]]) -> bool:
    """Whether a listener's default action redirects every request to HTTPS."""
    return any(
        action.get("Type") == "redirect"
        and (action.get("RedirectConfig") or {}).get("Protocol") == "HTTPS"
        for action in actions
    )


def transform_listener(listener: dict[str, Any]) -> dict[str, Any]:
    protocol = listener.get("Protocol")
    actions = listener.get("DefaultActions") or []
    return {
        "protocol": protocol,
        "port": listener.get("Port"),
        # moto reports a policy on plain HTTP listeners too; only encrypted ones have one in AWS
        "ssl_policy": listener.get("SslPolicy") if protocol in ENCRYPTED_PROTOCOLS else None,
        "certificates": sorted(c["CertificateArn"] for c in listener.get("Certificates") or []),
        "default_actions": [action.get("Type") for action in actions],
        "redirects_to_https": redirects_to_https(actions),
    }


def get_listeners(elbv2: Any, arn: str) -> dict[str, Any]:
    listeners = [
        transform_listener(listener)
        for listener in paginate(elbv2, "describe_listeners", "Listeners", LoadBalancerArn=arn)
    ]
    listeners.sort(key=lambda item: (item["port"] or 0, item["protocol"] or ""))
    return {
        "listeners": listeners,
        "tls_policies": sorted({item["ssl_policy"] for item in listeners if item["ssl_policy"]}),
        "plaintext_listeners": [
            f"{item['protocol']}:{item['port']}"
            for item in listeners
            if item["protocol"] == "HTTP" and not item["redirects_to_https"]
        ],
    }


def _flag(attributes: dict[str, str], key: str) -> bool | None:
    value = attributes.get(key)
    return None if value is None else value.lower() == "true"


def transform_attributes(found: list[dict[str, Any]], lb_type: str) -> dict[str, Any]:
    """Load balancer attributes. AWS always reports ``access_logs.s3.enabled`` (false by default)
    for the types that support it; if it is missing, that is a gap, not "disabled"."""
    attributes = {a["Key"]: str(a.get("Value", "")) for a in found}
    logs = _flag(attributes, "access_logs.s3.enabled")
    return {
        "access_logs_enabled": (
            Unreadable("DescribeLoadBalancerAttributes did not report access_logs.s3.enabled")
            if logs is None
            else logs
        ),
        "access_logs_bucket": attributes.get("access_logs.s3.bucket") or None,
        "deletion_protection": _flag(attributes, "deletion_protection.enabled"),
        "drop_invalid_header_fields": (
            _flag(attributes, "routing.http.drop_invalid_header_fields.enabled")
            if lb_type == "application"
            else None
        ),
    }


def get_attributes(elbv2: Any, arn: str, lb_type: str) -> dict[str, Any]:
    found = elbv2.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"]
    return transform_attributes(found, lb_type)


class Elbv2Connector(Connector):
    name = "aws.elbv2"
    provider = "aws"
    description = "Application, network and gateway load balancers: listeners, TLS, logging"
    regional = True
    kinds = (LOAD_BALANCER,)
    permissions = (
        "elasticloadbalancing:DescribeLoadBalancers",
        "elasticloadbalancing:DescribeListeners",
        "elasticloadbalancing:DescribeLoadBalancerAttributes",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        elbv2 = ctx.session.client("elbv2", ctx.scope.region)
        balancers = list(paginate(elbv2, "describe_load_balancers", "LoadBalancers"))
        yield from ctx.map(lambda lb: _load_balancer(ctx, elbv2, lb), balancers)


def _load_balancer(ctx: UnitContext, elbv2: Any, lb: dict[str, Any]) -> Observation:
    arn, lb_type = lb["LoadBalancerArn"], lb.get("Type", "application")
    reads = ctx.reads("elasticloadbalancing:DescribeLoadBalancers")
    reads.set("name", lb["LoadBalancerName"])
    reads.set("type", lb_type)
    reads.set("scheme", lb.get("Scheme"))
    reads.set("state", (lb.get("State") or {}).get("Code"))
    reads.set("vpc_id", lb.get("VpcId"))
    reads.set("created_at", iso(lb.get("CreatedTime")))
    reads.read_many(
        ("listeners", "tls_policies", "plaintext_listeners"), lambda: get_listeners(elbv2, arn)
    )
    reads.read_many(ATTRIBUTE_FIELDS, lambda: get_attributes(elbv2, arn, lb_type))
    return ctx.observe("aws.elbv2.load_balancer", arn, reads)
