"""Admission control: webhooks, ValidatingAdmissionPolicies, policy engines and a cluster summary.

Four ``admissionregistration.k8s.io/v1`` listings (validating and mutating webhook
configurations, ValidatingAdmissionPolicies and their bindings) and, where their CRDs are
served, Kyverno policies and Gatekeeper constraints (:mod:`.policy_engines`). Every listing is
independent: a 403 on one is noted on the unit and becomes a gap on the summary (and on the
attributes computed from it), while the others are still observed; a 404 means the type is not
served (an engine not installed, or a cluster older than 1.30 for ValidatingAdmissionPolicies),
which is recorded on the summary, not as a failure. The unit fails only when every listing does.

Which webhooks must fail closed: a policy engine's enforcement webhook, through which its
policies deny requests. With ``failurePolicy: Ignore`` an engine that is down, slow or
unreachable silently admits everything. These are Gatekeeper's ``validation.gatekeeper.sh`` and
``check-ignore-label.gatekeeper.sh`` and Kyverno's ``validate.kyverno.svc[-fail...]``. Kyverno's
``validate.kyverno.svc-ignore...`` webhooks are fail-open by design (they carry the policies that
chose ``failurePolicy: Ignore``, judged on those policies), and mutating webhooks and other
operators' webhooks are not judged by default (the rule's parameter can add configurations).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from kubernetes import client

from annexa.connectors.base import Connector, Kind, Reads, UnitContext
from annexa.connectors.errors import ConnectorError, NotApplicable
from annexa.connectors.kubernetes.policy_engines import (
    ENGINE_POLICY,
    LIST_GATEKEEPER_CONSTRAINTS,
    LIST_GATEKEEPER_TEMPLATES,
    LIST_KYVERNO_CLUSTER_POLICIES,
    LIST_KYVERNO_POLICIES,
    Listing,
    installed,
    list_engines,
    listing,
    observe_engines,
)
from annexa.connectors.records import Observation

GROUP = "admissionregistration.k8s.io"
CONFIGURATIONS = {
    "validating": "ValidatingWebhookConfiguration",
    "mutating": "MutatingWebhookConfiguration",
}
KUBE_SYSTEM = "kube-system"
NAME_LABEL = "kubernetes.io/metadata.name"
DEFAULT_TIMEOUT = 10  # seconds, the admissionregistration/v1 default

# Summary sources -> the permission behind each.
SOURCES = {
    "validating_webhooks": f"list validatingwebhookconfigurations.{GROUP}",
    "mutating_webhooks": f"list mutatingwebhookconfigurations.{GROUP}",
    "admission_policies": f"list validatingadmissionpolicies.{GROUP}",
    "admission_policy_bindings": f"list validatingadmissionpolicybindings.{GROUP}",
    "kyverno_cluster_policies": LIST_KYVERNO_CLUSTER_POLICIES,
    "kyverno_policies": LIST_KYVERNO_POLICIES,
    "gatekeeper_templates": LIST_GATEKEEPER_TEMPLATES,
    "gatekeeper_constraints": LIST_GATEKEEPER_CONSTRAINTS,
}
GET_NAMESPACES = "get namespaces"
POLICY_SOURCES = [
    f"source_{s}" for s in SOURCES if s not in ("validating_webhooks", "mutating_webhooks")
]
ENGINE_SOURCES = [
    "source_kyverno_cluster_policies",
    "source_kyverno_policies",
    "source_gatekeeper_templates",
]

WEBHOOK = Kind(
    "kubernetes.admission.webhook",
    "One webhook of a validating or mutating webhook configuration",
    {
        "configuration": "name of its Validating- or MutatingWebhookConfiguration",
        "name": "webhook name",
        "type": "validating or mutating",
        "policy_engine": "kyverno or gatekeeper for a policy engine's webhook (null: other)",
        "enforcement_webhook": "a policy engine's enforcement webhook, which must fail closed",
        "failure_policy": "Fail or Ignore (Fail when unset, the v1 default)",
        "fail_open": "failurePolicy Ignore: requests are admitted when the webhook fails",
        "side_effects": "None, NoneOnDryRun, Some or Unknown",
        "timeout_seconds": f"timeout (the default {DEFAULT_TIMEOUT} when unset)",
        "target_type": "service (in-cluster Service) or url (an external endpoint)",
        "target": "service namespace/name, or the URL's host only (never its path, query or user)",
        "rules": "number of rules (operations x resources) it intercepts",
        "match_conditions": "number of CEL matchConditions (not evaluated here)",
        "matches_all_namespaces": "neither a namespaceSelector nor an objectSelector narrows it",
        "excludes_kube_system": "its namespaceSelector does not match the kube-system namespace",
    },
)

POLICY = Kind(
    "kubernetes.admission.policy",
    "A ValidatingAdmissionPolicy (CEL) and how its bindings enforce it",
    {
        "name": "policy name",
        "failure_policy": "Fail or Ignore (Fail when unset)",
        "validations": "number of CEL validations",
        "param_kind": "kind of its parameter resource (null: none)",
        "bindings": "number of ValidatingAdmissionPolicyBindings naming it",
        "bound": "at least one binding names it (an unbound policy does nothing)",
        "binding_actions": "validationActions of its bindings (Deny, Warn, Audit), sorted",
        "enforcing": "some binding's validationActions include Deny",
    },
)

SUMMARY = Kind(
    "kubernetes.admission.summary",
    "The cluster's admission control: engines, enforcing and audit-only policies, fail-open "
    "webhooks, and which sources could be read",
    {
        "engines_installed": "policy engines whose CRDs are served: kyverno, gatekeeper (sorted)",
        "enforcing_policies": "bound-with-Deny ValidatingAdmissionPolicies plus enforcing "
        "Kyverno policies and Gatekeeper constraints",
        "audit_only_policies": "bound ValidatingAdmissionPolicies without Deny plus validating "
        "engine policies that only audit or warn",
        "fail_open_webhooks": "validating webhooks with failurePolicy Ignore",
        **{
            f"source_{name}": f"'read' or 'not served' ({permission}); a gap when unreadable"
            for name, permission in SOURCES.items()
        },
    },
)


def selects_everything(selector: Any) -> bool:
    return selector is None or not (selector.match_labels or selector.match_expressions)


def selector_matches(selector: Any, labels: Mapping[str, str]) -> bool:
    """Whether a label selector (matchLabels and In/NotIn/Exists/DoesNotExist) matches labels."""
    if selects_everything(selector):
        return True
    if any(labels.get(k) != v for k, v in (selector.match_labels or {}).items()):
        return False
    for term in selector.match_expressions or []:
        present, values = term.key in labels, term.values or []
        matched = {
            "In": present and labels.get(term.key) in values,
            "NotIn": not present or labels.get(term.key) not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }.get(term.operator, False)
        if not matched:
            return False
    return True


def policy_engine(name: str, service: Any) -> str | None:
    """kyverno or gatekeeper, by the webhook names and Services the engines install."""
    where = f"{service.namespace}/{service.name}" if service is not None else ""
    if name.endswith(".gatekeeper.sh") or where.startswith("gatekeeper-system/"):
        return "gatekeeper"
    if ".kyverno.svc" in name or where.startswith("kyverno/"):
        return "kyverno"
    return None


def enforcement_webhook(engine: str | None, name: str, webhook_type: str) -> bool:
    """A policy engine's validating webhook through which policies deny (see module docs)."""
    if webhook_type != "validating" or engine is None:
        return False
    if engine == "gatekeeper":
        return name in ("validation.gatekeeper.sh", "check-ignore-label.gatekeeper.sh")
    return name.startswith("validate.kyverno.svc") and "-ignore" not in name


