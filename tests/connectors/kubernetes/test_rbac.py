"""Kubernetes RBAC: rule flags, aggregation, bindings, service accounts, gaps and paging."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from annexa.connectors.calls import CallCounter
from annexa.connectors.kubernetes.rbac import RbacConnector
from annexa.connectors.kubernetes.rbac_analysis import (
    FLAGS,
    PolicyRule,
    RoleDef,
    RoleIndex,
    Selector,
    Subject,
    aggregate,
    analyse,
    assess,
    is_builtin,
)
from annexa.connectors.records import Observation
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.kube import FakeApiServer, by_id, open_session, run_unit
from tests.support.kube_estates.rbac import SECRET_SENTINEL, seed

ROLE = "kubernetes.rbac.role"
BINDING = "kubernetes.rbac.binding"
ACCOUNT = "kubernetes.rbac.service_account"
RBAC = "rbac.authorization.k8s.io"


def rule(verbs, resources, groups=("",), names=()) -> PolicyRule:
    return PolicyRule(tuple(verbs), tuple(groups), tuple(resources), tuple(names))


def cluster_role(name, *rules, labels=None, selectors=None) -> RoleDef:
    return RoleDef("ClusterRole", name, None, labels or {}, tuple(rules), selectors)


# ---- pure analysis -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("granted", "raised"),
    [
        (rule(["*"], ["configmaps"]), {"wildcard_verbs"}),
        # every resource includes secrets and the subresources exec (a GET upgrade) and proxy
        (rule(["get"], ["*"]), {"wildcard_resources", "secrets_read", "pods_exec", "nodes_proxy"}),
        (rule(["get"], ["deployments"], ["*"]), {"wildcard_api_groups"}),
        (rule(["escalate"], ["roles"], [RBAC]), {"escalate"}),
        (rule(["bind"], ["clusterroles"], [RBAC]), {"bind"}),
        (rule(["impersonate"], ["serviceaccounts"]), {"impersonate"}),
        (rule(["impersonate"], ["userextras/scopes"], ["authentication.k8s.io"]), {"impersonate"}),
        (rule(["watch"], ["secrets"]), {"secrets_read"}),
        (rule(["create"], ["pods/exec"]), {"pods_exec"}),
        (rule(["get"], ["pods/attach"]), {"pods_exec"}),
        (rule(["create"], ["*/exec"]), {"pods_exec"}),
        (rule(["patch"], ["nodes/proxy"]), {"nodes_proxy"}),
        # near misses: wrong group, wrong verb, a different subresource, a non-resource rule
        (rule(["get"], ["secrets"], ["apps"]), set()),
        (rule(["create"], ["secrets"]), set()),
        (rule(["escalate"], ["roles"], [""]), set()),
        (rule(["get"], ["pods/log"]), set()),
        (PolicyRule(("*",), non_resource_urls=("*",)), set()),
    ],
)
def test_each_flag_is_raised_by_the_rule_that_grants_it(granted, raised) -> None:
    risk = assess([granted])
    assert set(risk.risky) == raised
    assert {flag for flag in FLAGS if risk.flags[flag]} == raised


def test_resource_names_narrow_secrets_and_wildcards_but_not_escalation() -> None:
    risk = assess(
        [
            rule(["get"], ["secrets"], names=["app-config"]),
            rule(["*"], ["configmaps"], names=["settings"]),
            rule(["bind"], ["clusterroles"], [RBAC], names=["cluster-admin"]),
            rule(["create"], ["pods/exec"], names=["debug"]),
        ]
    )
    assert risk.risky == ["bind", "pods_exec"]
    assert risk.named_only == ("wildcard_verbs", "secrets_read")
    # an unrestricted grant of the same flag wins over the named one
    both = assess([rule(["get"], ["secrets"], names=["a"]), rule(["list"], ["secrets"])])
    assert both.risky == ["secrets_read"] and both.named_only == ()


@pytest.mark.parametrize(
    ("selector", "matches"),
    [
        (Selector({"team": "ml"}), True),
        (Selector({"team": "web"}), False),
        (Selector(expressions=(("team", "In", ("ml", "data")),)), True),
        (Selector(expressions=(("team", "NotIn", ("ml",)),)), False),
        (Selector(expressions=(("tier", "NotIn", ("gold",)),)), True),  # absent label
        (Selector(expressions=(("team", "Exists", ()),)), True),
        (Selector(expressions=(("tier", "Exists", ()),)), False),
        (Selector(expressions=(("tier", "DoesNotExist", ()),)), True),
        (Selector({"team": "ml"}, (("team", "DoesNotExist", ()),)), False),  # all must hold
        (Selector(expressions=(("team", "Gt", ("1",)),)), False),  # invalid operator
        (Selector(), True),  # an empty selector selects everything, as in the API server
    ],
)
def test_label_selectors(selector, matches) -> None:
    assert selector.matches({"team": "ml", "aggregate": "true"}) is matches


def test_aggregation_is_transitive_and_survives_cycles() -> None:
    to_admin = Selector({"to-admin": "true"})
    to_edit = Selector({"to-edit": "true"})
    roles = [
        cluster_role("admin", selectors=(to_admin,)),
        cluster_role(
            "edit",
            rule(["update"], ["deployments"], ["apps"]),
            labels={"to-admin": "true"},
            selectors=(to_edit,),
        ),
        cluster_role("crd-edit", rule(["get"], ["secrets"]), labels={"to-edit": "true"}),
        # selects admin back: a cycle must not loop or pull a role into itself
        cluster_role(
            "looped",
            rule(["get"], ["pods"]),
            labels={"to-edit": "true"},
            selectors=(Selector({"to-admin": "true"}), Selector(expressions=(("x", "In", ()),))),
        ),
        cluster_role("unrelated", rule(["*"], ["*"], ["*"])),
    ]
    resolved = aggregate(roles)
    rules, sources = resolved["admin"]
    assert sources == ["crd-edit", "edit", "looped"]
    assert set(rules) == {
        rule(["update"], ["deployments"], ["apps"]),
        rule(["get"], ["secrets"]),
        rule(["get"], ["pods"]),
    }
    assert resolved["edit"][1] == ["crd-edit", "looped"]
    assert resolved["looped"][1] == ["crd-edit", "edit"]
    assert "crd-edit" not in resolved  # not aggregated itself
    infos = analyse(roles, [])
    assert infos["ClusterRole/admin"].risk.risky == ["secrets_read"]


def test_builtin_objects_and_subjects() -> None:
    assert is_builtin("ClusterRole", "system:node", {})
    assert is_builtin("ClusterRole", "edit", {})
    assert not is_builtin("Role", "edit", {})  # the default names are ClusterRoles only
    assert is_builtin(
        "ClusterRoleBinding", "cluster-admin", {"kubernetes.io/bootstrapping": "rbac-defaults"}
    )
    assert not is_builtin("ClusterRoleBinding", "cluster-admin", {})
    sa = Subject("ServiceAccount", "web")
    assert sa.principal("team-a") == "system:serviceaccount:team-a:web" and sa.flag is None
    assert Subject("Group", "system:masters").flag == "superuser group (bypasses RBAC)"
    assert Subject("Group", "system:serviceaccounts:ci").flag == (
        "every service account in namespace ci"
    )
    assert Subject("User", "system:anonymous").anonymous_or_all
    assert Subject("Group", "system:unauthenticated").anonymous_or_all
    assert not Subject("Group", "system:masters").anonymous_or_all


def test_privileged_is_unknown_rather_than_false_when_a_role_cannot_be_assessed() -> None:
    infos = analyse([cluster_role("reader", rule(["get"], ["pods"]))], [])
    index = RoleIndex(infos, {"Role": "roles not listed: PermissionDenied"})
    assert index.privileged(["ClusterRole/reader"]) is False
    assert index.privileged(["ClusterRole/cluster-admin"]) is True  # by name, listed or not
    unknown = index.privileged(["ClusterRole/reader", "team-a/Role/x"])
    assert unknown == "team-a/Role/x unknown: roles not listed: PermissionDenied"
    assert (
        index.privileged(["ClusterRole/gone"])
        == "ClusterRole/gone is referenced but does not exist"
    )


# ---- through the client against the fake API server --------------------------------------------


@pytest.fixture
def estate(kube_api: FakeApiServer) -> FakeApiServer:
    seed(kube_api)
    return kube_api


@pytest.fixture(scope="module")
def collected() -> Iterator[tuple[list[Observation], CallCounter]]:
    """The seeded estate collected once for the tests that only read the result."""
    with FakeApiServer().running() as server:
        seed(server)
        yield run_unit(RbacConnector, server)


def collect(server: FakeApiServer, **options) -> tuple[list[Observation], list[str]]:
    """The unit's observations and its notes."""
    notes: list[str] = []
    observations, _ = run_unit(RbacConnector, server, open_session(server, **options), notes=notes)
    return observations, notes


