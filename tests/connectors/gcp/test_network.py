"""Compute networking through google-cloud-compute (REST) against the fake Google server."""

from __future__ import annotations

import pytest

from annexa.connectors.gcp.network import NetworkConnector
from tests.support.gcp import FakeGoogle, run_unit

COMPUTE = "/compute/v1/projects/acme-prod"
SELF = "https://www.googleapis.com/compute/v1/projects/acme-prod"
BASE = "//compute.googleapis.com/projects/acme-prod"


def firewall(name: str, allowed: list[dict], **extra: object) -> dict:
    return {
        "kind": "compute#firewall",
        "id": str(abs(hash(name)) % 10**12),
        "name": name,
        "network": f"{SELF}/global/networks/prod",
        "priority": 1000,
        "direction": "INGRESS",
        "sourceRanges": ["10.0.0.0/8"],
        "allowed": allowed,
        "disabled": False,
        "logConfig": {"enable": False},
        "selfLink": f"{SELF}/global/firewalls/{name}",
        **extra,
    }


FIREWALLS = [
    firewall(
        "allow-ssh-rdp-world",
        [{"IPProtocol": "tcp", "ports": ["22", "3389"]}, {"IPProtocol": "icmp"}],
        sourceRanges=["0.0.0.0/0"],
        targetTags=["bastion"],
        logConfig={"enable": True},
    ),
    firewall(
        "allow-all-v6",
        [{"IPProtocol": "all"}],
        sourceRanges=["::/0"],
        targetServiceAccounts=["web@acme-prod.iam.gserviceaccount.com"],
    ),
    firewall("allow-internal", [{"IPProtocol": "tcp", "ports": ["0-65535"]}]),
    firewall(
        "disabled-world-ssh",
        [{"IPProtocol": "tcp", "ports": ["22"]}],
        sourceRanges=["0.0.0.0/0"],
        disabled=True,
    ),
    firewall(
        "deny-egress",
        [],
        direction="EGRESS",
        sourceRanges=[],
        destinationRanges=["0.0.0.0/0"],
        denied=[{"IPProtocol": "udp", "ports": ["5000-6000"]}],
    ),
]

NETWORKS = [
    {
        "name": "default",
        "autoCreateSubnetworks": True,
        "subnetworks": [f"{SELF}/regions/us-central1/subnetworks/default"],
        "routingConfig": {"routingMode": "REGIONAL"},
        "selfLink": f"{SELF}/global/networks/default",
    },
    {
        "name": "prod",
        "autoCreateSubnetworks": False,
        "subnetworks": [
            f"{SELF}/regions/europe-west1/subnetworks/prod-eu",
            f"{SELF}/regions/europe-west1/subnetworks/proxy-eu",
        ],
        "routingConfig": {"routingMode": "GLOBAL"},
        "selfLink": f"{SELF}/global/networks/prod",
    },
]


def subnet(name: str, region: str, network: str, **extra: object) -> dict:
    return {
        "name": name,
        "network": f"{SELF}/global/networks/{network}",
        "region": f"{SELF}/regions/{region}",
        "ipCidrRange": "10.0.0.0/20",
        "privateIpGoogleAccess": False,
        "selfLink": f"{SELF}/regions/{region}/subnetworks/{name}",
        **extra,
    }


# The aggregated list as Compute returns it: a map of scopes, empty ones carrying a warning.
SUBNETWORKS = {
    "kind": "compute#subnetworkAggregatedList",
    "items": {
        "regions/europe-west1": {
            "subnetworks": [
                subnet(
                    "prod-eu",
                    "europe-west1",
                    "prod",
                    purpose="PRIVATE",
                    privateIpGoogleAccess=True,
                    logConfig={"enable": True, "flowSampling": 0.5},
                ),
                subnet("proxy-eu", "europe-west1", "prod", purpose="REGIONAL_MANAGED_PROXY"),
            ]
        },
        "regions/us-central1": {
            "subnetworks": [subnet("default", "us-central1", "default", enableFlowLogs=False)]
        },
        "regions/asia-east1": {
            "warning": {
                "code": "NO_RESULTS_ON_PAGE",
                "message": "There are no results for scope 'regions/asia-east1' on this page.",
            }
        },
    },
    "unreachables": ["regions/me-central2"],
}

PROJECT = {
    "name": "acme-prod",
    "id": "1234567890",
    "commonInstanceMetadata": {
        "kind": "compute#metadata",
        "fingerprint": "abc=",
        "items": [
            {"key": "enable-oslogin", "value": "TRUE"},
            {"key": "ssh-keys", "value": "alice:ssh-ed25519 AAAA alice"},
        ],
    },
}

OPERATIONS = {
    "GET compute/v1/projects/*/global/firewalls": 3,  # five rules, pages of two
    "GET compute/v1/projects/*/global/networks": 1,
    "GET compute/v1/projects/*/aggregated/subnetworks": 1,
    "GET compute/v1/projects/*": 1,
}


@pytest.fixture
def google():
    server = FakeGoogle()
    server.get(f"{COMPUTE}/global/firewalls", ("items", FIREWALLS))
    server.get(f"{COMPUTE}/global/networks", ("items", NETWORKS))
    server.get(f"{COMPUTE}/aggregated/subnetworks", SUBNETWORKS)
    server.get(COMPUTE, PROJECT)
    with server.running():
        yield server