def transform_webhook(webhook: Any, webhook_type: str) -> dict[str, Any]:
    """Everything about one webhook but whether it excludes kube-system."""
    config = webhook.client_config
    service = config.service if config is not None else None
    target: str | None
    if service is not None:
        target_type, target = "service", f"{service.namespace}/{service.name}"
    else:
        url = config.url if config is not None else None
        target_type, target = "url", urlsplit(url or "").hostname
    engine = policy_engine(webhook.name, service)
    failure_policy = webhook.failure_policy or "Fail"
    return {
        "name": webhook.name,
        "type": webhook_type,
        "policy_engine": engine,
        "enforcement_webhook": enforcement_webhook(engine, webhook.name, webhook_type),
        "failure_policy": failure_policy,
        "fail_open": failure_policy == "Ignore",
        "side_effects": webhook.side_effects,
        "timeout_seconds": webhook.timeout_seconds or DEFAULT_TIMEOUT,
        "target_type": target_type,
        "target": target,
        "rules": len(webhook.rules or []),
        "match_conditions": len(webhook.match_conditions or []),
        "matches_all_namespaces": selects_everything(webhook.namespace_selector)
        and selects_everything(webhook.object_selector),
    }


def transform_policy(policy: Any) -> dict[str, Any]:
    spec = policy.spec
    param_kind = spec.param_kind if spec is not None else None
    return {
        "name": policy.metadata.name,
        "failure_policy": (spec.failure_policy if spec is not None else None) or "Fail",
        "validations": len((spec.validations if spec is not None else None) or []),
        "param_kind": param_kind.kind if param_kind is not None else None,
    }