def test_roles_and_their_flags(collected) -> None:
    observations, _ = collected
    roles = by_id(observations, ROLE)
    assert len(roles) == 16
    expected = {
        "ClusterRole/wildcard-everything": list(FLAGS),
        "ClusterRole/role-escalator": ["escalate", "bind"],
        "ClusterRole/impersonator": ["impersonate"],
        "ClusterRole/secret-reader": ["secrets_read"],
        "ClusterRole/named-secret-reader": [],
        "ClusterRole/pod-exec": ["pods_exec"],
        "ClusterRole/node-proxy": ["nodes_proxy"],
        "ClusterRole/ns-reader": [],
        "team-a/Role/app-reader": [],
        "team-a/Role/app-secrets": ["secrets_read"],
    }
    for key, risky in expected.items():
        attributes = roles[key].attributes
        assert attributes["risky"] == risky, key
        assert all(attributes[flag] is (flag in risky) for flag in FLAGS), key
        assert attributes["builtin"] is False
    assert roles["ClusterRole/named-secret-reader"].attributes["named_only"] == ["secrets_read"]
    admin = roles["ClusterRole/cluster-admin"].attributes
    assert admin["builtin"] is True and admin["risky"] == list(FLAGS) and admin["bindings"] == 3
    assert roles["ClusterRole/view"].attributes["builtin"] is True
    app = roles["team-a/Role/app-secrets"].attributes
    assert (app["name"], app["namespace"], app["role_kind"]) == ("app-secrets", "team-a", "Role")
    assert app["bindings"] == 1 and app["rule_count"] == 1
    assert roles["ClusterRole/pod-exec"].attributes["bindings"] == 1  # from a RoleBinding
    assert roles["ClusterRole/secret-reader"].attributes["bindings"] == 0
    assert set(roles["ClusterRole/ns-reader"].source) == {
        "list clusterroles.rbac.authorization.k8s.io",
        "list clusterrolebindings.rbac.authorization.k8s.io",
        "list rolebindings.rbac.authorization.k8s.io",
    }