def by_kind(observations, kind: str) -> dict[str, dict]:
    return {o.resource_id: o.attributes for o in observations if o.kind == kind}


def test_firewalls_ranges_and_world_exposure(google: FakeGoogle) -> None:
    observations, counter = run_unit(NetworkConnector, google)
    rules = by_kind(observations, "gcp.compute.firewall")
    assert len(rules) == 5  # every page read
    world = rules[f"{BASE}/global/firewalls/allow-ssh-rdp-world"]
    assert world["world_open"] is True and world["logging_enabled"] is True
    assert world["target_tags"] == ["bastion"] and world["network"] == "prod"
    assert world["allowed"] == [
        {"protocol": "tcp", "from_port": 22, "to_port": 22},
        {"protocol": "tcp", "from_port": 3389, "to_port": 3389},
        {"protocol": "icmp", "from_port": None, "to_port": None},
    ]
    assert world["world_ingress"][0] == {
        "protocol": "tcp",
        "from_port": 22,
        "to_port": 22,
        "source": "0.0.0.0/0",
    }
    everything = rules[f"{BASE}/global/firewalls/allow-all-v6"]
    assert everything["world_ingress"] == [
        {"protocol": "-1", "from_port": None, "to_port": None, "source": "::/0"}
    ]
    assert everything["target_service_accounts"] == ["web@acme-prod.iam.gserviceaccount.com"]
    internal = rules[f"{BASE}/global/firewalls/allow-internal"]
    assert internal["world_open"] is False and internal["world_ingress"] == []
    assert internal["allowed"] == [{"protocol": "tcp", "from_port": 0, "to_port": 65535}]
    disabled = rules[f"{BASE}/global/firewalls/disabled-world-ssh"]
    assert disabled["disabled"] is True and disabled["world_open"] is False
    egress = rules[f"{BASE}/global/firewalls/deny-egress"]
    assert egress["direction"] == "EGRESS" and egress["destination_ranges"] == ["0.0.0.0/0"]
    assert egress["denied"] == [{"protocol": "udp", "from_port": 5000, "to_port": 6000}]
    assert counter.operations == OPERATIONS


def test_networks_subnetworks_and_os_login(google: FakeGoogle) -> None:
    notes: list[str] = []
    observations, _ = run_unit(NetworkConnector, google, notes=notes)
    networks = by_kind(observations, "gcp.compute.network")
    default = networks[f"{BASE}/global/networks/default"]
    assert default["is_default"] and default["auto_create_subnetworks"] is True
    prod = networks[f"{BASE}/global/networks/prod"]
    assert prod == {
        "name": "prod",
        "is_default": False,
        "auto_create_subnetworks": False,
        "legacy": False,
        "subnet_count": 2,
        "routing_mode": "GLOBAL",
    }
    subnets = by_kind(observations, "gcp.compute.subnetwork")
    assert set(subnets) == {
        f"{BASE}/regions/europe-west1/subnetworks/prod-eu",
        f"{BASE}/regions/europe-west1/subnetworks/proxy-eu",
        f"{BASE}/regions/us-central1/subnetworks/default",
    }
    logged = subnets[f"{BASE}/regions/europe-west1/subnetworks/prod-eu"]
    assert logged["flow_logs_enabled"] is True and logged["flow_sampling"] == 0.5
    assert logged["private_google_access"] is True and logged["region"] == "europe-west1"
    unlogged = subnets[f"{BASE}/regions/us-central1/subnetworks/default"]
    assert unlogged["flow_logs_enabled"] is False and unlogged["purpose"] == "PRIVATE"
    proxy = subnets[f"{BASE}/regions/europe-west1/subnetworks/proxy-eu"]
    assert proxy["purpose"] == "REGIONAL_MANAGED_PROXY"
    [project] = by_kind(observations, "gcp.compute.project").values()
    assert project == {"project": "acme-prod", "os_login_enabled": True, "os_login_2fa": False}
    assert "ssh-keys" not in str(project)
    # An empty region's warning is routine; an unreachable region is an incomplete listing.
    assert notes == ["compute subnetworks in regions/me-central2 not listed: unreachable"]


def test_denied_subnetworks_leave_the_rest(google: FakeGoogle) -> None:
    google.deny(r"/aggregated/subnetworks")
    notes: list[str] = []
    observations, counter = run_unit(NetworkConnector, google, notes=notes)
    kinds = {o.kind for o in observations}
    assert kinds == {"gcp.compute.firewall", "gcp.compute.network", "gcp.compute.project"}
    assert len(notes) == 1
    assert notes[0].startswith("compute subnetworks not listed: PermissionDenied [403]")
    assert counter.operations == OPERATIONS


def test_denied_project_is_a_gap(google: FakeGoogle) -> None:
    google.deny(r"^/compute/v1/projects/acme-prod$")
    notes: list[str] = []
    observations, _ = run_unit(NetworkConnector, google, notes=notes)
    [project] = [o for o in observations if o.kind == "gcp.compute.project"]
    assert "PermissionDenied" in project.gaps["os_login_enabled"]
    assert "os_login_enabled" not in project.attributes
    assert notes[-1].startswith("compute project not listed: PermissionDenied")
