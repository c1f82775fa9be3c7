"""Pass and fail examples for the control-plane rules."""

AUDIT = "/etc/kubernetes/audit/policy.yaml"

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "kubernetes.controlplane.cluster.audit-logging": (
        {
            "audit_policy_file": AUDIT,
            "audit_log_path": None,
            "audit_webhook_config": "/etc/kubernetes/audit/webhook.yaml",
        },
        # a log path without a policy audits nothing
        {
            "audit_policy_file": None,
            "audit_log_path": "/var/log/audit.log",
            "audit_webhook_config": None,
        },
    ),
    "kubernetes.controlplane.cluster.audit-log-retention": (
        {"audit_log_path": "/var/log/audit.log", "audit_log_maxage": 30},
        {"audit_log_path": "/var/log/audit.log", "audit_log_maxage": None},
    ),
    "kubernetes.controlplane.cluster.secrets-encryption": (
        {
            "secrets_encryption": True,
            "secrets_encryption_evidence": "KMS provider checks on /healthz: kms-providers ok",
        },
        {
            "secrets_encryption": False,
            "secrets_encryption_evidence": "no encryption provider config",
        },
    ),
    "kubernetes.controlplane.cluster.anonymous-auth-disabled": (
        {"anonymous_auth": False, "defaults_applied": []},
        # unset: the API server's default is true
        {"anonymous_auth": True, "defaults_applied": ["anonymous_auth"]},
    ),
    "kubernetes.controlplane.cluster.rbac-authorization": (
        {"authorization_modes": ["Node", "RBAC"], "defaults_applied": []},
        {"authorization_modes": ["RBAC", "AlwaysAllow"], "defaults_applied": []},
    ),
    "kubernetes.controlplane.cluster.supported-version": (
        {
            "git_version": "v1.32.1",
            "version_major": 1,
            "version_minor": 32,
            "distribution": "kubeadm",
        },
        {
            "git_version": "v1.30.4-eks-a737599",
            "version_major": 1,
            "version_minor": 30,
            "distribution": "eks",
        },
    ),
    "kubernetes.controlplane.cluster.profiling-disabled": (
        {"profiling": False, "defaults_applied": []},
        {"profiling": True, "defaults_applied": ["profiling"]},
    ),
}