def test_aggregated_cluster_role_gains_the_rules_of_labelled_roles(collected) -> None:
    observations, _ = collected
    monitoring = by_id(observations, ROLE)["ClusterRole/monitoring"].attributes
    assert monitoring["aggregated"] is True
    assert monitoring["aggregated_from"] == ["monitoring-metrics", "monitoring-secrets"]
    assert monitoring["rule_count"] == 2
    assert monitoring["risky"] == ["secrets_read"]  # from monitoring-secrets' watch on secrets
    binding = by_id(observations, BINDING)["ClusterRoleBinding/monitoring"].attributes
    assert binding["role_risky"] == ["secrets_read"]
    plain = by_id(observations, ROLE)["ClusterRole/monitoring-metrics"].attributes
    assert plain["aggregated"] is False and plain["aggregated_from"] == []


def test_cluster_admin_bindings(collected) -> None:
    observations, _ = collected
    bindings = by_id(observations, BINDING)
    ops = bindings["ClusterRoleBinding/ops-admins"].attributes
    assert ops["grants_cluster_admin"] is True and ops["cluster_wide"] is True
    assert ops["principals"] == ["alice@example.com"] and ops["builtin"] is False
    assert ops["role_ref_kind"] == "ClusterRole" and ops["role_ref_name"] == "cluster-admin"
    # a custom role with wildcard verbs, resources and groups is cluster-admin by another name
    assert bindings["ClusterRoleBinding/platform-admins"].attributes["grants_cluster_admin"] is True
    default = bindings["ClusterRoleBinding/cluster-admin"].attributes
    assert default["builtin"] is True and default["flagged_subjects"] == ["system:masters"]
    assert default["subjects"] == [
        {
            "kind": "Group",
            "name": "system:masters",
            "namespace": None,
            "flag": "superuser group (bypasses RBAC)",
        }
    ]
    assert bindings["ClusterRoleBinding/ci-deployer"].attributes["grants_cluster_admin"] is False
    assert bindings["ClusterRoleBinding/ci-deployer"].attributes["role_risky"] == [
        "escalate",
        "bind",
    ]


def test_anonymous_and_all_authenticated_subjects(collected) -> None:
    observations, _ = collected
    bindings = by_id(observations, BINDING)
    anonymous = bindings["ClusterRoleBinding/anonymous-view"].attributes
    assert anonymous["anonymous_or_all_authenticated"] is True
    assert anonymous["flagged_subjects"] == ["system:anonymous"]
    public = bindings["ClusterRoleBinding/system:public-info-viewer"].attributes
    assert public["anonymous_or_all_authenticated"] is True and public["builtin"] is True
    assert (
        bindings["ClusterRoleBinding/ops-admins"].attributes["anonymous_or_all_authenticated"]
        is False
    )
    exec_binding = bindings["team-a/RoleBinding/exec"].attributes
    assert exec_binding["namespace"] == "team-a" and exec_binding["cluster_wide"] is False
    assert exec_binding["role_risky"] == ["pods_exec"]
    # a RoleBinding's service-account subject without a namespace is in the binding's namespace
    reader = bindings["team-a/RoleBinding/app-reader"].attributes
    assert reader["principals"] == ["system:serviceaccount:team-a:web"]


