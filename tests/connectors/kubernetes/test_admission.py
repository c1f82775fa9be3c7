"""Admission control: webhooks, ValidatingAdmissionPolicies, Kyverno, Gatekeeper and the summary."""

from __future__ import annotations

import json
from fnmatch import fnmatch

import pytest
from kubernetes import client

from annexa.connectors.errors import PermissionDenied
from annexa.connectors.kubernetes.admission import (
    AdmissionConnector,
    enforcement_webhook,
    policy_engine,
    selector_matches,
    transform_webhook,
)
from annexa.connectors.kubernetes.errors import translate
from annexa.connectors.kubernetes.policy_engines import transform_constraint, transform_kyverno
from annexa.connectors.records import Observation
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.kube import FakeApiServer, by_id, open_session, run_unit
from tests.support.kube_estates import admission, namespaces

WEBHOOK = "kubernetes.admission.webhook"
POLICY = "kubernetes.admission.policy"
ENGINE = "kubernetes.admission.engine_policy"
SUMMARY = "kubernetes.admission.summary"
GATEKEEPER = "ValidatingWebhookConfiguration/gatekeeper-validating-webhook-configuration/"
KYVERNO = "ValidatingWebhookConfiguration/kyverno-resource-validating-webhook-cfg/"
IMAGES = "ValidatingWebhookConfiguration/image-policy/images.policy.example.com"
ISTIO = "MutatingWebhookConfiguration/istio-sidecar-injector/namespace.sidecar-injector.istio.io"


@pytest.fixture
def estate(kube_api: FakeApiServer) -> FakeApiServer:
    namespaces.seed(kube_api)  # kube-system carries Gatekeeper's ignore label
    admission.seed(kube_api)
    return kube_api


def collect(server: FakeApiServer, **options: object) -> list[Observation]:
    session = open_session(server, **options) if options else None
    observations, counter = run_unit(AdmissionConnector, server, session=session)
    declared = AdmissionConnector.permissions
    assert all(any(fnmatch(op, p) for p in declared) for op in counter.operations)
    return observations


def selector(**fields: object) -> client.V1LabelSelector:
    return client.V1LabelSelector(**fields)  # type: ignore[arg-type]


def expression(key: str, operator: str, *values: str) -> client.V1LabelSelectorRequirement:
    return client.V1LabelSelectorRequirement(key=key, operator=operator, values=list(values))


def test_label_selectors_are_evaluated_like_the_api_server() -> None:
    labels = {"kubernetes.io/metadata.name": "kube-system", "tier": "control"}
    assert selector_matches(None, labels) and selector_matches(selector(), labels)
    assert selector_matches(selector(match_labels={"tier": "control"}), labels)
    assert not selector_matches(selector(match_labels={"tier": "web"}), labels)
    cases = {
        ("tier", "In", "control"): True,
        ("tier", "NotIn", "control"): False,
        ("absent", "NotIn", "x"): True,
        ("tier", "Exists"): True,
        ("admission.gatekeeper.sh/ignore", "DoesNotExist"): True,
        ("tier", "DoesNotExist"): False,
    }
    for (key, operator, *values), matched in cases.items():
        found = selector_matches(
            selector(match_expressions=[expression(key, operator, *values)]), labels
        )
        assert found is matched, (key, operator)


def test_engine_webhooks_that_must_fail_closed() -> None:
    gatekeeper = client.AdmissionregistrationV1ServiceReference(
        namespace="gatekeeper-system", name="gatekeeper-webhook-service"
    )
    assert policy_engine("validation.gatekeeper.sh", gatekeeper) == "gatekeeper"
    assert policy_engine("validate.kyverno.svc-fail", None) == "kyverno"
    assert policy_engine("webhook.cert-manager.io", None) is None
    assert enforcement_webhook("gatekeeper", "validation.gatekeeper.sh", "validating")
    assert enforcement_webhook("kyverno", "validate.kyverno.svc", "validating")  # older Kyverno
    assert enforcement_webhook("kyverno", "validate.kyverno.svc-fail-finegrained-x", "validating")
    assert not enforcement_webhook("kyverno", "validate.kyverno.svc-ignore", "validating")
    assert not enforcement_webhook("gatekeeper", "mutation.gatekeeper.sh", "mutating")
    assert not enforcement_webhook(None, "images.policy.example.com", "validating")


