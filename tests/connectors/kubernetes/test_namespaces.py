"""Namespaces: Pod Security labels, default-deny policies, quotas and limits, through the client."""

from __future__ import annotations

import json

import pytest
from kubernetes import client

from annexa.connectors.errors import PermissionDenied
from annexa.connectors.kubernetes.errors import translate
from annexa.connectors.kubernetes.namespaces import (
    NAMESPACE,
    NamespacesConnector,
    denies_all,
    pod_security,
)
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.kube import FakeApiServer, by_id, namespace, open_session, run_unit
from tests.support.kube_estates.namespaces import seed

KIND = NAMESPACE.name


def policy(**spec: object) -> client.V1NetworkPolicy:
    return client.V1NetworkPolicy(spec=client.V1NetworkPolicySpec(**spec))  # type: ignore[arg-type]


EVERY_POD = client.V1LabelSelector()


def test_pod_security_labels_and_level() -> None:
    assert pod_security(None)["pss_enforce_level"] is None
    found = pod_security(
        {
            "pod-security.kubernetes.io/enforce": "baseline",
            "pod-security.kubernetes.io/enforce-version": "v1.30",
            "pod-security.kubernetes.io/warn": "restricted",
        }
    )
    assert found == {
        "pss_enforce": "baseline",
        "pss_enforce_version": "v1.30",
        "pss_audit": None,
        "pss_audit_version": None,
        "pss_warn": "restricted",
        "pss_warn_version": None,
        "pss_enforce_level": "baseline",
    }
    assert pod_security({"pod-security.kubernetes.io/enforce": "strict"})["pss_enforce_level"] == (
        "invalid"
    )


@pytest.mark.parametrize(
    ("spec", "ingress", "egress"),
    [
        ({"pod_selector": EVERY_POD, "policy_types": ["Ingress", "Egress"]}, True, True),
        ({"pod_selector": EVERY_POD}, True, False),  # Ingress inferred
        ({"pod_selector": EVERY_POD, "egress": [client.V1NetworkPolicyEgressRule()]}, True, False),
        ({"pod_selector": EVERY_POD, "policy_types": ["Egress"]}, False, True),
        ({"pod_selector": EVERY_POD, "egress": []}, True, False),  # Egress not inferred
        (
            {"pod_selector": EVERY_POD, "ingress": [client.V1NetworkPolicyIngressRule()]},
            False,
            False,
        ),
        (
            {
                "pod_selector": client.V1LabelSelector(match_labels={"app": "web"}),
                "policy_types": ["Ingress", "Egress"],
            },
            False,
            False,
        ),
    ],
)
def test_default_deny_follows_kubernetes_policy_type_inference(
    spec: dict[str, object], ingress: bool, egress: bool
) -> None:
    assert denies_all(policy(**spec), "Ingress") is ingress
    assert denies_all(policy(**spec), "Egress") is egress


def test_namespaces_are_observed_with_every_attribute(kube_api: FakeApiServer) -> None:
    seed(kube_api)
    observations, counter = run_unit(NamespacesConnector, kube_api)
    found = by_id(observations, KIND)
    assert sorted(found) == ["kube-system", "legacy", "payments", "team-b"]
    assert all(not o.gaps for o in observations)

    payments = found["payments"].attributes
    assert payments == {
        "name": "payments",
        "phase": "Active",
        "system": False,
        "pss_enforce": "restricted",
        "pss_enforce_version": "v1.31",
        "pss_audit": "restricted",
        "pss_audit_version": None,
        "pss_warn": "restricted",
        "pss_warn_version": None,
        "pss_enforce_level": "restricted",
        "network_policies": 2,
        "default_deny_ingress": True,
        "default_deny_egress": True,
        "limit_ranges": 1,
        "container_default_limits": True,
        "container_default_limit_resources": ["cpu", "memory"],
        "resource_quotas": 1,
    }
    legacy = found["legacy"].attributes
    assert legacy["pss_enforce"] is None and legacy["pss_enforce_level"] is None
    assert legacy["pss_audit"] == "baseline" and legacy["pss_warn"] == "restricted"
    assert legacy["network_policies"] == 1
    assert legacy["default_deny_ingress"] is False and legacy["default_deny_egress"] is False
    assert legacy["resource_quotas"] == 0 and legacy["limit_ranges"] == 0

    team_b = found["team-b"].attributes
    assert team_b["pss_enforce"] == "Baseline" and team_b["pss_enforce_level"] == "invalid"
    assert team_b["default_deny_ingress"] is True and team_b["default_deny_egress"] is False
    assert team_b["limit_ranges"] == 1 and team_b["container_default_limits"] is False

    system = found["kube-system"].attributes
    assert system["system"] is True and system["pss_enforce_level"] == "privileged"
    assert set(counter.operations) <= set(NamespacesConnector.permissions)
    assert set(found["payments"].source) == set(NamespacesConnector.permissions)


