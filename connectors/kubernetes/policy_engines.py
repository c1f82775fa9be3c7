"""Policy engines behind admission webhooks: Kyverno policies and Gatekeeper constraints.

Both are custom resources, read through ``CustomObjectsApi`` only where their CRDs are served:
a 404 on a listing means the engine is not installed (no observations, and not a failure). Every
Gatekeeper ConstraintTemplate defines a constraint kind of its own, served as
``constraints.gatekeeper.sh/v1beta1`` under the plural ``<kind lowercased>``; the constraints are
found through the templates, which is why the permission is declared as the wildcard
``list *.constraints.gatekeeper.sh``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeAlias

from kubernetes import client

from annexa.connectors.base import Kind, UnitContext
from annexa.connectors.errors import ConnectorError, NotApplicable
from annexa.connectors.records import Observation

# A listing's outcome: its items, None when the resource type is not served, or the error.
Listing: TypeAlias = list[Any] | ConnectorError | None

KYVERNO = ("kyverno.io", "v1")
GATEKEEPER_TEMPLATES = ("templates.gatekeeper.sh", "v1", "constrainttemplates")
CONSTRAINTS = ("constraints.gatekeeper.sh", "v1beta1")

LIST_KYVERNO_CLUSTER_POLICIES = "list clusterpolicies.kyverno.io"
LIST_KYVERNO_POLICIES = "list policies.kyverno.io"
LIST_GATEKEEPER_TEMPLATES = "list constrainttemplates.templates.gatekeeper.sh"
LIST_GATEKEEPER_CONSTRAINTS = "list *.constraints.gatekeeper.sh"

ENGINE_POLICY = Kind(
    "kubernetes.admission.engine_policy",
    "A Kyverno ClusterPolicy or Policy, or a Gatekeeper constraint: whether it enforces",
    {
        "engine": "kyverno or gatekeeper",
        "policy_kind": "ClusterPolicy, Policy, or the Gatekeeper constraint kind (its template)",
        "name": "policy or constraint name",
        "namespace": "namespace of a Kyverno Policy (null: cluster-scoped)",
        "action": "Kyverno spec.validationFailureAction (default Audit) or Gatekeeper "
        "enforcementAction (default deny), as written",
        "rule_actions": "Kyverno: effective failure action of each validate/verifyImages rule "
        "(rule validate.failureAction overrides the policy's); Gatekeeper: {}",
        "validates": "the policy validates (Kyverno validate or verifyImages rules; every "
        "Gatekeeper constraint)",
        "enforcing": "violations are denied: some Kyverno rule acts as Enforce, or the "
        "Gatekeeper enforcementAction is deny (also as a scoped enforcement action)",
        "rules": "Kyverno rule names; Gatekeeper: the constraint kind",
        "match_kinds": "resource kinds the policy matches (sorted)",
        "failure_policy": "Kyverno spec.failurePolicy (default Fail; Ignore admits requests "
        "when the engine is unreachable); Gatekeeper: null (set on its webhook)",
        "violations": "Gatekeeper status.totalViolations from its audit (null: not reported "
        "or Kyverno)",
    },
)


def listing(ctx: UnitContext, method: Callable[..., Any], *args: Any) -> Listing:
    """Every item of a paged listing; ``None`` if the type is not served; or the error."""
    found = ctx.attempt(lambda: list(ctx.session.list_all(method, *args)))
    return None if isinstance(found, NotApplicable) else found


def _kinds(match: Mapping[str, Any] | None) -> set[str]:
    """Kinds named by a Kyverno match block (``resources`` or its ``any``/``all`` filters)."""
    match = match or {}
    blocks = [match, *(match.get("any") or []), *(match.get("all") or [])]
    return {kind for block in blocks for kind in (block.get("resources") or {}).get("kinds") or []}


def _kyverno_actions(spec: Mapping[str, Any]) -> dict[str, str]:
    default = spec.get("validationFailureAction") or "Audit"
    actions: dict[str, str] = {}
    for rule in spec.get("rules") or []:
        name = rule.get("name") or "?"
        if "validate" in rule:
            actions[name] = (rule.get("validate") or {}).get("failureAction") or default
        for verify in rule.get("verifyImages") or []:
            action = verify.get("failureAction") or default
            if actions.get(name, "").lower() != "enforce":
                actions[name] = action
    return actions


def transform_kyverno(policy: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The attributes of a Kyverno ``ClusterPolicy`` or ``Policy`` (a CustomObjectsApi dict)."""
    spec = policy.get("spec") or {}
    metadata = policy["metadata"]
    actions = _kyverno_actions(spec)
    rules = spec.get("rules") or []
    return {
        "engine": "kyverno",
        "policy_kind": kind,
        "name": metadata["name"],
        "namespace": metadata.get("namespace"),
        "action": spec.get("validationFailureAction") or "Audit",
        "rule_actions": actions,
        "validates": bool(actions),
        "enforcing": any(action.lower() == "enforce" for action in actions.values()),
        "rules": [rule.get("name") for rule in rules],
        "match_kinds": sorted(set().union(*(_kinds(rule.get("match")) for rule in rules))),
        "failure_policy": spec.get("failurePolicy") or "Fail",
        "violations": None,
    }


