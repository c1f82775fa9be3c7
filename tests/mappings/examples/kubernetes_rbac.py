"""Pass and fail examples for the Kubernetes RBAC rules."""

ALL_FLAGS = [
    "wildcard_verbs",
    "wildcard_resources",
    "wildcard_api_groups",
    "escalate",
    "bind",
    "impersonate",
    "secrets_read",
    "pods_exec",
    "nodes_proxy",
]


def binding(**attributes) -> dict:
    return {
        "name": "ops",
        "builtin": False,
        "role_ref_kind": "ClusterRole",
        "role_ref_name": "view",
        "principals": ["alice@example.com"],
        "grants_cluster_admin": False,
        "anonymous_or_all_authenticated": False,
        **attributes,
    }


def role(*flags: str, **attributes) -> dict:
    return {
        "name": "custom",
        "builtin": False,
        "rule_count": 2,
        **{flag: flag in flags for flag in ALL_FLAGS},
        "risky": list(flags),
        "named_only": [],
        **attributes,
    }


def account(**attributes) -> dict:
    return {
        "name": "web",
        "namespace": "team-a",
        "automount_token": True,
        "explicitly_set": False,
        "privileged": False,
        "bound_roles": ["team-a/Role/app-reader"],
        "group_bound_roles": [],
        **attributes,
    }


EXAMPLES: dict[str, tuple[dict, dict]] = {
    "kubernetes.rbac.binding.cluster-admin-restricted": (
        # the allow-listed break-glass group may hold cluster-admin
        binding(
            role_ref_name="cluster-admin", principals=["system:masters"], grants_cluster_admin=True
        ),
        binding(
            role_ref_name="cluster-admin",
            principals=["system:masters", "alice@example.com"],
            grants_cluster_admin=True,
        ),
    ),
    "kubernetes.rbac.binding.no-anonymous-or-all-authenticated": (
        binding(principals=["system:serviceaccount:ci:deployer"]),
        binding(principals=["system:authenticated"], anonymous_or_all_authenticated=True),
    ),
    "kubernetes.rbac.role.no-wildcards": (
        role("secrets_read"),
        role("wildcard_resources", "wildcard_api_groups"),
    ),
    "kubernetes.rbac.role.no-privilege-escalation": (
        role("wildcard_verbs"),
        role("bind", "impersonate"),
    ),
    "kubernetes.rbac.role.no-secrets-read": (
        # reading one named Secret is the least-privilege pattern, not a finding
        role(named_only=["secrets_read"]),
        role("secrets_read"),
    ),
    "kubernetes.rbac.role.no-pods-exec": (role(), role("pods_exec")),
    "kubernetes.rbac.role.no-nodes-proxy": (role("pods_exec"), role("nodes_proxy")),
    "kubernetes.rbac.service_account.privileged-token-not-automounted": (
        account(privileged=True, automount_token=False, explicitly_set=True),
        account(privileged=True, bound_roles=["ClusterRole/cluster-admin"]),
    ),
}
