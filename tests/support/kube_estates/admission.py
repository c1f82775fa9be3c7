"""An admission estate: webhooks, ValidatingAdmissionPolicies, Kyverno and Gatekeeper.

``seed_builtin`` adds only built-in admissionregistration objects (a cluster without policy
engines); ``seed`` also installs the Kyverno and Gatekeeper CRDs and adds their policies.

Webhooks (configuration / webhook: failure policy, scope):

- gatekeeper-validating-webhook-configuration / validation.gatekeeper.sh: Ignore (Gatekeeper's
  chart default: an enforcement webhook failing open), skips namespaces labelled
  admission.gatekeeper.sh/ignore (kube-system is, in the namespaces estate)
- gatekeeper-validating-webhook-configuration / check-ignore-label.gatekeeper.sh: Fail, all
- kyverno-resource-validating-webhook-cfg / validate.kyverno.svc-fail: Fail, all but kyverno
- kyverno-resource-validating-webhook-cfg / validate.kyverno.svc-ignore: Ignore (by design)
- image-policy / images.policy.example.com: URL with credentials and a token in its query
  (never stored), failure policy and timeout unset, an objectSelector
- istio-sidecar-injector (mutating) / namespace.sidecar-injector.istio.io: Fail, labelled
  namespaces only

ValidatingAdmissionPolicies: require-owner-label (bound, Deny), no-host-path (bound, Warn+Audit),
unbound-policy (no binding). Kyverno: require-labels (Enforce), disallow-latest (Audit, but its
rule says Enforce), audit-probes (audit, failurePolicy Ignore), add-default-labels (mutate only),
team-a/restrict-ports (enforce). Gatekeeper: K8sRequiredLabels ns-must-have-owner (deny by
default, 3 violations), K8sAllowedRepos repos-dryrun (dryrun) and repos-scoped (scoped deny),
and a template K8sPending whose constraint CRD is not served yet.
"""

from __future__ import annotations

from typing import Any

from tests.support.kube import (
    GATEKEEPER_TEMPLATES,
    KYVERNO,
    KYVERNO_CLUSTER,
    FakeApiServer,
    Resource,
    obj,
)

ADMISSION = "admissionregistration.k8s.io/v1"
REQUIRED_LABELS = Resource(
    "constraints.gatekeeper.sh", "v1beta1", "k8srequiredlabels", "K8sRequiredLabels", False
)
ALLOWED_REPOS = Resource(
    "constraints.gatekeeper.sh", "v1beta1", "k8sallowedrepos", "K8sAllowedRepos", False
)
CRDS = (KYVERNO_CLUSTER, KYVERNO, GATEKEEPER_TEMPLATES, REQUIRED_LABELS, ALLOWED_REPOS)
URL_SECRET = "s3cr3t-webhook-token"
CA_BUNDLE = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg=="


def webhook(
    name: str, *, service: str | None = None, url: str | None = None, **fields: Any
) -> dict:
    """A webhook entry; ``service="ns/name"`` or ``url=...`` for its client config."""
    config: dict[str, Any] = {"caBundle": CA_BUNDLE}
    if service is not None:
        namespace, _, service_name = service.partition("/")
        config["service"] = {"namespace": namespace, "name": service_name, "path": "/validate"}
    else:
        config["url"] = url
    rule = {
        "apiGroups": [""],
        "apiVersions": ["v1"],
        "operations": ["CREATE"],
        "resources": ["pods"],
    }
    return {
        "name": name,
        "clientConfig": config,
        "rules": [rule],
        "sideEffects": "None",
        "admissionReviewVersions": ["v1"],
        **fields,
    }


def configuration(kind: str, name: str, *webhooks: dict) -> dict:
    return obj(ADMISSION, kind, name, webhooks=list(webhooks))


def validation(expression: str) -> dict:
    return {"expression": expression, "message": f"failed: {expression}"}