def test_denied_network_policies_become_gaps_only(kube_api: FakeApiServer) -> None:
    seed(kube_api)
    kube_api.deny("networking.k8s.io", "networkpolicies")
    observations, _ = run_unit(NamespacesConnector, kube_api)
    found = by_id(observations, KIND)
    assert len(found) == 4
    payments = found["payments"]
    assert set(payments.gaps) == {"network_policies", "default_deny_ingress", "default_deny_egress"}
    assert "PermissionDenied" in payments.gaps["default_deny_ingress"]
    for attribute in ("network_policies", "default_deny_ingress", "default_deny_egress"):
        assert attribute not in payments.attributes  # never read as "no policies"
    assert payments.attributes["resource_quotas"] == 1
    assert payments.attributes["pss_enforce_level"] == "restricted"
    assert "list networkpolicies.networking.k8s.io" not in payments.source


def test_namespaces_that_cannot_be_listed_fail_the_unit(kube_api: FakeApiServer) -> None:
    seed(kube_api)
    kube_api.deny("", "namespaces")
    with pytest.raises(Exception) as raised:
        run_unit(NamespacesConnector, kube_api)
    assert isinstance(translate(raised.value), PermissionDenied)


def test_every_listing_pages(kube_api: FakeApiServer) -> None:
    seed(kube_api)
    session = open_session(kube_api, page_size=2)
    observations, counter = run_unit(NamespacesConnector, kube_api, session=session)
    assert len(by_id(observations, KIND)) == 4
    assert by_id(observations, KIND)["team-b"].attributes["network_policies"] == 1
    assert counter.operations["list namespaces"] == 2
    assert counter.operations["list networkpolicies.networking.k8s.io"] == 2
    assert all("limit=2" in query for _, _, query in kube_api.requested("/namespaces"))


def test_no_annotation_or_label_values_beyond_pod_security(kube_api: FakeApiServer) -> None:
    seed(kube_api)
    kube_api.add(
        namespace(
            "ci",
            **{"pod-security.kubernetes.io/enforce": "baseline", "deploy-token": "tok-3f9a1c"},
        )
    )
    kube_api.objects[("", "namespaces")][-1]["metadata"]["annotations"] = {
        "vault.example.com/secret": "hunter2"
    }
    observations, _ = run_unit(NamespacesConnector, kube_api)
    text = json.dumps([o.attributes for o in observations])
    assert "tok-3f9a1c" not in text and "hunter2" not in text
    assert by_id(observations, KIND)["ci"].attributes["pss_enforce_level"] == "baseline"


def test_rules_judge_the_estate(kube_api: FakeApiServer) -> None:
    seed(kube_api)
    engine = RuleEngine(load_rules())
    observations, _ = run_unit(NamespacesConnector, kube_api)
    results = {
        (e.rule_id.rpartition(".")[2], o.resource_id): e.status
        for o in observations
        for e in engine.evaluate(o)
    }
    assert results[("pod-security-enforced", "payments")] == "pass"
    assert results[("pod-security-enforced", "legacy")] == "fail"  # unset is not enforced
    assert results[("pod-security-enforced", "team-b")] == "fail"  # "Baseline" is invalid
    assert results[("pod-security-enforced", "kube-system")] == "not_applicable"
    assert results[("default-deny-ingress", "team-b")] == "pass"
    assert results[("default-deny-egress", "team-b")] == "fail"
    assert results[("resource-quota", "payments")] == "pass"
    assert results[("default-container-limits", "team-b")] == "fail"  # max only, no default
