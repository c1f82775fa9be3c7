"""Pass and fail examples for the Compute Engine networking rules."""

SSH_WORLD = {"protocol": "tcp", "from_port": 22, "to_port": 22, "source": "0.0.0.0/0"}
HTTPS_WORLD = {"protocol": "tcp", "from_port": 443, "to_port": 443, "source": "0.0.0.0/0"}
ALL_WORLD_V6 = {"protocol": "-1", "from_port": None, "to_port": None, "source": "::/0"}


def _firewall(world: list[dict]) -> dict:
    return {
        "name": "allow-web",
        "network": "prod",
        "source_ranges": ["0.0.0.0/0"],
        "target_tags": ["web"],
        "target_service_accounts": [],
        "world_ingress": world,
    }


def _subnet(**extra: object) -> dict:
    return {
        "name": "prod-eu",
        "network": "prod",
        "region": "europe-west1",
        "ip_cidr_range": "10.0.0.0/20",
        "purpose": "PRIVATE",
        "flow_sampling": 0.5,
        **extra,
    }


EXAMPLES: dict[str, tuple[dict, dict]] = {
    "gcp.compute.firewall.no-world-admin-ports": (
        _firewall([HTTPS_WORLD]),
        _firewall([HTTPS_WORLD, SSH_WORLD, ALL_WORLD_V6]),
    ),
    "gcp.compute.network.no-default": (
        {"name": "prod", "is_default": False, "subnet_count": 2, "auto_create_subnetworks": False},
        {
            "name": "default",
            "is_default": True,
            "subnet_count": 40,
            "auto_create_subnetworks": True,
        },
    ),
    "gcp.compute.subnetwork.flow-logs": (
        _subnet(flow_logs_enabled=True),
        _subnet(flow_logs_enabled=False, flow_sampling=None),
    ),
    "gcp.compute.project.os-login": (
        {"project": "acme-prod", "os_login_enabled": True, "os_login_2fa": True},
        {"project": "acme-prod", "os_login_enabled": False, "os_login_2fa": False},
    ),
}
