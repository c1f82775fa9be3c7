"""Pass and fail examples for the Kubernetes namespace rules."""

BASE = {"name": "team-a", "system": False, "network_policies": 1, "limit_ranges": 1}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "kubernetes.namespaces.namespace.pod-security-enforced": (
        {
            **BASE,
            "pss_enforce": "restricted",
            "pss_enforce_version": "latest",
            "pss_enforce_level": "restricted",
        },
        # a namespace without the label gets the cluster default: not evidence of enforcement
        {**BASE, "pss_enforce": None, "pss_enforce_version": None, "pss_enforce_level": None},
    ),
    "kubernetes.namespaces.namespace.default-deny-ingress": (
        {**BASE, "default_deny_ingress": True},
        {**BASE, "default_deny_ingress": False},
    ),
    "kubernetes.namespaces.namespace.default-deny-egress": (
        {**BASE, "default_deny_egress": True},
        {**BASE, "default_deny_egress": False},
    ),
    "kubernetes.namespaces.namespace.resource-quota": (
        {**BASE, "resource_quotas": 2},
        {**BASE, "resource_quotas": 0},
    ),
    "kubernetes.namespaces.namespace.default-container-limits": (
        {
            **BASE,
            "container_default_limits": True,
            "container_default_limit_resources": ["cpu", "memory"],
        },
        {**BASE, "container_default_limits": False, "container_default_limit_resources": []},
    ),
}
