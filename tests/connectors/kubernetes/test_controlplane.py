"""The control plane through the real client against the fake API server, and its transforms."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from annexa.connectors.base import Unreadable
from annexa.connectors.kubernetes.controlplane import (
    ControlPlaneConnector,
    combine,
    detect_distribution,
    kms_checks,
    parse_flags,
    settings,
    version_parts,
)
from annexa.connectors.records import Observation
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.kube import FakeApiServer, by_id, open_session, run_unit
from tests.support.kube_estates.controlplane import apiserver_pod, node, seed, seed_eks

KIND = "kubernetes.controlplane.cluster"
RULES = RuleEngine([r for r in load_rules() if r.kind == KIND])


def cluster(server: FakeApiServer, **options: Any) -> Observation:
    session = open_session(server, **options) if options else None
    observations, counter = run_unit(ControlPlaneConnector, server, session)
    assert set(counter.operations) <= set(ControlPlaneConnector.permissions)
    return by_id(observations, KIND)["cluster"]


def verdicts(observation: Observation) -> dict[str, str]:
    return {e.rule_id.rpartition(".")[2]: e.status for e in RULES.evaluate(observation)}


def test_both_flag_forms_and_list_flags_accumulate() -> None:
    flags = parse_flags(
        [
            "kube-apiserver",
            "--audit-log-path=/var/log/a.log",
            "--audit-policy-file",
            "/etc/policy.yaml",
            "--profiling",  # a bare boolean is true and takes no value
            "--authorization-mode",
            "Node",
            "--authorization-mode=RBAC,Webhook",
            "--anonymous-auth",
            "--secure-port",
            "6443",
        ]
    )
    assert flags == {
        "audit-log-path": "/var/log/a.log",
        "audit-policy-file": "/etc/policy.yaml",
        "profiling": "true",
        "authorization-mode": ["Node", "RBAC", "Webhook"],
        "anonymous-auth": "true",
        "secure-port": "6443",
    }


def test_unset_flags_take_the_api_servers_defaults() -> None:
    found = settings(parse_flags(["kube-apiserver", "--audit-log-maxage=x"]))
    assert found["anonymous_auth"] is True and found["profiling"] is True
    assert found["authorization_modes"] == ["AlwaysAllow"]
    assert found["defaults_applied"] == ["anonymous_auth", "authorization_modes", "profiling"]
    assert found["audit_log_maxage"] is None and found["audit_policy_file"] is None
    assert found["admission_plugins"] == [] and found["tls_min_version"] is None


def test_settings_in_config_files_are_unreadable_not_defaulted() -> None:
    found = settings(
        parse_flags(
            [
                "--authorization-config=/etc/kubernetes/authz.yaml",
                "--authentication-config=/etc/kubernetes/authn.yaml",
                "--profiling=False",
            ]
        )
    )
    assert isinstance(found["authorization_modes"], Unreadable)
    assert (
        "--authorization-config=/etc/kubernetes/authz.yaml" in found["authorization_modes"].reason
    )
    assert isinstance(found["anonymous_auth"], Unreadable)
    assert found["profiling"] is False and found["defaults_applied"] == []


def test_disagreeing_api_servers_give_the_least_secure_value() -> None:
    good = settings(
        parse_flags(
            [
                "--anonymous-auth=false",
                "--authorization-mode=Node,RBAC",
                "--audit-log-maxage=30",
                "--tls-min-version=VersionTLS13",
                "--enable-admission-plugins=NodeRestriction,PodSecurity",
                "--encryption-provider-config=/etc/enc.yaml",
            ]
        )
    )
    bad = settings(
        parse_flags(
            [
                "--authorization-mode=RBAC,AlwaysAllow",
                "--audit-log-maxage=7",
                "--enable-admission-plugins=PodSecurity",
                "--disable-admission-plugins=ServiceAccount",
            ]
        )
    )
    combined = combine({"kube-system/b": bad, "kube-system/a": good})
    assert combined["anonymous_auth"] is True
    assert combined["authorization_modes"] == ["RBAC", "AlwaysAllow"]
    assert combined["audit_log_maxage"] == 7
    assert combined["tls_min_version"] is None  # unset on b: Go's default is the weaker one
    assert combined["admission_plugins"] == ["PodSecurity"]
    assert combined["admission_plugins_disabled"] == ["ServiceAccount"]
    assert combined["encryption_provider_config"] is None
    assert combined["defaults_applied"] == ["anonymous_auth", "profiling"]
    conflicts = combined["flag_conflicts"]
    assert conflicts["anonymous_auth"] == {"kube-system/a": False, "kube-system/b": True}
    assert conflicts["audit_log_maxage"] == {"kube-system/a": 30, "kube-system/b": 7}
    assert "profiling" not in conflicts and "audit_policy_file" not in conflicts


def test_kms_health_checks_of_both_kms_versions() -> None:
    text = (
        "[+]ping ok\n[+]kms-provider-0 ok\n[-]kms-provider-1 failed: reason withheld\n"
        "[+]kms-providers ok\n[+]etcd ok\nhealthz check failed\n"
    )
    assert kms_checks(text) == [
        {"check": "kms-provider-0", "status": "ok"},
        {"check": "kms-provider-1", "status": "failed: reason withheld"},
        {"check": "kms-providers", "status": "ok"},
    ]
    assert kms_checks("[+]ping ok\nhealthz check passed\n") == []


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ({"gitVersion": "v1.30.4-eks-a737599", "major": "1", "minor": "30+"}, (1, 30)),
        ({"gitVersion": "", "major": "1", "minor": "29+"}, (1, 29)),
        ({"gitVersion": "weird"}, (None, None)),
    ],
)
def test_version_parts_are_integers(version: dict[str, str], expected: tuple) -> None:
    parts = version_parts(version)
    assert (parts["version_major"], parts["version_minor"]) == expected


def _pod(annotations: dict[str, str] | None = None) -> Any:
    return SimpleNamespace(metadata=SimpleNamespace(annotations=annotations))


@pytest.mark.parametrize(
    ("git_version", "hints", "apiserver", "expected"),
    [
        ("v1.29.1-gke.1589000", set(), [], "gke"),
        (
            "v1.29.2",
            {"node label kubernetes.azure.com/cluster", "node providerID azure://"},
            [],
            "aks",
        ),
        ("v1.30.2+k3s1", set(), [], "k3s"),
        ("v1.30.2+rke2r1", set(), [_pod()], "rke2"),
        ("v1.28.9+2f2b3ab", {"node label node.openshift.io/os_id"}, [], "openshift"),
        ("v1.31.0", {"node annotation k3s.io/*"}, [], "k3s"),
        ("v1.31.0", set(), [_pod()], "self-managed"),
        ("v1.31.0", {"node providerID gce://"}, [], "gke"),
        ("v1.31.0", set(), [], "unknown"),
    ],
)
def test_distribution_detection(
    git_version: str, hints: set, apiserver: list, expected: str
) -> None:
    assert detect_distribution(git_version, hints, apiserver)[0] == expected


def test_kubeadm_api_server_flags(kube_api: FakeApiServer) -> None:
    seed(kube_api)
    obs = cluster(kube_api)
    a = obs.attributes
    assert not obs.gaps
    assert (a["git_version"], a["version_major"], a["version_minor"]) == ("v1.31.4", 1, 31)
    assert a["distribution"] == "kubeadm" and a["cloud_evidence"] is None
    assert a["distribution_evidence"] == ["kube-apiserver static pod (kubeadm)"]
    assert a["node_evidence"] == []
    assert a["apiserver_visible"] is True
    assert a["apiserver_pods"] == [
        "kube-system/kube-apiserver-cp1",
        "kube-system/kube-apiserver-cp2",
    ]
    # cp1 uses --flag=value, cp2 --flag value: both parse to the same paths
    assert a["audit_policy_file"] == "/etc/kubernetes/audit/policy.yaml"
    assert a["audit_log_path"] == "/var/log/kubernetes/audit.log"
    assert a["audit_webhook_config"] is None
    assert a["encryption_provider_config"] == "/etc/kubernetes/enc/encryption.yaml"
    assert a["kubelet_certificate_authority"] == "/etc/kubernetes/pki/ca.crt"
    assert a["anonymous_auth"] is False
    assert a["authorization_modes"] == ["Node", "RBAC"]
    # the least secure of the two pods, and each pod's value where they differ
    assert a["audit_log_maxage"] == 7
    assert a["profiling"] is True and a["defaults_applied"] == ["profiling"]
    assert a["tls_min_version"] == "VersionTLS12"
    assert a["admission_plugins"] == ["NodeRestriction"]
    assert a["flag_conflicts"]["profiling"] == {
        "kube-system/kube-apiserver-cp1": False,
        "kube-system/kube-apiserver-cp2": True,
    }
    assert sorted(a["flag_conflicts"]) == [
        "admission_plugins",
        "audit_log_maxage",
        "profiling",
        "tls_min_version",
    ]
    assert a["kms_providers"] == [{"check": "kms-providers", "status": "ok"}]
    assert a["secrets_encryption"] is True
    assert a["secrets_encryption_evidence"] == (
        "--encryption-provider-config=/etc/kubernetes/enc/encryption.yaml; KMS: kms-providers ok"
    )
    assert verdicts(obs) == {
        "audit-logging": "pass",
        "audit-log-retention": "fail",
        "secrets-encryption": "pass",
        "anonymous-auth-disabled": "pass",
        "rbac-authorization": "pass",
        "supported-version": "pass",
        "profiling-disabled": "fail",
    }


def test_an_api_server_with_no_flags_fails_on_its_defaults(kube_api: FakeApiServer) -> None:
    kube_api.add(apiserver_pod("kube-apiserver-bare", ["kube-apiserver", "--etcd-servers=x"]))
    obs = cluster(kube_api)
    assert obs.attributes["distribution"] == "kubeadm"
    assert obs.attributes["secrets_encryption"] is False
    assert obs.attributes["secrets_encryption_evidence"] == "no encryption provider config"
    assert obs.attributes["kms_providers"] == []
    assert verdicts(obs) == {
        "audit-logging": "fail",
        "audit-log-retention": "not_applicable",
        "secrets-encryption": "fail",
        "anonymous-auth-disabled": "fail",
        "rbac-authorization": "fail",
        "supported-version": "pass",
        "profiling-disabled": "fail",
    }


def test_structured_authorization_config_is_a_gap(kube_api: FakeApiServer) -> None:
    kube_api.add(
        apiserver_pod(
            "kube-apiserver-cp1",
            ["kube-apiserver", "--authorization-config", "/etc/kubernetes/authz.yaml"],
        )
    )
    obs = cluster(kube_api)
    assert "authorization_modes" not in obs.attributes
    assert obs.gaps["authorization_modes"].startswith(
        "set in --authorization-config=/etc/kubernetes/authz.yaml"
    )
    assert obs.attributes["authorization_config"] == "/etc/kubernetes/authz.yaml"
    assert verdicts(obs)["rbac-authorization"] == "error"


def test_eks_control_plane_is_invisible_and_points_to_cloud_evidence(
    kube_api: FakeApiServer,
) -> None:
    seed_eks(kube_api)
    obs = cluster(kube_api)
    a = obs.attributes
    assert (a["git_version"], a["version_major"], a["version_minor"]) == (
        "v1.30.4-eks-a737599",
        1,
        30,
    )
    assert a["distribution"] == "eks"
    assert a["distribution_evidence"] == [
        "gitVersion v1.30.4-eks-a737599 (-eks-)",
        "node label eks.amazonaws.com/nodegroup",
        "node providerID aws://",
    ]
    assert a["apiserver_visible"] is False and a["apiserver_pods"] == []
    assert a["cloud_evidence"].startswith(
        "aws.eks.cluster (control-plane logging, secrets encryption)"
    )
    reason = obs.gaps["audit_log_path"]
    assert reason.startswith(
        "not observable through the API: the control plane of eks is managed outside the cluster"
    )
    assert "aws.eks.cluster" in reason
    for flag in (
        "audit_policy_file",
        "anonymous_auth",
        "authorization_modes",
        "profiling",
        "flag_conflicts",
    ):
        assert obs.gaps[flag] == reason and flag not in a
    assert obs.gaps["secrets_encryption"] == f"{reason}; /healthz shows no KMS provider"
    assert verdicts(obs) == {
        "audit-logging": "error",
        "audit-log-retention": "error",
        "secrets-encryption": "error",
        "anonymous-auth-disabled": "error",
        "rbac-authorization": "error",
        "supported-version": "fail",
        "profiling-disabled": "error",
    }


def test_kms_on_healthz_evidences_encryption_of_a_managed_control_plane(
    kube_api: FakeApiServer,
) -> None:
    seed_eks(kube_api)
    kube_api.healthz = "[+]ping ok\n[+]kms-provider-0 ok\nhealthz check passed\n"
    obs = cluster(kube_api)
    assert obs.attributes["secrets_encryption"] is True
    assert obs.attributes["secrets_encryption_evidence"] == (
        "KMS provider checks on /healthz: kms-provider-0 ok"
    )
    assert verdicts(obs)["secrets-encryption"] == "pass"


def test_forbidden_nodes_only_weaken_detection(kube_api: FakeApiServer) -> None:
    seed_eks(kube_api)
    kube_api.deny("", "nodes")
    obs = cluster(kube_api)
    assert obs.gaps["node_evidence"].startswith("PermissionDenied [403]")
    assert obs.attributes["distribution"] == "eks"  # still known from the version string
    assert obs.attributes["distribution_evidence"] == ["gitVersion v1.30.4-eks-a737599 (-eks-)"]
    assert obs.attributes["apiserver_visible"] is False


def test_forbidden_healthz_is_a_gap_of_the_kms_providers(kube_api: FakeApiServer) -> None:
    seed(kube_api)
    kube_api.raw["/healthz"] = (403, "forbidden: User cannot get path /healthz")
    obs = cluster(kube_api)
    assert obs.gaps["kms_providers"].startswith("PermissionDenied [403]")
    assert obs.attributes["secrets_encryption"] is True  # the flags suffice on a visible server
    assert set(obs.gaps) == {"kms_providers"}

    with FakeApiServer().running() as managed:
        seed_eks(managed)
        managed.raw["/healthz"] = (403, "forbidden")
        eks = cluster(managed)
    assert "/healthz: PermissionDenied [403]" in eks.gaps["secrets_encryption"]


def test_forbidden_kube_system_pods_leave_the_flags_unread(kube_api: FakeApiServer) -> None:
    seed(kube_api)
    kube_api.deny("", "pods")
    obs = cluster(kube_api)
    assert obs.gaps["apiserver_visible"].startswith("PermissionDenied [403]")
    assert obs.gaps["profiling"] == obs.gaps["apiserver_visible"]
    assert "secrets_encryption" not in obs.gaps  # /healthz still shows the KMS provider
    assert obs.attributes["secrets_encryption"] is True
    assert obs.attributes["distribution"] == "unknown"
    assert verdicts(obs) == {
        "audit-logging": "error",
        "audit-log-retention": "error",
        "secrets-encryption": "pass",
        "anonymous-auth-disabled": "error",
        "rbac-authorization": "error",
        "supported-version": "pass",
        "profiling-disabled": "error",
    }


def test_listings_page(kube_api: FakeApiServer) -> None:
    seed(kube_api)
    kube_api.add(
        apiserver_pod("kube-apiserver-cp3", ["kube-apiserver", "--profiling=false"]),
        *(node(f"worker-{i}", {"kubernetes.io/os": "linux"}) for i in range(2, 5)),
        node("worker-9", {}, "gce://acme-prod/europe-west1-b/worker-9"),
    )
    obs = cluster(kube_api, page_size=2)
    assert len(obs.attributes["apiserver_pods"]) == 3
    assert obs.attributes["node_evidence"] == ["node providerID gce://"]  # on the last page
    assert obs.attributes["distribution"] == "kubeadm"  # a static pod outranks a provider ID
    pages = kube_api.requested("/api/v1/nodes")
    assert len(pages) == 3 and all("limit=2" in q for _, _, q in pages)
    listed = kube_api.requested("/api/v1/namespaces/kube-system/pods")
    assert len(listed) == 2
    assert all("labelSelector=component%3Dkube-apiserver" in q for _, _, q in listed)
