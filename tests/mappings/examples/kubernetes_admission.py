"""Pass and fail examples for the Kubernetes admission rules."""

SOURCES = {
    "engines_installed": ["kyverno"],
    "audit_only_policies": 2,
}
WEBHOOK = {
    "configuration": "gatekeeper-validating-webhook-configuration",
    "name": "validation.gatekeeper.sh",
    "type": "validating",
    "policy_engine": "gatekeeper",
    "enforcement_webhook": True,
}
ENGINE_POLICY = {
    "engine": "kyverno",
    "policy_kind": "ClusterPolicy",
    "name": "require-labels",
    "validates": True,
}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "kubernetes.admission.summary.enforces-policy": (
        {**SOURCES, "enforcing_policies": 3},
        {**SOURCES, "enforcing_policies": 0},
    ),
    "kubernetes.admission.webhook.engine-fails-closed": (
        {**WEBHOOK, "failure_policy": "Fail"},
        # Gatekeeper's chart default
        {**WEBHOOK, "failure_policy": "Ignore"},
    ),
    "kubernetes.admission.policy.bound-and-enforcing": (
        {"bindings": 1, "bound": True, "binding_actions": ["Deny"], "enforcing": True},
        {"bindings": 1, "bound": True, "binding_actions": ["Audit", "Warn"], "enforcing": False},
    ),
    "kubernetes.admission.engine_policy.enforce-mode": (
        {**ENGINE_POLICY, "action": "Enforce", "rule_actions": {"r": "Enforce"}, "enforcing": True},
        {**ENGINE_POLICY, "action": "Audit", "rule_actions": {"r": "Audit"}, "enforcing": False},
    ),
}