def test_url_targets_keep_the_host_only() -> None:
    hook = client.V1ValidatingWebhook(
        name="x.example.com",
        admission_review_versions=["v1"],
        side_effects="None",
        client_config=client.AdmissionregistrationV1WebhookClientConfig(
            url="https://user:pw@hooks.example.com:8443/path?token=abc"
        ),
    )
    found = transform_webhook(hook, "validating")
    assert (found["target_type"], found["target"]) == ("url", "hooks.example.com")
    assert (found["failure_policy"], found["timeout_seconds"]) == ("Fail", 10)  # v1 defaults


def test_kyverno_rule_actions_override_the_policy_action() -> None:
    policy = {
        "metadata": {"name": "p"},
        "spec": {
            "validationFailureAction": "Audit",
            "rules": [
                {"name": "a", "validate": {"failureAction": "Enforce"}},
                {"name": "b", "validate": {}},
                {"name": "c", "verifyImages": [{"failureAction": "Audit"}]},
                {"name": "m", "mutate": {}},
            ],
        },
    }
    found = transform_kyverno(policy, "ClusterPolicy")
    assert found["rule_actions"] == {"a": "Enforce", "b": "Audit", "c": "Audit"}
    assert found["enforcing"] is True and found["validates"] is True
    assert found["rules"] == ["a", "b", "c", "m"]
    unset = transform_kyverno(
        {"metadata": {"name": "q"}, "spec": {"rules": [{"name": "v", "validate": {}}]}},
        "ClusterPolicy",
    )
    assert unset["action"] == "Audit" and unset["enforcing"] is False  # Kyverno's default


def test_gatekeeper_actions() -> None:
    def action(**spec: object) -> bool:
        found = transform_constraint({"metadata": {"name": "c"}, "spec": spec}, "K8sX")
        return bool(found["enforcing"])

    assert action()  # deny when unset
    assert action(enforcementAction="Deny")
    assert not action(enforcementAction="dryrun") and not action(enforcementAction="warn")
    assert not action(enforcementAction="scoped", scopedEnforcementActions=[{"action": "warn"}])
    assert action(enforcementAction="scoped", scopedEnforcementActions=[{"action": "deny"}])


def test_webhooks(estate: FakeApiServer) -> None:
    found = by_id(collect(estate), WEBHOOK)
    assert len(found) == 6
    validation = found[GATEKEEPER + "validation.gatekeeper.sh"].attributes
    assert validation == {
        "configuration": "gatekeeper-validating-webhook-configuration",
        "name": "validation.gatekeeper.sh",
        "type": "validating",
        "policy_engine": "gatekeeper",
        "enforcement_webhook": True,
        "failure_policy": "Ignore",
        "fail_open": True,
        "side_effects": "None",
        "timeout_seconds": 3,
        "target_type": "service",
        "target": "gatekeeper-system/gatekeeper-webhook-service",
        "rules": 1,
        "match_conditions": 0,
        "matches_all_namespaces": False,
        "excludes_kube_system": True,  # kube-system carries admission.gatekeeper.sh/ignore
    }
    ignore_label = found[GATEKEEPER + "check-ignore-label.gatekeeper.sh"].attributes
    assert ignore_label["failure_policy"] == "Fail" and ignore_label["matches_all_namespaces"]
    assert ignore_label["excludes_kube_system"] is False
    fail = found[KYVERNO + "validate.kyverno.svc-fail"].attributes
    assert fail["enforcement_webhook"] and fail["failure_policy"] == "Fail"
    assert fail["excludes_kube_system"] is False  # NotIn [kyverno] still matches kube-system
    ignore = found[KYVERNO + "validate.kyverno.svc-ignore"].attributes
    assert not ignore["enforcement_webhook"] and ignore["fail_open"]
    images = found[IMAGES].attributes
    assert images["policy_engine"] is None and images["target"] == "policy.example.com"
    assert images["failure_policy"] == "Fail" and images["timeout_seconds"] == 10
    assert images["matches_all_namespaces"] is False  # an objectSelector narrows it
    assert images["match_conditions"] == 1
    istio = found[ISTIO].attributes
    assert istio["type"] == "mutating" and istio["excludes_kube_system"] is True
    assert len(estate.requested("/api/v1/namespaces/kube-system")) == 1  # read once


def test_validating_admission_policies(estate: FakeApiServer) -> None:
    found = by_id(collect(estate), POLICY)
    assert found["require-owner-label"].attributes == {
        "name": "require-owner-label",
        "failure_policy": "Fail",
        "validations": 1,
        "param_kind": None,
        "bindings": 1,
        "bound": True,
        "binding_actions": ["Deny"],
        "enforcing": True,
    }
    audit = found["no-host-path"].attributes
    assert audit["binding_actions"] == ["Audit", "Warn"] and audit["enforcing"] is False
    assert audit["failure_policy"] == "Ignore" and audit["param_kind"] == "ConfigMap"
    unbound = found["unbound-policy"].attributes
    assert unbound["bound"] is False and unbound["bindings"] == 0
    assert unbound["binding_actions"] == [] and unbound["failure_policy"] == "Fail"