def seed_builtin(server: FakeApiServer) -> None:
    """Webhook configurations and ValidatingAdmissionPolicies with their bindings."""
    server.add(
        configuration(
            "ValidatingWebhookConfiguration",
            "gatekeeper-validating-webhook-configuration",
            webhook(
                "validation.gatekeeper.sh",
                service="gatekeeper-system/gatekeeper-webhook-service",
                failurePolicy="Ignore",
                timeoutSeconds=3,
                namespaceSelector={
                    "matchExpressions": [
                        {"key": "admission.gatekeeper.sh/ignore", "operator": "DoesNotExist"}
                    ]
                },
            ),
            webhook(
                "check-ignore-label.gatekeeper.sh",
                service="gatekeeper-system/gatekeeper-webhook-service",
                failurePolicy="Fail",
                timeoutSeconds=3,
            ),
        ),
        configuration(
            "ValidatingWebhookConfiguration",
            "kyverno-resource-validating-webhook-cfg",
            *(
                webhook(
                    f"validate.kyverno.svc-{mode.lower()}",
                    service="kyverno/kyverno-svc",
                    failurePolicy=mode,
                    timeoutSeconds=10,
                    namespaceSelector={
                        "matchExpressions": [
                            {
                                "key": "kubernetes.io/metadata.name",
                                "operator": "NotIn",
                                "values": ["kyverno"],
                            }
                        ]
                    },
                )
                for mode in ("Fail", "Ignore")
            ),
        ),
        configuration(
            "ValidatingWebhookConfiguration",
            "image-policy",
            webhook(
                "images.policy.example.com",
                url=f"https://auditor:hunter2@policy.example.com:8443/validate?token={URL_SECRET}",
                objectSelector={"matchLabels": {"images.example.com/check": "true"}},
                matchConditions=[
                    {"name": "not-dry-run", "expression": "!request.dryRun"},
                ],
            ),
        ),
        configuration(
            "MutatingWebhookConfiguration",
            "istio-sidecar-injector",
            webhook(
                "namespace.sidecar-injector.istio.io",
                service="istio-system/istiod",
                failurePolicy="Fail",
                reinvocationPolicy="Never",
                namespaceSelector={"matchLabels": {"istio-injection": "enabled"}},
            ),
        ),
    )
    match = {
        "resourceRules": [
            {
                "apiGroups": ["apps"],
                "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["deployments"],
            }
        ]
    }
    server.add(
        obj(
            ADMISSION,
            "ValidatingAdmissionPolicy",
            "require-owner-label",
            spec={
                "failurePolicy": "Fail",
                "matchConstraints": match,
                "validations": [validation("has(object.metadata.labels.owner)")],
            },
        ),
        obj(
            ADMISSION,
            "ValidatingAdmissionPolicy",
            "no-host-path",
            spec={
                "failurePolicy": "Ignore",
                "matchConstraints": match,
                "paramKind": {"apiVersion": "v1", "kind": "ConfigMap"},
                "validations": [
                    validation("!has(object.spec.template.spec.volumes)"),
                    validation("true"),
                ],
            },
        ),
        obj(
            ADMISSION,
            "ValidatingAdmissionPolicy",
            "unbound-policy",
            spec={"matchConstraints": match, "validations": [validation("true")]},
        ),
        obj(
            ADMISSION,
            "ValidatingAdmissionPolicyBinding",
            "require-owner-label-binding",
            spec={"policyName": "require-owner-label", "validationActions": ["Deny"]},
        ),
        obj(
            ADMISSION,
            "ValidatingAdmissionPolicyBinding",
            "no-host-path-binding",
            spec={
                "policyName": "no-host-path",
                "validationActions": ["Warn", "Audit"],
                "paramRef": {"name": "limits", "namespace": "default"},
            },
        ),
    )


def kyverno_policy(name: str, namespace: str | None = None, **spec: Any) -> dict:
    kind = "Policy" if namespace else "ClusterPolicy"
    return obj("kyverno.io/v1", kind, name, namespace, spec=spec)


def kyverno_rule(name: str, kinds: list[str], **body: Any) -> dict:
    return {"name": name, "match": {"any": [{"resources": {"kinds": kinds}}]}, **body}


def validate(message: str, **extra: Any) -> dict:
    return {"message": message, "pattern": {"metadata": {"labels": {"team": "?*"}}}, **extra}


def constraint(resource: Resource, name: str, **spec: Any) -> dict:
    status = spec.pop("status", None)
    body: dict[str, Any] = {"spec": spec}
    if status is not None:
        body["status"] = status
    return obj(f"{resource.group}/{resource.version}", resource.kind, name, **body)


def template(kind: str) -> dict:
    return obj(
        "templates.gatekeeper.sh/v1",
        "ConstraintTemplate",
        kind.lower(),
        spec={
            "crd": {"spec": {"names": {"kind": kind}}},
            "targets": [{"target": "admission.k8s.gatekeeper.sh", "rego": "package x"}],
        },
    )


def seed_engines(server: FakeApiServer) -> None:
    """Install the Kyverno and Gatekeeper CRDs and add their policies."""
    for resource in CRDS:
        server.install(resource)
    server.add(
        kyverno_policy(
            "require-labels",
            validationFailureAction="Enforce",
            rules=[kyverno_rule("check-team", ["Pod", "Deployment"], validate=validate("team"))],
        ),
        kyverno_policy(
            "disallow-latest",
            validationFailureAction="Audit",
            rules=[
                kyverno_rule(
                    "no-latest", ["Pod"], validate=validate("tag", failureAction="Enforce")
                ),
                kyverno_rule("report-only", ["Pod"], validate=validate("labels")),
            ],
        ),
        kyverno_policy(
            "audit-probes",
            validationFailureAction="audit",
            failurePolicy="Ignore",
            rules=[kyverno_rule("probes", ["Deployment"], validate=validate("probes"))],
        ),
        kyverno_policy(
            "add-default-labels",
            rules=[
                kyverno_rule(
                    "add-team",
                    ["Pod"],
                    mutate={"patchStrategicMerge": {"metadata": {"labels": {"team": "x"}}}},
                )
            ],
        ),
        kyverno_policy(
            "restrict-ports",
            "team-a",
            validationFailureAction="enforce",
            rules=[kyverno_rule("ports", ["Service"], validate=validate("ports"))],
        ),
    )
    server.add(template("K8sRequiredLabels"), template("K8sAllowedRepos"), template("K8sPending"))
    namespaces = {"kinds": [{"apiGroups": [""], "kinds": ["Namespace"]}]}
    pods = {"kinds": [{"apiGroups": [""], "kinds": ["Pod"]}]}
    server.add(
        constraint(
            REQUIRED_LABELS,
            "ns-must-have-owner",
            match=namespaces,
            parameters={"labels": [{"key": "owner"}]},
            status={"totalViolations": 3},
        ),
        constraint(ALLOWED_REPOS, "repos-dryrun", match=pods, enforcementAction="dryrun"),
        constraint(
            ALLOWED_REPOS,
            "repos-scoped",
            match=pods,
            enforcementAction="scoped",
            scopedEnforcementActions=[
                {"action": "warn", "enforcementPoints": [{"name": "gator.gatekeeper.sh"}]},
                {"action": "deny", "enforcementPoints": [{"name": "validation.gatekeeper.sh"}]},
            ],
        ),
    )


def seed(server: FakeApiServer) -> None:
    seed_builtin(server)
    seed_engines(server)