def test_binding_to_a_missing_role_is_a_gap_not_harmless(collected) -> None:
    observations, _ = collected
    ghost = by_id(observations, BINDING)["ClusterRoleBinding/ghost"]
    assert "role_risky" not in ghost.attributes and "grants_cluster_admin" not in ghost.attributes
    assert ghost.gaps["role_risky"] == "ClusterRole/does-not-exist is referenced but does not exist"
    assert ghost.attributes["principals"] == ["bob@example.com"]


def test_service_accounts(collected) -> None:
    observations, _ = collected
    accounts = by_id(observations, ACCOUNT)
    assert set(accounts) == {
        "team-a/web",
        "team-a/batch",
        "ci/deployer",
        "monitoring/prometheus",
        "default/default",
    }
    web = accounts["team-a/web"].attributes
    assert web["automount_token"] is True and web["explicitly_set"] is False
    assert web["bound_roles"] == ["team-a/Role/app-reader", "team-a/Role/app-secrets"]
    assert web["group_bound_roles"] == [
        "ClusterRole/ns-reader",
        "ClusterRole/system:public-info-viewer",
    ]
    assert web["privileged"] is True
    batch = accounts["team-a/batch"].attributes
    assert (batch["automount_token"], batch["explicitly_set"], batch["privileged"]) == (
        False,
        True,
        False,
    )
    assert batch["bound_roles"] == []
    deployer = accounts["ci/deployer"].attributes
    assert deployer["automount_token"] is True and deployer["explicitly_set"] is True
    assert deployer["bound_roles"] == ["ClusterRole/role-escalator"] and deployer["privileged"]
    assert accounts["monitoring/prometheus"].attributes["privileged"] is True  # aggregated role
    assert accounts["default/default"].attributes["privileged"] is False


def test_forbidden_cluster_roles_leave_bindings_observed_with_gaps(estate: FakeApiServer) -> None:
    estate.deny(RBAC, "clusterroles")
    observations, notes = collect(estate)
    assert len(notes) == 1
    assert notes[0].startswith("RBAC clusterroles not listed: PermissionDenied [403]")
    roles = by_id(observations, ROLE)
    assert set(roles) == {"team-a/Role/app-reader", "team-a/Role/app-secrets"}
    bindings = by_id(observations, BINDING)
    assert len(bindings) == 13
    view = bindings["ClusterRoleBinding/anonymous-view"]
    assert "role_risky" in view.gaps and "grants_cluster_admin" in view.gaps
    assert (
        "ClusterRole/view unknown: clusterroles not listed: PermissionDenied"
        in view.gaps["role_risky"]
    )
    assert view.attributes["anonymous_or_all_authenticated"] is True
    ops = bindings["ClusterRoleBinding/ops-admins"]
    assert ops.attributes["grants_cluster_admin"] is True  # cluster-admin by name
    assert "role_risky" in ops.gaps
    # a RoleBinding to a Role is still fully judged; one to a ClusterRole is not
    assert bindings["team-a/RoleBinding/app-secrets"].attributes["role_risky"] == ["secrets_read"]
    assert "role_risky" in bindings["team-a/RoleBinding/exec"].gaps
    accounts = by_id(observations, ACCOUNT)
    assert accounts["team-a/web"].attributes["privileged"] is True  # app-secrets is known
    assert "privileged" in accounts["default/default"].gaps  # only ClusterRoles, all unknown
    assert accounts["default/default"].attributes["bound_roles"] == []
    # the gaps reach the rules as errors, never passes
    engine = RuleEngine(load_rules())
    [evaluation] = [
        e for e in engine.evaluate(view) if e.rule_id.endswith("cluster-admin-restricted")
    ]
    assert evaluation.status == "error" and "evidence gap" in evaluation.reason