def test_engine_policies_with_the_crds_installed(estate: FakeApiServer) -> None:
    found = by_id(collect(estate), ENGINE)
    assert sorted(found) == [
        "ClusterPolicy/add-default-labels",
        "ClusterPolicy/audit-probes",
        "ClusterPolicy/disallow-latest",
        "ClusterPolicy/require-labels",
        "K8sAllowedRepos/repos-dryrun",
        "K8sAllowedRepos/repos-scoped",
        "K8sRequiredLabels/ns-must-have-owner",
        "team-a/Policy/restrict-ports",
    ]
    enforcing = {rid for rid, o in found.items() if o.attributes["enforcing"]}
    assert enforcing == {
        "ClusterPolicy/require-labels",
        "ClusterPolicy/disallow-latest",  # its rule's failureAction Enforce wins
        "team-a/Policy/restrict-ports",  # "enforce", case-insensitive
        "K8sRequiredLabels/ns-must-have-owner",  # deny by default
        "K8sAllowedRepos/repos-scoped",
    }
    require = found["ClusterPolicy/require-labels"].attributes
    assert require["engine"] == "kyverno" and require["match_kinds"] == ["Deployment", "Pod"]
    assert require["rules"] == ["check-team"] and require["failure_policy"] == "Fail"
    assert found["ClusterPolicy/audit-probes"].attributes["failure_policy"] == "Ignore"
    assert found["ClusterPolicy/add-default-labels"].attributes["validates"] is False
    owner = found["K8sRequiredLabels/ns-must-have-owner"].attributes
    assert owner["engine"] == "gatekeeper" and owner["action"] == "deny"
    assert owner["violations"] == 3 and owner["match_kinds"] == ["Namespace"]
    assert found["team-a/Policy/restrict-ports"].attributes["namespace"] == "team-a"


def test_gatekeeper_constraints_are_found_through_templates(estate: FakeApiServer) -> None:
    collect(estate)
    listed = {path for _, path, _ in estate.requested("/apis/constraints.gatekeeper.sh/")}
    assert listed == {
        "/apis/constraints.gatekeeper.sh/v1beta1/k8srequiredlabels",
        "/apis/constraints.gatekeeper.sh/v1beta1/k8sallowedrepos",
        "/apis/constraints.gatekeeper.sh/v1beta1/k8spending",  # 404: CRD not created yet
    }


def test_summary(estate: FakeApiServer) -> None:
    summary = by_id(collect(estate), SUMMARY)["cluster"]
    assert not summary.gaps
    assert summary.attributes["engines_installed"] == ["gatekeeper", "kyverno"]
    # VAP require-owner-label + 3 Kyverno + 2 Gatekeeper
    assert summary.attributes["enforcing_policies"] == 6
    # VAP no-host-path + Kyverno audit-probes + Gatekeeper repos-dryrun
    assert summary.attributes["audit_only_policies"] == 3
    assert summary.attributes["fail_open_webhooks"] == 2
    assert summary.attributes["source_gatekeeper_constraints"] == "read"


def test_cluster_without_policy_engines(kube_api: FakeApiServer) -> None:
    admission.seed_builtin(kube_api)
    observations = collect(kube_api)
    assert not by_id(observations, ENGINE)
    assert all(not o.gaps for o in observations)  # not installed is not a failure
    summary = by_id(observations, SUMMARY)["cluster"].attributes
    assert summary["engines_installed"] == []
    assert summary["source_kyverno_cluster_policies"] == "not served"
    assert summary["source_gatekeeper_templates"] == "not served"
    assert summary["source_gatekeeper_constraints"] == "not served"
    assert (summary["enforcing_policies"], summary["audit_only_policies"]) == (1, 1)
    assert len(by_id(observations, WEBHOOK)) == 6 and len(by_id(observations, POLICY)) == 3
    assert not kube_api.requested("constraints.gatekeeper.sh")