def binding_attributes(name: str, bindings: list[Any]) -> dict[str, Any]:
    mine = [b for b in bindings if b.spec is not None and b.spec.policy_name == name]
    actions = sorted({a for b in mine for a in b.spec.validation_actions or []})
    return {
        "bindings": len(mine),
        "bound": bool(mine),
        "binding_actions": actions,
        "enforcing": "Deny" in actions,
    }


def _raising(
    outcome: Listing, compute: Callable[[list[Any]], dict[str, Any]]
) -> Callable[[], dict[str, Any]]:
    def get() -> dict[str, Any]:
        if isinstance(outcome, ConnectorError):
            raise outcome
        return compute(outcome or [])

    return get


class AdmissionConnector(Connector):
    name = "kubernetes.admission"
    provider = "kubernetes"
    description = "Admission control: webhooks, ValidatingAdmissionPolicies, Kyverno, Gatekeeper"
    regional = False
    kinds = (WEBHOOK, POLICY, ENGINE_POLICY, SUMMARY)
    permissions = (*SOURCES.values(), GET_NAMESPACES)

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        admission = ctx.session.api(client.AdmissionregistrationV1Api)
        listed: dict[str, Listing] = {
            "validating_webhooks": listing(ctx, admission.list_validating_webhook_configuration),
            "mutating_webhooks": listing(ctx, admission.list_mutating_webhook_configuration),
            "admission_policies": listing(ctx, admission.list_validating_admission_policy),
            "admission_policy_bindings": listing(
                ctx, admission.list_validating_admission_policy_binding
            ),
        }
        engines = list_engines(ctx)
        listed.update(engines.sources)
        errors = {name: e for name, e in listed.items() if isinstance(e, ConnectorError)}
        if len(errors) == len(listed):
            raise next(iter(errors.values()))
        for name, error in errors.items():
            if not (name == "gatekeeper_constraints" and error is listed["gatekeeper_templates"]):
                ctx.note(f"admission {name} not listed: {error.describe()}")

        yield from self._webhooks(ctx, listed)
        yield from self._policies(ctx, listed)
        yield from observe_engines(ctx, engines)
        yield _summary(ctx, listed, engines.policies)

    def _policies(self, ctx: UnitContext, listed: Mapping[str, Listing]) -> Iterator[Observation]:
        policies, bindings = listed["admission_policies"], listed["admission_policy_bindings"]
        for policy in policies if isinstance(policies, list) else []:
            attributes = transform_policy(policy)
            name = attributes["name"]
            reads = ctx.reads(SOURCES["admission_policies"])
            for attribute, value in attributes.items():
                reads.set(attribute, value)
            if not isinstance(bindings, ConnectorError):
                reads.sources.add(SOURCES["admission_policy_bindings"])

            def bound(found: list[Any], name: str = name) -> dict[str, Any]:
                return binding_attributes(name, found)

            reads.read_many(
                ("bindings", "bound", "binding_actions", "enforcing"), _raising(bindings, bound)
            )
            yield ctx.observe(POLICY.name, name, reads)

    def _webhooks(self, ctx: UnitContext, listed: Mapping[str, Listing]) -> Iterator[Observation]:
        kube_system = KubeSystemLabels(ctx)
        for webhook_type, configuration_kind in CONFIGURATIONS.items():
            configurations = listed[f"{webhook_type}_webhooks"]
            for configuration in configurations if isinstance(configurations, list) else []:
                name = configuration.metadata.name
                for webhook in configuration.webhooks or []:
                    reads = ctx.reads(SOURCES[f"{webhook_type}_webhooks"])
                    reads.set("configuration", name)
                    for attribute, value in transform_webhook(webhook, webhook_type).items():
                        reads.set(attribute, value)
                    _excludes_kube_system(reads, webhook.namespace_selector, kube_system)
                    resource_id = f"{configuration_kind}/{name}/{webhook.name}"
                    yield ctx.observe(WEBHOOK.name, resource_id, reads)


