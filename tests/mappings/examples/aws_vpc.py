"""Pass and fail examples for the VPC rules (security groups and flow logs)."""


def _group(world: list[dict], **extra: object) -> dict:
    return {
        "name": "web",
        "group_id": "sg-0123456789abcdef0",
        "vpc_id": "vpc-0a1b2c3d",
        "world_ingress": world,
        "world_all_ports": False,
        **extra,
    }


HTTPS = {"protocol": "tcp", "from_port": 443, "to_port": 443, "source": "0.0.0.0/0"}
RDP_V6 = {"protocol": "tcp", "from_port": 3389, "to_port": 3389, "source": "::/0"}
HIGH_RANGE = {"protocol": "tcp", "from_port": 5000, "to_port": 6000, "source": "0.0.0.0/0"}
# UDP is outside ports_in(): a DNS resolver's port 53 is not an administration port here.
DNS_UDP = {"protocol": "udp", "from_port": 53, "to_port": 53, "source": "0.0.0.0/0"}
EVERYTHING = {"protocol": "-1", "from_port": None, "to_port": None, "source": "0.0.0.0/0"}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.ec2.security_group.no-world-admin-ports": (
        _group([HTTPS, DNS_UDP]),
        _group([HTTPS, RDP_V6]),
    ),
    "aws.ec2.security_group.no-world-database-ports": (
        _group([HTTPS, RDP_V6]),
        _group([HIGH_RANGE]),
    ),
    "aws.ec2.security_group.no-world-all-ports": (
        _group([HTTPS]),
        _group([EVERYTHING], world_all_ports=True),
    ),
    "aws.ec2.security_group.default-restricts-all": (
        _group([], name="default", is_default=True, ingress_rule_count=0, egress_rule_count=0),
        _group([], name="default", is_default=True, ingress_rule_count=1, egress_rule_count=1),
    ),
    "aws.ec2.vpc.flow-logs": (
        {
            "vpc_id": "vpc-0a1b2c3d",
            "cidr_block": "10.0.0.0/16",
            "flow_logs": [
                {
                    "id": "fl-1",
                    "status": "ACTIVE",
                    "traffic_type": "ALL",
                    "destination_type": "cloud-watch-logs",
                    "destination": "/vpc/flow-logs",
                    "deliver_status": "SUCCESS",
                }
            ],
            "flow_logs_active": True,
        },
        {
            "vpc_id": "vpc-0e1f2a3b",
            "cidr_block": "10.1.0.0/16",
            "flow_logs": [
                {
                    "id": "fl-2",
                    "status": "ACTIVE",
                    "traffic_type": "ALL",
                    "destination_type": "s3",
                    "destination": "arn:aws:s3:::gone",
                    "deliver_status": "FAILED",
                }
            ],
            "flow_logs_active": False,
        },
    ),
}