def test_denied_listing_is_a_gap_and_the_rest_is_intact(estate: FakeApiServer) -> None:
    estate.deny("kyverno.io", "clusterpolicies")
    estate.deny("admissionregistration.k8s.io", "validatingadmissionpolicybindings")
    observations = collect(estate)
    summary = by_id(observations, SUMMARY)["cluster"]
    assert set(summary.gaps) == {
        "source_kyverno_cluster_policies",
        "source_admission_policy_bindings",
        "engines_installed",
        "enforcing_policies",
        "audit_only_policies",
    }
    assert "PermissionDenied" in summary.gaps["source_kyverno_cluster_policies"]
    assert "enforcing_policies" not in summary.attributes  # never read as zero
    assert summary.attributes["fail_open_webhooks"] == 2
    engines = by_id(observations, ENGINE)
    assert "team-a/Policy/restrict-ports" in engines
    assert not [rid for rid in engines if rid.startswith("ClusterPolicy/")]
    policy = by_id(observations, POLICY)["require-owner-label"]
    assert set(policy.gaps) == {"bindings", "bound", "binding_actions", "enforcing"}
    assert policy.attributes["validations"] == 1
    assert len(by_id(observations, WEBHOOK)) == 6


def test_denied_constraints_and_namespace_read(estate: FakeApiServer) -> None:
    estate.deny("constraints.gatekeeper.sh", "k8sallowedrepos")
    estate.deny("", "namespaces")
    observations = collect(estate)
    summary = by_id(observations, SUMMARY)["cluster"]
    assert "PermissionDenied" in summary.gaps["source_gatekeeper_constraints"]
    assert summary.attributes["engines_installed"] == ["gatekeeper", "kyverno"]
    assert not [rid for rid in by_id(observations, ENGINE) if rid.startswith("K8s")]
    webhooks = by_id(observations, WEBHOOK)
    assert "excludes_kube_system" in webhooks[GATEKEEPER + "validation.gatekeeper.sh"].gaps
    # without a namespaceSelector the answer needs no namespace labels
    assert webhooks[IMAGES].attributes["excludes_kube_system"] is False


def test_every_listing_denied_fails_the_unit(kube_api: FakeApiServer) -> None:
    for plural in (
        "validatingwebhookconfigurations",
        "mutatingwebhookconfigurations",
        "validatingadmissionpolicies",
        "validatingadmissionpolicybindings",
    ):
        kube_api.deny("admissionregistration.k8s.io", plural)
    admission.seed_engines(kube_api)
    for group, plural in (
        ("kyverno.io", "clusterpolicies"),
        ("kyverno.io", "policies"),
        ("templates.gatekeeper.sh", "constrainttemplates"),
    ):
        kube_api.deny(group, plural)
    with pytest.raises(Exception) as raised:
        run_unit(AdmissionConnector, kube_api)
    assert isinstance(translate(raised.value), PermissionDenied)


def test_pagination(estate: FakeApiServer) -> None:
    paged = collect(estate, page_size=2)
    assert len(by_id(paged, WEBHOOK)) == 6 and len(by_id(paged, POLICY)) == 3
    assert len(by_id(paged, ENGINE)) == 8
    summary = by_id(paged, SUMMARY)["cluster"].attributes
    assert (summary["enforcing_policies"], summary["audit_only_policies"]) == (6, 3)
    pages = estate.requested("/validatingwebhookconfigurations")
    assert len(pages) == 2 and all("limit=2" in query for _, _, query in pages)
    assert len(estate.requested("/clusterpolicies")) == 2


def test_no_secrets_are_stored(estate: FakeApiServer) -> None:
    text = json.dumps([o.attributes for o in collect(estate)], default=str)
    for secret in (admission.URL_SECRET, "hunter2", "auditor", admission.CA_BUNDLE, "/validate"):
        assert secret not in text


def test_rules_judge_the_estate(estate: FakeApiServer) -> None:
    engine = RuleEngine(load_rules())
    results = {
        (e.rule_id, o.resource_id): e.status for o in collect(estate) for e in engine.evaluate(o)
    }
    fails_closed = "kubernetes.admission.webhook.engine-fails-closed"
    assert results[(fails_closed, GATEKEEPER + "validation.gatekeeper.sh")] == "fail"
    assert results[(fails_closed, KYVERNO + "validate.kyverno.svc-fail")] == "pass"
    assert results[(fails_closed, KYVERNO + "validate.kyverno.svc-ignore")] == "not_applicable"
    assert results[(fails_closed, IMAGES)] == "not_applicable"
    assert results[("kubernetes.admission.summary.enforces-policy", "cluster")] == "pass"
    enforce = "kubernetes.admission.engine_policy.enforce-mode"
    assert results[(enforce, "K8sAllowedRepos/repos-dryrun")] == "fail"
    assert results[(enforce, "ClusterPolicy/add-default-labels")] == "not_applicable"
    bound = "kubernetes.admission.policy.bound-and-enforcing"
    assert results[(bound, "unbound-policy")] == "fail"
    assert results[(bound, "require-owner-label")] == "pass"
