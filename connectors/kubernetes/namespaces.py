"""Namespaces: Pod Security admission labels, default-deny network policies, quotas and limits.

Four cluster-wide listings (namespaces, network policies, limit ranges, resource quotas), each
paged, are joined by namespace. The namespaces listing is what every observation rests on: if it
fails, the unit fails. If one of the other three fails (a 403 on network policies, say), only
the attributes computed from it become gaps on every namespace; nothing is read as "none".
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeAlias

from kubernetes import client

from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.errors import ConnectorError
from annexa.connectors.records import Observation

PSA = "pod-security.kubernetes.io/"
PSS_MODES = ("enforce", "audit", "warn")
PSS_LEVELS = ("privileged", "baseline", "restricted")

# Namespaces run by Kubernetes itself, plus the well-known namespaces of cluster add-ons that
# need privileges by design (CNI, policy engines, node-local storage); rules may exempt them.
SYSTEM_NAMESPACES = frozenset(
    {
        "kube-system",
        "kube-public",
        "kube-node-lease",
        "kube-flannel",
        "calico-system",
        "calico-apiserver",
        "tigera-operator",
        "cilium",
        "gatekeeper-system",
        "kyverno",
        "local-path-storage",
        "gke-managed-system",
        "gmp-system",
        "amazon-cloudwatch",
        "aks-command",
    }
)

NAMESPACE = Kind(
    "kubernetes.namespaces.namespace",
    "A namespace: Pod Security admission labels, default-deny network policies, quotas, limits",
    {
        "name": "namespace name",
        "phase": "Active or Terminating",
        "system": "a Kubernetes or well-known add-on system namespace (see SYSTEM_NAMESPACES)",
        "pss_enforce": "pod-security.kubernetes.io/enforce label (null: unset)",
        "pss_enforce_version": "pod-security.kubernetes.io/enforce-version label (null: unset)",
        "pss_audit": "pod-security.kubernetes.io/audit label (null: unset)",
        "pss_audit_version": "pod-security.kubernetes.io/audit-version label (null: unset)",
        "pss_warn": "pod-security.kubernetes.io/warn label (null: unset)",
        "pss_warn_version": "pod-security.kubernetes.io/warn-version label (null: unset)",
        "pss_enforce_level": "enforced Pod Security level: privileged, baseline, restricted, "
        "invalid (a label value Pod Security admission does not know; null: unset, the "
        "cluster default applies)",
        "network_policies": "number of NetworkPolicies in the namespace",
        "default_deny_ingress": "a NetworkPolicy selects every pod for Ingress and allows none",
        "default_deny_egress": "a NetworkPolicy selects every pod for Egress and allows none",
        "limit_ranges": "number of LimitRanges in the namespace",
        "container_default_limits": "some LimitRange of type Container sets default limits",
        "container_default_limit_resources": "resources given default container limits "
        "(cpu, memory, ...)",
        "resource_quotas": "number of ResourceQuotas in the namespace",
    },
)

LIST_NAMESPACES = "list namespaces"
LIST_NETWORK_POLICIES = "list networkpolicies.networking.k8s.io"
LIST_LIMIT_RANGES = "list limitranges"
LIST_RESOURCE_QUOTAS = "list resourcequotas"


def pod_security(labels: dict[str, str] | None) -> dict[str, Any]:
    """The six Pod Security admission labels (null when unset) and the enforced level."""
    labels = labels or {}
    found: dict[str, Any] = {}
    for mode in PSS_MODES:
        found[f"pss_{mode}"] = labels.get(PSA + mode)
        found[f"pss_{mode}_version"] = labels.get(PSA + mode + "-version")
    enforce = found["pss_enforce"]
    level = None if enforce is None else enforce if enforce in PSS_LEVELS else "invalid"
    return {**found, "pss_enforce_level": level}


def _selects_all(selector: Any) -> bool:
    return selector is None or not (selector.match_labels or selector.match_expressions)


def denies_all(policy: Any, direction: str) -> bool:
    """Whether a NetworkPolicy selects every pod of its namespace for ``direction`` (Ingress or
    Egress) and allows no traffic that way.

    Without ``policyTypes`` Kubernetes infers Ingress always, and Egress only when the policy
    has egress rules (which then allow something), so an inferred Egress never denies all.
    """
    spec = policy.spec
    if spec is None or not _selects_all(spec.pod_selector):
        return False
    if direction == "Ingress":
        applies = not spec.policy_types or "Ingress" in spec.policy_types
        return applies and not spec.ingress
    return "Egress" in (spec.policy_types or []) and not spec.egress


def default_limit_resources(limit_ranges: Iterable[Any]) -> list[str]:
    """Resources for which some LimitRange gives containers a default limit."""
    return sorted(
        {
            resource
            for limit_range in limit_ranges
            for item in (limit_range.spec.limits if limit_range.spec else None) or []
            if item.type == "Container"
            for resource in item.default or {}
        }
    )


def transform_namespace(namespace: Any) -> dict[str, Any]:
    name = namespace.metadata.name
    return {
        "name": name,
        "phase": namespace.status.phase if namespace.status else None,
        "system": name in SYSTEM_NAMESPACES,
        **pod_security(namespace.metadata.labels),
    }


def network_attributes(policies: list[Any]) -> dict[str, Any]:
    return {
        "network_policies": len(policies),
        "default_deny_ingress": any(denies_all(p, "Ingress") for p in policies),
        "default_deny_egress": any(denies_all(p, "Egress") for p in policies),
    }


def limit_attributes(limit_ranges: list[Any]) -> dict[str, Any]:
    resources = default_limit_resources(limit_ranges)
    return {
        "limit_ranges": len(limit_ranges),
        "container_default_limits": bool(resources),
        "container_default_limit_resources": resources,
    }


Grouped: TypeAlias = dict[str, list[Any]] | ConnectorError


def _by_namespace(ctx: UnitContext, listing: Callable[..., Any]) -> Grouped:
    """Every item of a cluster-wide listing grouped by namespace, or the error that stopped it."""

    def read() -> dict[str, list[Any]]:
        grouped: dict[str, list[Any]] = defaultdict(list)
        for item in ctx.session.list_all(listing):
            grouped[item.metadata.namespace].append(item)
        return grouped

    return ctx.attempt(read)


def _shared(
    grouped: Grouped, name: str, transform: Callable[[list[Any]], dict[str, Any]]
) -> Callable[[], dict[str, Any]]:
    """A getter for Reads.read_many: one namespace's attributes, or the listing's failure."""

    def get() -> dict[str, Any]:
        if isinstance(grouped, ConnectorError):
            raise grouped
        return transform(grouped.get(name, []))

    return get


class NamespacesConnector(Connector):
    name = "kubernetes.namespaces"
    provider = "kubernetes"
    description = "Namespaces: Pod Security labels, default-deny network policies, quotas, limits"
    regional = False
    kinds = (NAMESPACE,)
    permissions = (LIST_NAMESPACES, LIST_NETWORK_POLICIES, LIST_LIMIT_RANGES, LIST_RESOURCE_QUOTAS)

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        core = ctx.session.api(client.CoreV1Api)
        networking = ctx.session.api(client.NetworkingV1Api)
        namespaces = list(ctx.session.list_all(core.list_namespace))
        policies = _by_namespace(ctx, networking.list_network_policy_for_all_namespaces)
        limits = _by_namespace(ctx, core.list_limit_range_for_all_namespaces)
        quotas = _by_namespace(ctx, core.list_resource_quota_for_all_namespaces)
        sources: dict[str, Grouped] = {
            LIST_NETWORK_POLICIES: policies,
            LIST_LIMIT_RANGES: limits,
            LIST_RESOURCE_QUOTAS: quotas,
        }
        for namespace in namespaces:
            name = namespace.metadata.name
            reads = ctx.reads(LIST_NAMESPACES)
            for attribute, value in transform_namespace(namespace).items():
                reads.set(attribute, value)
            reads.sources.update(
                source
                for source, grouped in sources.items()
                if not isinstance(grouped, ConnectorError)
            )
            reads.read_many(
                ("network_policies", "default_deny_ingress", "default_deny_egress"),
                _shared(policies, name, network_attributes),
            )
            reads.read_many(
                ("limit_ranges", "container_default_limits", "container_default_limit_resources"),
                _shared(limits, name, limit_attributes),
            )
            reads.read_many(
                ("resource_quotas",),
                _shared(quotas, name, lambda found: {"resource_quotas": len(found)}),
            )
            yield ctx.observe(NAMESPACE.name, name, reads)
