"""What RBAC roles grant and to whom: pure analysis over small records built from API objects.

Risk flags are computed from a role's *effective* rules: for an aggregated ClusterRole, the union
of its own rules and those of every ClusterRole its ``aggregationRule`` selects, followed
transitively (``admin`` aggregates ``edit``, which aggregates the ``aggregate-to-edit`` roles),
which is the fixed point the API server's aggregation controller converges to.

Rule matching follows the RBAC authorizer: ``*`` matches any verb, API group or resource, and
``*/<sub>`` any resource's subresource. Only resource rules raise flags; ``nonResourceURLs``
rules (``/healthz``, ``/metrics``) grant no access to objects.

``resourceNames`` restrict a rule to the named objects. Such a rule still raises ``escalate``,
``bind``, ``impersonate``, ``pods_exec`` and ``nodes_proxy``: naming the role one may bind
(``cluster-admin``), the identity one may impersonate, or the pod or node one may reach does not
contain that power. For the wildcard flags and ``secrets_read`` a named-only grant is the
least-privilege pattern (an application reading its own Secret): it raises no flag but is listed
in ``named_only`` so that a reviewer still sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

RBAC_GROUP = "rbac.authorization.k8s.io"
CLUSTER_ADMIN = "ClusterRole/cluster-admin"
BOOTSTRAP_LABEL = ("kubernetes.io/bootstrapping", "rbac-defaults")
DEFAULT_CLUSTER_ROLES = frozenset({"cluster-admin", "admin", "edit", "view"})

# flag -> (verbs, API groups, resources) whose grant raises it; verbs None: any verb.
PERMISSION_FLAGS: dict[str, tuple[tuple[str, ...] | None, tuple[str, ...], tuple[str, ...]]] = {
    "escalate": (("escalate",), (RBAC_GROUP,), ("roles", "clusterroles")),
    "bind": (("bind",), (RBAC_GROUP,), ("roles", "clusterroles")),
    "impersonate": (
        ("impersonate",),
        ("", "authentication.k8s.io"),
        ("users", "groups", "serviceaccounts", "uids", "userextras/*"),
    ),
    "secrets_read": (("get", "list", "watch"), ("",), ("secrets",)),
    "pods_exec": (("create", "get"), ("",), ("pods/exec", "pods/attach")),
    "nodes_proxy": (None, ("",), ("nodes/proxy",)),
}
WILDCARD_FLAGS = ("wildcard_verbs", "wildcard_resources", "wildcard_api_groups")
FLAGS = (*WILDCARD_FLAGS, *PERMISSION_FLAGS)
NAMED_NARROWS = frozenset({*WILDCARD_FLAGS, "secrets_read"})

# Subjects that stand for many identities, or for the superuser group.
GROUP_FLAGS = {
    "system:masters": "superuser group (bypasses RBAC)",
    "system:authenticated": "every authenticated identity",
    "system:unauthenticated": "every anonymous request",
    "system:serviceaccounts": "every service account",
}
ANONYMOUS_OR_ALL = frozenset({"system:anonymous", "system:unauthenticated", "system:authenticated"})


@dataclass(frozen=True)
class PolicyRule:
    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    resource_names: tuple[str, ...] = ()
    non_resource_urls: tuple[str, ...] = ()

    def allows(
        self, verbs: Iterable[str] | None, groups: Iterable[str], resources: Iterable[str]
    ) -> bool:
        """Whether this rule grants any of ``verbs`` (None: any) on any of the resources."""
        if not self.resources or not self.verbs:
            return False
        verb_ok = verbs is None or "*" in self.verbs or any(v in self.verbs for v in verbs)
        group_ok = "*" in self.api_groups or any(g in self.api_groups for g in groups)
        return (
            verb_ok
            and group_ok
            and any(resource_matches(have, want) for have in self.resources for want in resources)
        )


def resource_matches(granted: str, wanted: str) -> bool:
    """``granted`` (a rule's resource) covers ``wanted``; ``wanted`` may end in ``/*``."""
    if granted in ("*", wanted):
        return True
    name, _, sub = wanted.partition("/")
    if sub == "*":
        return granted.startswith(name + "/")
    return bool(sub) and granted == f"*/{sub}"


@dataclass(frozen=True)
class Selector:
    """A label selector: every ``match_labels`` pair and every expression must hold."""

    match_labels: Mapping[str, str] = field(default_factory=dict)
    expressions: tuple[tuple[str, str, tuple[str, ...]], ...] = ()

    def matches(self, labels: Mapping[str, str]) -> bool:
        if any(labels.get(k) != v for k, v in self.match_labels.items()):
            return False
        return all(_expression(labels, *expression) for expression in self.expressions)


def _expression(labels: Mapping[str, str], key: str, operator: str, values: Sequence[str]) -> bool:
    if operator == "In":
        return key in labels and labels[key] in values
    if operator == "NotIn":
        return key not in labels or labels[key] not in values
    if operator == "Exists":
        return key in labels
    if operator == "DoesNotExist":
        return key not in labels
    return False  # an operator the API server would reject selects nothing


@dataclass(frozen=True)
class RoleDef:
    """A ClusterRole or Role; ``selectors`` is None unless it carries an aggregationRule."""

    kind: str
    name: str
    namespace: str | None
    labels: Mapping[str, str]
    rules: tuple[PolicyRule, ...]
    selectors: tuple[Selector, ...] | None = None

    @property
    def key(self) -> str:
        return role_key(self.kind, self.name, self.namespace)


def role_key(kind: str, name: str, namespace: str | None) -> str:
    """``ClusterRole/<name>`` or ``<namespace>/Role/<name>``: the role's resource id."""
    return f"ClusterRole/{name}" if kind == "ClusterRole" else f"{namespace}/{kind}/{name}"


def is_builtin(kind: str, name: str, labels: Mapping[str, str]) -> bool:
    """Shipped by Kubernetes: a ``system:`` name, a default ClusterRole, or the bootstrap label."""
    key, value = BOOTSTRAP_LABEL
    return (
        name.startswith("system:")
        or (kind == "ClusterRole" and name in DEFAULT_CLUSTER_ROLES)
        or labels.get(key) == value
    )


def aggregate(cluster_roles: Sequence[RoleDef]) -> dict[str, tuple[list[PolicyRule], list[str]]]:
    """For each aggregated ClusterRole: its effective rules and the ClusterRoles they came from."""
    by_name = {role.name: role for role in cluster_roles}
    resolved: dict[str, tuple[list[PolicyRule], list[str]]] = {}
    for role in cluster_roles:
        if role.selectors is None:
            continue
        seen: set[str] = {role.name}
        pending = [role]
        while pending:
            current = pending.pop()
            for other in by_name.values():
                if other.name not in seen and any(
                    s.matches(other.labels) for s in current.selectors or ()
                ):
                    seen.add(other.name)
                    pending.append(other)
        sources = sorted(seen - {role.name})
        rules = unique([*role.rules, *(r for name in sources for r in by_name[name].rules)])
        resolved[role.name] = (rules, sources)
    return resolved


def unique(rules: Iterable[PolicyRule]) -> list[PolicyRule]:
    return list(dict.fromkeys(rules))


@dataclass(frozen=True)
class Risk:
    """The flags a role's effective rules raise; ``named_only`` as explained in the module doc."""

    flags: Mapping[str, bool]
    named_only: tuple[str, ...]

    @property
    def risky(self) -> list[str]:
        return [flag for flag in FLAGS if self.flags[flag]]

    @property
    def cluster_admin(self) -> bool:
        return all(self.flags[flag] for flag in WILDCARD_FLAGS)


def _raised(rule: PolicyRule) -> set[str]:
    raised = {
        flag
        for flag, (verbs, groups, res) in PERMISSION_FLAGS.items()
        if rule.allows(verbs, groups, res)
    }
    if rule.resources:
        for flag, values in zip(
            WILDCARD_FLAGS, (rule.verbs, rule.resources, rule.api_groups), strict=True
        ):
            if "*" in values:
                raised.add(flag)
    return raised


def assess(rules: Iterable[PolicyRule]) -> Risk:
    """The risk flags that ``rules`` raise (see the module doc for ``resourceNames``)."""
    flags = dict.fromkeys(FLAGS, False)
    named: set[str] = set()
    for rule in rules:
        for flag in _raised(rule):
            if rule.resource_names and flag in NAMED_NARROWS:
                named.add(flag)
            else:
                flags[flag] = True
    return Risk(flags, tuple(f for f in FLAGS if f in named and not flags[f]))


@dataclass(frozen=True)
class Subject:
    kind: str
    name: str
    namespace: str | None = None

    def principal(self, default_namespace: str | None) -> str:
        """The user or group name the API server authenticates this subject as."""
        if self.kind == "ServiceAccount":
            return f"system:serviceaccount:{self.namespace or default_namespace}:{self.name}"
        return self.name

    @property
    def flag(self) -> str | None:
        """Why this subject deserves attention: superuser, anonymous or a broad group."""
        if self.kind == "User" and self.name == "system:anonymous":
            return "anonymous user"
        if self.kind != "Group":
            return None
        if self.name.startswith("system:serviceaccounts:"):
            return "every service account in namespace " + self.name.split(":", 2)[2]
        return GROUP_FLAGS.get(self.name)

    @property
    def anonymous_or_all(self) -> bool:
        return self.kind in ("User", "Group") and self.name in ANONYMOUS_OR_ALL


@dataclass(frozen=True)
class BindingDef:
    """A ClusterRoleBinding (``namespace`` None) or RoleBinding."""

    kind: str
    name: str
    namespace: str | None
    labels: Mapping[str, str]
    role_kind: str
    role_name: str
    subjects: tuple[Subject, ...]

    @property
    def key(self) -> str:
        if self.namespace is None:
            return f"{self.kind}/{self.name}"
        return f"{self.namespace}/{self.kind}/{self.name}"

    @property
    def role_key(self) -> str:
        return role_key(self.role_kind, self.role_name, self.namespace)

    def service_account_groups(self) -> set[str]:
        """Groups among the subjects that include service accounts (all or one namespace)."""
        return {
            s.name
            for s in self.subjects
            if s.kind == "Group"
            and (
                s.name in ("system:serviceaccounts", "system:authenticated")
                or s.name.startswith("system:serviceaccounts:")
            )
        }

    def service_accounts(self) -> set[tuple[str, str]]:
        """``(namespace, name)`` of the service accounts bound by name."""
        return {
            (s.namespace or self.namespace or "", s.name)
            for s in self.subjects
            if s.kind == "ServiceAccount"
        }


def sa_groups(namespace: str) -> tuple[str, ...]:
    """The groups a service account's token authenticates as, besides its own name."""
    return ("system:serviceaccounts", f"system:serviceaccounts:{namespace}", "system:authenticated")


@dataclass(frozen=True)
class RoleInfo:
    """A role with its effective rules (aggregation resolved) and the flags they raise."""

    role: RoleDef
    rules: tuple[PolicyRule, ...]
    aggregated_from: tuple[str, ...]
    risk: Risk


def analyse(cluster_roles: Sequence[RoleDef], roles: Sequence[RoleDef]) -> dict[str, RoleInfo]:
    """Every role by key, with aggregated ClusterRoles resolved against ``cluster_roles``."""
    aggregated = aggregate(cluster_roles)
    infos: dict[str, RoleInfo] = {}
    for role in [*cluster_roles, *roles]:
        rules, sources = aggregated.get(role.name, (unique(role.rules), []))
        if role.kind != "ClusterRole":
            rules, sources = unique(role.rules), []
        infos[role.key] = RoleInfo(role, tuple(rules), tuple(sources), assess(rules))
    return infos


class RoleIndex:
    """Roles by key, knowing which role listings failed: an unknown role is never "not risky"."""

    def __init__(self, infos: Mapping[str, RoleInfo], unlisted: Mapping[str, str]) -> None:
        self.infos = infos
        self.unlisted = unlisted  # role kind -> why its listing failed

    def find(self, key: str) -> RoleInfo | str:
        """The role, or the reason it cannot be assessed."""
        if key in self.infos:
            return self.infos[key]
        kind = "ClusterRole" if key.startswith("ClusterRole/") else "Role"
        if kind in self.unlisted:
            return f"{key} unknown: {self.unlisted[kind]}"
        return f"{key} is referenced but does not exist"

    def privileged(self, keys: Iterable[str]) -> bool | str:
        """Whether any of ``keys`` is cluster-admin or raises a flag; a reason if unknowable."""
        unknown: list[str] = []
        for key in keys:
            if key == CLUSTER_ADMIN:
                return True
            found = self.find(key)
            if isinstance(found, str):
                unknown.append(found)
            elif found.risk.risky:
                return True
        return "; ".join(unknown) if unknown else False