def transform_constraint(constraint: Mapping[str, Any], kind: str) -> dict[str, Any]:
    """The attributes of a Gatekeeper constraint of the template-defined ``kind``."""
    spec = constraint.get("spec") or {}
    action = spec.get("enforcementAction") or "deny"
    scoped = [entry.get("action") for entry in spec.get("scopedEnforcementActions") or []]
    actions = scoped if action.lower() == "scoped" else [action]
    match = spec.get("match") or {}
    kinds = {kind for block in match.get("kinds") or [] for kind in block.get("kinds") or []}
    return {
        "engine": "gatekeeper",
        "policy_kind": kind,
        "name": constraint["metadata"]["name"],
        "namespace": None,
        "action": action,
        "rule_actions": {},
        "validates": True,
        "enforcing": any(str(a).lower() == "deny" for a in actions),
        "rules": [kind],
        "match_kinds": sorted(kinds),
        "failure_policy": None,
        "violations": (constraint.get("status") or {}).get("totalViolations"),
    }


@dataclass
class EngineListings:
    """What the engines' listings returned, by summary source name."""

    sources: dict[str, Listing] = field(default_factory=dict)
    policies: list[dict[str, Any]] = field(default_factory=list)


def constraint_kind(template: Mapping[str, Any]) -> str | None:
    """The constraint kind a template defines (``spec.crd.spec.names.kind``); its plural, as
    Gatekeeper creates the CRD, is the kind lowercased."""
    crd = ((template.get("spec") or {}).get("crd") or {}).get("spec") or {}
    kind = (crd.get("names") or {}).get("kind")
    return str(kind) if kind else None


def _constraints(ctx: UnitContext, custom: Any, templates: Iterable[Mapping[str, Any]]) -> Listing:
    """Every constraint of every template, as (kind, constraint) pairs; a template whose
    constraint kind is not served yet (its CRD not yet created) has none."""
    found: list[Any] = []
    for template in templates:
        kind = constraint_kind(template)
        if kind is None:
            continue
        items = listing(ctx, custom.list_cluster_custom_object, *CONSTRAINTS, kind.lower())
        if isinstance(items, ConnectorError):
            return items
        found.extend((kind, item) for item in items or [])
    return found


def list_engines(ctx: UnitContext) -> EngineListings:
    """List Kyverno policies and Gatekeeper templates and constraints, as far as served."""
    custom = ctx.session.api(client.CustomObjectsApi)
    listed = EngineListings()
    for source, plural, kind in (
        ("kyverno_cluster_policies", "clusterpolicies", "ClusterPolicy"),
        ("kyverno_policies", "policies", "Policy"),
    ):
        items = listing(ctx, custom.list_cluster_custom_object, *KYVERNO, plural)
        listed.sources[source] = items
        if isinstance(items, list):
            listed.policies.extend(transform_kyverno(item, kind) for item in items)
    templates = listing(ctx, custom.list_cluster_custom_object, *GATEKEEPER_TEMPLATES)
    listed.sources["gatekeeper_templates"] = templates
    constraints: Listing = templates
    if isinstance(templates, list):
        constraints = _constraints(ctx, custom, templates)
    listed.sources["gatekeeper_constraints"] = constraints
    if isinstance(constraints, list):
        listed.policies.extend(transform_constraint(item, kind) for kind, item in constraints)
    return listed


def engine_policy_id(attributes: Mapping[str, Any]) -> str:
    """``ClusterPolicy/require-labels``, ``team-a/Policy/no-latest``, ``K8sRequiredLabels/x``."""
    kind_name = f"{attributes['policy_kind']}/{attributes['name']}"
    namespace = attributes["namespace"]
    return f"{namespace}/{kind_name}" if namespace else kind_name


def installed(listings: Iterable[Listing]) -> bool | None:
    """Whether any of an engine's listings is served; ``None`` if one could not be read."""
    outcomes = list(listings)
    if any(isinstance(o, ConnectorError) for o in outcomes):
        return None
    return any(o is not None for o in outcomes)


def observe_engines(ctx: UnitContext, listed: EngineListings) -> Iterator[Observation]:
    """One observation per Kyverno policy and Gatekeeper constraint listed."""
    sources = {
        "ClusterPolicy": (LIST_KYVERNO_CLUSTER_POLICIES,),
        "Policy": (LIST_KYVERNO_POLICIES,),
    }
    gatekeeper = (LIST_GATEKEEPER_TEMPLATES, LIST_GATEKEEPER_CONSTRAINTS)
    for attributes in listed.policies:
        kyverno = attributes["engine"] == "kyverno"
        reads = ctx.reads(*(sources[attributes["policy_kind"]] if kyverno else gatekeeper))
        for name, value in attributes.items():
            reads.set(name, value)
        yield ctx.observe(ENGINE_POLICY.name, engine_policy_id(attributes), reads)
