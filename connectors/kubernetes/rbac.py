"""Kubernetes RBAC: roles and what they grant, bindings and whom they grant it to, and the
token settings of service accounts.

Five cluster-wide listings, each paged and attempted on its own: ClusterRoles, Roles,
ClusterRoleBindings, RoleBindings and ServiceAccounts. A failed listing is noted on the unit and
turns what depends on it into named gaps: without the role listings a binding's inherited risk
is unknown (never "not risky"); without the binding listings a role's binding count and a
service account's bound roles are. How flags, aggregation and ``resourceNames`` are judged is
documented in :mod:`annexa.connectors.kubernetes.rbac_analysis`.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from typing import Any

from kubernetes import client

from annexa.connectors.base import Connector, Kind, UnitContext, Unreadable
from annexa.connectors.errors import ConnectorError
from annexa.connectors.kubernetes.rbac_analysis import (
    CLUSTER_ADMIN,
    FLAGS,
    BindingDef,
    PolicyRule,
    RoleDef,
    RoleIndex,
    RoleInfo,
    Selector,
    Subject,
    analyse,
    is_builtin,
    sa_groups,
)
from annexa.connectors.records import Observation

FLAG_DESCRIPTIONS = {
    "wildcard_verbs": "a rule grants every verb (*)",
    "wildcard_resources": "a rule covers every resource (*)",
    "wildcard_api_groups": "a rule covers every API group (*)",
    "escalate": "may escalate roles/clusterroles (grant more than it holds)",
    "bind": "may bind roles/clusterroles it does not hold",
    "impersonate": "may impersonate users, groups or service accounts",
    "secrets_read": "may get/list/watch Secrets",
    "pods_exec": "may exec into or attach to pods (pods/exec, pods/attach)",
    "nodes_proxy": "may reach kubelets through nodes/proxy",
}

ROLE = Kind(
    "kubernetes.rbac.role",
    "A ClusterRole or Role: its effective rules (aggregation resolved) and the risks they carry",
    {
        "name": "role name",
        "namespace": "namespace of a Role (null: a ClusterRole)",
        "role_kind": "ClusterRole or Role",
        "builtin": "shipped by Kubernetes (system: name, cluster-admin/admin/edit/view, or the "
        "kubernetes.io/bootstrapping=rbac-defaults label)",
        "aggregated": "a ClusterRole with an aggregationRule",
        "aggregated_from": "ClusterRoles whose rules it aggregates (directly or transitively)",
        "rule_count": "number of distinct effective rules",
        **FLAG_DESCRIPTIONS,
        "risky": "the risk flags that are set",
        "named_only": "wildcard or secrets_read grants restricted by resourceNames (not in risky)",
        "bindings": "how many ClusterRoleBindings and RoleBindings reference it",
    },
)

BINDING = Kind(
    "kubernetes.rbac.binding",
    "A ClusterRoleBinding or RoleBinding: the role it grants, to whom, and that role's risks",
    {
        "name": "binding name",
        "namespace": "namespace of a RoleBinding (null: a ClusterRoleBinding)",
        "binding_kind": "ClusterRoleBinding or RoleBinding",
        "cluster_wide": "a ClusterRoleBinding (grants in every namespace)",
        "builtin": "shipped by Kubernetes (system: name or the bootstrapping label)",
        "role_ref_kind": "roleRef.kind (ClusterRole or Role)",
        "role_ref_name": "roleRef.name",
        "subjects": "subjects: kind, name, namespace and flag (superuser, anonymous or broad "
        "group; null: none)",
        "principals": "the subjects as authenticated names (system:serviceaccount:<ns>:<name>)",
        "flagged_subjects": "principals flagged as superuser, anonymous or a broad group",
        "anonymous_or_all_authenticated": "a subject is system:anonymous, "
        "system:unauthenticated or system:authenticated",
        "grants_cluster_admin": "the role is cluster-admin or has wildcard verbs, resources and "
        "API groups",
        "role_risky": "risk flags of the referenced role",
    },
)

SERVICE_ACCOUNT = Kind(
    "kubernetes.rbac.service_account",
    "A service account: its token automount setting and the roles bound to it",
    {
        "name": "service account name",
        "namespace": "namespace",
        "automount_token": "automountServiceAccountToken (unset means true; a pod's own "
        "setting overrides it)",
        "explicitly_set": "automountServiceAccountToken is set on the service account",
        "bound_roles": "roles bound to it by name (ClusterRole/<name>, <ns>/Role/<name>)",
        "group_bound_roles": "roles bound to groups it belongs to (system:serviceaccounts, "
        "system:serviceaccounts:<ns>, system:authenticated)",
        "privileged": "bound (by name or group) to cluster-admin or a role with risk flags",
    },
)

GROUP = "rbac.authorization.k8s.io"
LISTS = {
    "clusterroles": f"list clusterroles.{GROUP}",
    "roles": f"list roles.{GROUP}",
    "clusterrolebindings": f"list clusterrolebindings.{GROUP}",
    "rolebindings": f"list rolebindings.{GROUP}",
    "serviceaccounts": "list serviceaccounts",
}


def role_def(model: Any, kind: str) -> RoleDef:
    """A :class:`RoleDef` from a ``V1ClusterRole`` or ``V1Role``."""
    aggregation = getattr(model, "aggregation_rule", None)
    selectors = None
    if aggregation is not None:
        selectors = tuple(
            Selector(
                dict(s.match_labels or {}),
                tuple(
                    (e.key, e.operator, tuple(e.values or ())) for e in s.match_expressions or ()
                ),
            )
            for s in aggregation.cluster_role_selectors or ()
        )
    rules = tuple(
        PolicyRule(
            verbs=tuple(r.verbs or ()),
            api_groups=tuple(r.api_groups or ()),
            resources=tuple(r.resources or ()),
            resource_names=tuple(r.resource_names or ()),
            non_resource_urls=tuple(r.non_resource_urls or ()),
        )
        for r in model.rules or ()
    )
    meta = model.metadata
    return RoleDef(kind, meta.name, meta.namespace, dict(meta.labels or {}), rules, selectors)


def binding_def(model: Any, kind: str) -> BindingDef:
    """A :class:`BindingDef` from a ``V1ClusterRoleBinding`` or ``V1RoleBinding``."""
    meta = model.metadata
    subjects = tuple(Subject(s.kind, s.name, s.namespace) for s in model.subjects or ())
    return BindingDef(
        kind,
        meta.name,
        meta.namespace if kind == "RoleBinding" else None,
        dict(meta.labels or {}),
        model.role_ref.kind,
        model.role_ref.name,
        subjects,
    )


class Listings:
    """The unit's listings: items of those that answered, reasons for those that did not."""

    def __init__(self, found: dict[str, list[Any] | ConnectorError]) -> None:
        self.found = found

    def items(self, name: str) -> list[Any]:
        value = self.found[name]
        return [] if isinstance(value, ConnectorError) else value

    def failure(self, *names: str) -> Unreadable | None:
        reasons = [
            f"{name} not listed: {value.describe()}"
            for name in names
            if isinstance(value := self.found[name], ConnectorError)
        ]
        return Unreadable("; ".join(reasons)) if reasons else None