def test_forbidden_binding_listings_make_counts_and_bound_roles_gaps(estate: FakeApiServer) -> None:
    estate.deny(RBAC, "rolebindings")
    observations, notes = collect(estate)
    assert len(notes) == 1 and "rolebindings not listed" in notes[0]
    roles = by_id(observations, ROLE)
    assert "bindings" in roles["ClusterRole/pod-exec"].gaps  # RoleBindings may reference it
    assert "bindings" in roles["team-a/Role/app-reader"].gaps
    assert roles["ClusterRole/pod-exec"].attributes["risky"] == ["pods_exec"]
    bindings = by_id(observations, BINDING)
    assert len(bindings) == 10 and not any(
        b.gaps for k, b in bindings.items() if k != "ClusterRoleBinding/ghost"
    )
    web = by_id(observations, ACCOUNT)["team-a/web"]
    assert {"bound_roles", "group_bound_roles", "privileged"} <= set(web.gaps)
    assert web.attributes["automount_token"] is True


def test_every_listing_forbidden_fails_the_unit(kube_api: FakeApiServer) -> None:
    for plural in ("clusterroles", "roles", "clusterrolebindings", "rolebindings"):
        kube_api.deny(RBAC, plural)
    kube_api.deny("", "serviceaccounts")
    with pytest.raises(Exception, match="forbidden"):
        collect(kube_api)


def test_listings_page_through_small_pages(estate: FakeApiServer) -> None:
    session = open_session(estate, page_size=2)
    paged, counter = run_unit(RbacConnector, estate, session=session)
    clusterroles = estate.requested(f"/apis/{RBAC}/v1/clusterroles")
    whole, _ = run_unit(RbacConnector, estate)
    assert [(o.kind, o.resource_id, o.attributes) for o in paged] == [
        (o.kind, o.resource_id, o.attributes) for o in whole
    ]
    pages = {
        "clusterroles": 7,  # 14 ClusterRoles
        "clusterrolebindings": 5,  # 10
        "rolebindings": 2,  # 3
        "serviceaccounts": 3,  # 5
    }
    for plural, count in pages.items():
        assert counter.operations[f"list {plural}{'.' + RBAC if 'role' in plural else ''}"] == count
    assert sum("continue=" in query for _, _, query in clusterroles) == 6
    assert all("limit=2" in query for _, _, query in clusterroles)


def test_declared_permissions_cover_every_request(collected) -> None:
    _, counter = collected
    assert set(counter.operations) == set(RbacConnector.permissions)


def test_rules_judge_the_estate(collected) -> None:
    observations, _ = collected
    engine = RuleEngine([r for r in load_rules() if r.id.startswith("kubernetes.rbac.")])
    status = {
        (e.rule_id.split(".", 2)[2], o.resource_id): e.status
        for o in observations
        for e in engine.evaluate(o)
    }
    assert status["binding.cluster-admin-restricted", "ClusterRoleBinding/ops-admins"] == "fail"
    assert (
        status["binding.cluster-admin-restricted", "ClusterRoleBinding/platform-admins"] == "fail"
    )
    assert status["binding.cluster-admin-restricted", "ClusterRoleBinding/break-glass"] == "pass"
    assert status["binding.cluster-admin-restricted", "ClusterRoleBinding/cluster-admin"] == (
        "not_applicable"
    )
    assert status["binding.cluster-admin-restricted", "ClusterRoleBinding/ghost"] == "error"
    anonymous = "binding.no-anonymous-or-all-authenticated"
    assert status[anonymous, "ClusterRoleBinding/anonymous-view"] == "fail"
    assert status[anonymous, "ClusterRoleBinding/system:public-info-viewer"] == "not_applicable"
    assert status[anonymous, "ClusterRoleBinding/ci-deployer"] == "pass"
    assert status["role.no-wildcards", "ClusterRole/wildcard-everything"] == "fail"
    assert status["role.no-wildcards", "ClusterRole/cluster-admin"] == "not_applicable"
    assert status["role.no-privilege-escalation", "ClusterRole/impersonator"] == "fail"
    assert status["role.no-secrets-read", "ClusterRole/monitoring"] == "fail"
    assert status["role.no-secrets-read", "ClusterRole/named-secret-reader"] == "pass"
    assert status["role.no-pods-exec", "ClusterRole/pod-exec"] == "fail"
    assert status["role.no-nodes-proxy", "ClusterRole/node-proxy"] == "fail"
    assert status["role.no-nodes-proxy", "team-a/Role/app-reader"] == "pass"
    automount = "service_account.privileged-token-not-automounted"
    assert status[automount, "team-a/web"] == "fail"
    assert status[automount, "ci/deployer"] == "fail"
    assert status[automount, "monitoring/prometheus"] == "pass"  # privileged, no automount
    assert status[automount, "default/default"] == "pass"  # automounts, not privileged


def test_secret_values_never_reach_observations(collected) -> None:
    observations, _ = collected
    assert SECRET_SENTINEL not in repr(observations)
    assert "web-token" not in repr(observations)  # service accounts' token secret names
