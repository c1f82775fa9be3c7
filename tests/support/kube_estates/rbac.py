"""An RBAC estate: built-in and custom roles (one aggregated), risky and clean bindings, and
service accounts with and without token automount."""

from __future__ import annotations

from typing import Any

from tests.support.kube import FakeApiServer, obj

RBAC = "rbac.authorization.k8s.io/v1"
BOOTSTRAP = {"kubernetes.io/bootstrapping": "rbac-defaults"}
AGGREGATE = {"rbac.example.com/aggregate-to-monitoring": "true"}
# An annotation value that looks like a credential: it must never reach an observation.
SECRET_SENTINEL = "sk-live-ROLEANNOTATIONSECRET0123456789"


def rule(
    verbs: list[str], resources: list[str], groups: list[str] | None = None, **extra: Any
) -> dict:
    return {
        "apiGroups": groups if groups is not None else [""],
        "resources": resources,
        "verbs": verbs,
        **extra,
    }


def cluster_role(
    name: str,
    *rules: dict,
    labels: dict | None = None,
    annotations: dict | None = None,
    **body: Any,
) -> dict:
    metadata = {"labels": labels or {}, "annotations": annotations or {}}
    return obj(RBAC, "ClusterRole", name, metadata=metadata, rules=list(rules), **body)


def role(name: str, namespace: str, *rules: dict) -> dict:
    return obj(RBAC, "Role", name, namespace, rules=list(rules))


def subject(kind: str, name: str, namespace: str | None = None) -> dict:
    found: dict[str, Any] = {"kind": kind, "name": name}
    if kind != "ServiceAccount":
        found["apiGroup"] = "rbac.authorization.k8s.io"
    if namespace is not None:
        found["namespace"] = namespace
    return found


def binding(
    kind: str,
    name: str,
    role_ref: tuple[str, str],
    *subjects: dict,
    namespace: str | None = None,
    labels: dict | None = None,
) -> dict:
    return obj(
        RBAC,
        kind,
        name,
        namespace,
        metadata={"labels": labels or {}},
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": role_ref[0], "name": role_ref[1]},
        subjects=list(subjects),
    )


def service_account(name: str, namespace: str, automount: bool | None = None) -> dict:
    body: dict[str, Any] = {"secrets": [{"name": f"{name}-token"}]}
    if automount is not None:
        body["automountServiceAccountToken"] = automount
    return obj("v1", "ServiceAccount", name, namespace, **body)


def seed(server: FakeApiServer) -> None:
    server.add(
        cluster_role(
            "cluster-admin",
            rule(["*"], ["*"], ["*"]),
            {"nonResourceURLs": ["*"], "verbs": ["*"]},
            labels=BOOTSTRAP,
        ),
        cluster_role(
            "system:public-info-viewer",
            {"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version"], "verbs": ["get"]},
            labels=BOOTSTRAP,
        ),
        cluster_role("view", rule(["get", "list", "watch"], ["pods", "services"])),
        cluster_role(
            "ns-reader",
            rule(["get", "list", "watch"], ["namespaces"]),
            annotations={"example.com/api-key": SECRET_SENTINEL},
        ),
        cluster_role("wildcard-everything", rule(["*"], ["*"], ["*"])),
        cluster_role(
            "role-escalator",
            rule(["escalate", "bind"], ["clusterroles"], ["rbac.authorization.k8s.io"]),
        ),
        cluster_role("impersonator", rule(["impersonate"], ["users", "groups"])),
        cluster_role("secret-reader", rule(["get", "list"], ["secrets"])),
        cluster_role(
            "named-secret-reader", rule(["get"], ["secrets"], resourceNames=["app-config"])
        ),
        cluster_role("pod-exec", rule(["create"], ["pods/exec"]), rule(["get"], ["pods"])),
        cluster_role("node-proxy", rule(["get"], ["nodes/proxy"])),
        # aggregated: no rules of its own, it gains those of the labelled roles below
        cluster_role(
            "monitoring",
            aggregationRule={"clusterRoleSelectors": [{"matchLabels": AGGREGATE}]},
        ),
        cluster_role(
            "monitoring-metrics", rule(["get", "list"], ["pods", "nodes"]), labels=AGGREGATE
        ),
        cluster_role("monitoring-secrets", rule(["watch"], ["secrets"]), labels=AGGREGATE),
        role("app-reader", "team-a", rule(["get"], ["configmaps"])),
        role("app-secrets", "team-a", rule(["get"], ["secrets"])),
    )
    server.add(
        binding(
            "ClusterRoleBinding",
            "cluster-admin",
            ("ClusterRole", "cluster-admin"),
            subject("Group", "system:masters"),
            labels=BOOTSTRAP,
        ),
        binding(
            "ClusterRoleBinding",
            "ops-admins",
            ("ClusterRole", "cluster-admin"),
            subject("User", "alice@example.com"),
        ),
        binding(
            "ClusterRoleBinding",
            "break-glass",
            ("ClusterRole", "cluster-admin"),
            subject("Group", "system:masters"),
        ),
        binding(
            "ClusterRoleBinding",
            "platform-admins",
            ("ClusterRole", "wildcard-everything"),
            subject("Group", "platform-admins"),
        ),
        binding(
            "ClusterRoleBinding",
            "anonymous-view",
            ("ClusterRole", "view"),
            subject("User", "system:anonymous"),
        ),
        binding(
            "ClusterRoleBinding",
            "system:public-info-viewer",
            ("ClusterRole", "system:public-info-viewer"),
            subject("Group", "system:authenticated"),
            subject("Group", "system:unauthenticated"),
            labels=BOOTSTRAP,
        ),
        binding(
            "ClusterRoleBinding",
            "ci-deployer",
            ("ClusterRole", "role-escalator"),
            subject("ServiceAccount", "deployer", "ci"),
        ),
        binding(
            "ClusterRoleBinding",
            "all-service-accounts",
            ("ClusterRole", "ns-reader"),
            subject("Group", "system:serviceaccounts"),
        ),
        binding(
            "ClusterRoleBinding",
            "ghost",
            ("ClusterRole", "does-not-exist"),
            subject("User", "bob@example.com"),
        ),
        binding(
            "ClusterRoleBinding",
            "monitoring",
            ("ClusterRole", "monitoring"),
            subject("ServiceAccount", "prometheus", "monitoring"),
        ),
        binding(
            "RoleBinding",
            "app-reader",
            ("Role", "app-reader"),
            subject("ServiceAccount", "web"),
            namespace="team-a",
        ),
        binding(
            "RoleBinding",
            "app-secrets",
            ("Role", "app-secrets"),
            subject("ServiceAccount", "web", "team-a"),
            namespace="team-a",
        ),
        binding(
            "RoleBinding",
            "exec",
            ("ClusterRole", "pod-exec"),
            subject("User", "carol@example.com"),
            namespace="team-a",
        ),
        service_account("web", "team-a"),
        service_account("batch", "team-a", automount=False),
        service_account("deployer", "ci", automount=True),
        service_account("prometheus", "monitoring", automount=False),
        service_account("default", "default"),
    )