class RbacConnector(Connector):
    name = "kubernetes.rbac"
    provider = "kubernetes"
    description = "RBAC roles, bindings and service accounts: privileged and anonymous grants"
    regional = False
    kinds = (ROLE, BINDING, SERVICE_ACCOUNT)
    permissions = tuple(LISTS.values())

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        session = ctx.session
        rbac = session.api(client.RbacAuthorizationV1Api)
        core = session.api(client.CoreV1Api)

        def roles(method: Callable[..., Any], kind: str) -> Callable[[], list[Any]]:
            return lambda: [role_def(m, kind) for m in session.list_all(method)]

        def bindings(method: Callable[..., Any], kind: str) -> Callable[[], list[Any]]:
            return lambda: [binding_def(m, kind) for m in session.list_all(method)]

        getters: dict[str, Callable[[], list[Any]]] = {
            "clusterroles": roles(rbac.list_cluster_role, "ClusterRole"),
            "roles": roles(rbac.list_role_for_all_namespaces, "Role"),
            "clusterrolebindings": bindings(rbac.list_cluster_role_binding, "ClusterRoleBinding"),
            "rolebindings": bindings(rbac.list_role_binding_for_all_namespaces, "RoleBinding"),
            "serviceaccounts": lambda: list(
                session.list_all(core.list_service_account_for_all_namespaces)
            ),
        }
        listings = Listings(ctx.attempt_all("RBAC", getters))
        unlisted = {
            kind: gap.reason
            for kind, name in (("ClusterRole", "clusterroles"), ("Role", "roles"))
            if (gap := listings.failure(name)) is not None
        }
        index = RoleIndex(
            analyse(listings.items("clusterroles"), listings.items("roles")), unlisted
        )
        all_bindings: list[BindingDef] = [
            *listings.items("clusterrolebindings"),
            *listings.items("rolebindings"),
        ]
        counts = Counter(b.role_key for b in all_bindings)
        for info in index.infos.values():
            yield _role(ctx, info, counts, listings)
        for binding in all_bindings:
            yield _binding(ctx, binding, index)
        direct: dict[tuple[str, str], set[str]] = defaultdict(set)
        by_group: dict[str, set[str]] = defaultdict(set)
        for binding in all_bindings:
            for account in binding.service_accounts():
                direct[account].add(binding.role_key)
            for group in binding.service_account_groups():
                by_group[group].add(binding.role_key)
        gap = listings.failure("clusterrolebindings", "rolebindings")
        for account in listings.items("serviceaccounts"):
            meta = account.metadata
            bound = sorted(direct[(meta.namespace, meta.name)])
            via_groups = sorted({k for g in sa_groups(meta.namespace) for k in by_group[g]})
            yield _service_account(ctx, account, (bound, via_groups), index, gap)