class KubeSystemLabels:
    """The kube-system namespace's labels, read once and only if a selector needs them."""

    def __init__(self, ctx: UnitContext) -> None:
        self._ctx = ctx
        self._found: dict[str, str] | ConnectorError | None = None

    def __call__(self) -> dict[str, str]:
        if self._found is None:
            core = self._ctx.session.api(client.CoreV1Api)
            found = self._ctx.attempt(lambda: core.read_namespace(KUBE_SYSTEM))
            if isinstance(found, NotApplicable):
                self._found = {}
            elif isinstance(found, ConnectorError):
                self._found = found
            else:
                self._found = dict(found.metadata.labels or {})
        if isinstance(self._found, ConnectorError):
            raise self._found
        return {NAME_LABEL: KUBE_SYSTEM, **self._found}


def _excludes_kube_system(
    reads: Reads, selector: Any, labels: Callable[[], dict[str, str]]
) -> None:
    if selects_everything(selector):
        reads.set("excludes_kube_system", False)
        return
    reads.sources.add(GET_NAMESPACES)
    reads.read("excludes_kube_system", lambda: not selector_matches(selector, labels()))


def _summary(
    ctx: UnitContext, listed: Mapping[str, Listing], engine_policies: list[dict[str, Any]]
) -> Observation:
    reads = ctx.reads(*(SOURCES[n] for n, o in listed.items() if not isinstance(o, ConnectorError)))
    for name, outcome in listed.items():
        if isinstance(outcome, ConnectorError):
            reads.gaps[f"source_{name}"] = outcome.describe()
        else:
            reads.set(f"source_{name}", "read" if outcome is not None else "not served")

    def engines() -> list[str]:
        kyverno = installed((listed["kyverno_cluster_policies"], listed["kyverno_policies"]))
        gatekeeper = installed((listed["gatekeeper_templates"],))
        return [name for name, on in (("gatekeeper", gatekeeper), ("kyverno", kyverno)) if on]

    policies = listed["admission_policies"]
    bindings = listed["admission_policy_bindings"]
    bound = [
        binding_attributes(p.metadata.name, bindings if isinstance(bindings, list) else [])
        for p in (policies if isinstance(policies, list) else [])
    ]
    reads.derive("engines_installed", ENGINE_SOURCES, engines)
    reads.derive(
        "enforcing_policies",
        POLICY_SOURCES,
        lambda: sum(b["enforcing"] for b in bound) + sum(p["enforcing"] for p in engine_policies),
    )
    reads.derive(
        "audit_only_policies",
        POLICY_SOURCES,
        lambda: (
            sum(b["bound"] and not b["enforcing"] for b in bound)
            + sum(p["validates"] and not p["enforcing"] for p in engine_policies)
        ),
    )
    validating = listed["validating_webhooks"]
    reads.derive(
        "fail_open_webhooks",
        ["source_validating_webhooks"],
        lambda: sum(
            webhook.failure_policy == "Ignore"
            for configuration in (validating if isinstance(validating, list) else [])
            for webhook in configuration.webhooks or []
        ),
    )
    return ctx.observe(SUMMARY.name, "cluster", reads)