def _role(
    ctx: UnitContext, info: RoleInfo, counts: Counter[str], listings: Listings
) -> Observation:
    role = info.role
    cluster = role.kind == "ClusterRole"
    reads = ctx.reads(LISTS["clusterroles" if cluster else "roles"])
    reads.set("name", role.name)
    reads.set("namespace", role.namespace)
    reads.set("role_kind", role.kind)
    reads.set("builtin", is_builtin(role.kind, role.name, role.labels))
    reads.set("aggregated", role.selectors is not None)
    reads.set("aggregated_from", list(info.aggregated_from))
    reads.set("rule_count", len(info.rules))
    for flag in FLAGS:
        reads.set(flag, info.risk.flags[flag])
    reads.set("risky", info.risk.risky)
    reads.set("named_only", list(info.risk.named_only))
    needs = ("clusterrolebindings", "rolebindings") if cluster else ("rolebindings",)
    reads.sources.update(LISTS[n] for n in needs)
    gap = listings.failure(*needs)
    reads.read("bindings", lambda: gap or counts[role.key])
    return ctx.observe(ROLE.name, role.key, reads)


def _binding(ctx: UnitContext, binding: BindingDef, index: RoleIndex) -> Observation:
    cluster = binding.kind == "ClusterRoleBinding"
    reads = ctx.reads(LISTS["clusterrolebindings" if cluster else "rolebindings"])
    reads.set("name", binding.name)
    reads.set("namespace", binding.namespace)
    reads.set("binding_kind", binding.kind)
    reads.set("cluster_wide", cluster)
    reads.set("builtin", is_builtin(binding.kind, binding.name, binding.labels))
    reads.set("role_ref_kind", binding.role_kind)
    reads.set("role_ref_name", binding.role_name)
    subjects = binding.subjects
    reads.set(
        "subjects",
        [
            {"kind": s.kind, "name": s.name, "namespace": s.namespace, "flag": s.flag}
            for s in subjects
        ],
    )
    reads.set("principals", [s.principal(binding.namespace) for s in subjects])
    reads.set("flagged_subjects", [s.principal(binding.namespace) for s in subjects if s.flag])
    reads.set("anonymous_or_all_authenticated", any(s.anonymous_or_all for s in subjects))
    reads.sources.update((LISTS["clusterroles"], LISTS["roles"]))
    found = index.find(binding.role_key)
    if isinstance(found, str):
        unknown = Unreadable(found)
        admin = binding.role_key == CLUSTER_ADMIN or unknown
        reads.read_many(
            ("grants_cluster_admin", "role_risky"),
            lambda: {"grants_cluster_admin": admin, "role_risky": unknown},
        )
    else:
        reads.set(
            "grants_cluster_admin", binding.role_key == CLUSTER_ADMIN or found.risk.cluster_admin
        )
        reads.set("role_risky", found.risk.risky)
    return ctx.observe(BINDING.name, binding.key, reads)


def _service_account(
    ctx: UnitContext,
    account: Any,
    bound: tuple[list[str], list[str]],
    index: RoleIndex,
    gap: Unreadable | None,
) -> Observation:
    meta = account.metadata
    reads = ctx.reads(*LISTS.values())
    reads.set("name", meta.name)
    reads.set("namespace", meta.namespace)
    setting = account.automount_service_account_token
    reads.set("automount_token", setting is not False)
    reads.set("explicitly_set", setting is not None)
    direct, via_groups = bound
    privileged = index.privileged([*direct, *via_groups])
    reads.read_many(
        ("bound_roles", "group_bound_roles", "privileged"),
        lambda: {
            "bound_roles": gap or direct,
            "group_bound_roles": gap or via_groups,
            "privileged": gap
            or (Unreadable(privileged) if isinstance(privileged, str) else privileged),
        },
    )
    return ctx.observe(SERVICE_ACCOUNT.name, f"{meta.namespace}/{meta.name}", reads)
