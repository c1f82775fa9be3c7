"""Workloads through the real client against the fake API server; pod-spec analysis directly."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from kubernetes import client

from annexa.connectors.calls import CallCounter
from annexa.connectors.errors import PermissionDenied
from annexa.connectors.kubernetes.podspec import analyse, latest, runtime_socket, secret_detector
from annexa.connectors.kubernetes.workloads import KIND, WorkloadsConnector
from annexa.connectors.records import Observation
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.kube import FakeApiServer, by_id, open_session, pod, run_unit
from tests.support.kube_estates.workloads import SECRET_VALUES, hardened, seed

RULE = "kubernetes.workloads.workload."


@pytest.fixture
def estate(kube_api: FakeApiServer) -> FakeApiServer:
    seed(kube_api)
    return kube_api


@pytest.fixture(scope="module")
def seeded() -> Iterator[tuple[list[Observation], CallCounter]]:
    """One collection of the whole estate, shared by the tests that only read it."""
    with FakeApiServer().running() as server:
        seed(server)
        yield run_unit(WorkloadsConnector, server)


@pytest.fixture(scope="module")
def found(seeded: tuple[list[Observation], CallCounter]) -> dict[str, Observation]:
    return by_id(seeded[0], KIND)


def collect(server: FakeApiServer, **options: object) -> tuple[dict[str, Observation], list[str]]:
    """The unit's observations by id and its notes."""
    notes: list[str] = []
    session = open_session(server, **options)
    observations, _ = run_unit(WorkloadsConnector, server, session, notes=notes)
    return by_id(observations, KIND), notes


def test_one_observation_per_top_level_workload(
    seeded: tuple[list[Observation], CallCounter],
) -> None:
    observations, counter = seeded
    assert sorted(by_id(observations, KIND)) == [
        "batch/CronJob/report",
        "batch/Job/migrate",
        "kube-system/DaemonSet/kube-proxy",
        "kube-system/Pod/kube-apiserver-cp1",
        "monitoring/DaemonSet/node-agent",
        "shop/Deployment/api",
        "shop/Deployment/idle",
        "shop/Deployment/web",
        "shop/Pod/debug",
        "shop/ReplicaSet/legacy",
        "shop/ReplicationController/old",
        "shop/StatefulSet/db",
    ]
    assert set(counter.operations) == set(WorkloadsConnector.permissions)
    assert all(count == 1 for count in counter.operations.values())


def test_owner_resolution_through_replicasets_and_jobs(found: dict[str, Observation]) -> None:
    web = found["shop/Deployment/web"].attributes
    assert (web["workload_kind"], web["name"], web["namespace"]) == ("Deployment", "web", "shop")
    assert web["pods"] == 2 and web["owner"] is None  # Pod -> ReplicaSet web-6d4 -> Deployment
    report = found["batch/CronJob/report"].attributes
    assert report["pods"] == 1  # Pod -> Job report-28911 -> CronJob
    assert found["batch/Job/migrate"].attributes["pods"] == 0  # its only pod Succeeded
    assert found["shop/Deployment/idle"].attributes["pods"] == 0  # scaled to zero
    static = found["kube-system/Pod/kube-apiserver-cp1"].attributes
    assert static["owner"] == "Node/cp1" and static["pods"] == 1
    bare = found["shop/Pod/debug"].attributes
    assert bare["workload_kind"] == "Pod" and bare["owner"] is None
    assert bare["pods"] == 1 and bare["injected_containers"] == []


def test_hardened_workload_has_no_findings(found: dict[str, Observation]) -> None:
    web = found["shop/Deployment/web"]
    attrs = web.attributes
    assert not web.gaps
    for empty in (
        "injected_containers",
        "privileged_containers",
        "privilege_escalation_containers",
        "host_path_volumes",
        "runtime_socket_mounts",
        "unpinned_images",
        "latest_images",
        "containers_without_limits",
        "run_as_root_possible",
        "secret_env_vars",
    ):
        assert attrs[empty] == [], empty
    assert attrs["added_capabilities"] == {} and attrs["dangerous_capabilities"] == {}
    assert not (attrs["host_pid"] or attrs["host_ipc"] or attrs["host_network"])
    assert attrs["root_host_mount"] is False
    assert attrs["service_account"] == "web" and attrs["containers"] == ["app"]
    evaluations = RuleEngine(load_rules()).evaluate(web)
    assert {e.status for e in evaluations} == {"pass"} and len(evaluations) == 13


def test_injected_privileged_sidecar_seen_only_in_the_pod(found: dict[str, Observation]) -> None:
    api = found["shop/Deployment/api"].attributes
    assert api["injected_containers"] == ["mesh-proxy"]
    assert api["containers"] == ["app", "mesh-proxy"]
    assert api["privileged_containers"] == ["mesh-proxy"]
    assert api["privilege_escalation_containers"] == ["mesh-proxy"]
    assert api["unpinned_images"] == ["registry.example/mesh:1.2"]
    assert api["containers_without_limits"] == ["mesh-proxy"]


def test_host_access_capabilities_and_runtime_socket(found: dict[str, Observation]) -> None:
    agent = found["monitoring/DaemonSet/node-agent"].attributes
    assert agent["host_pid"] and agent["host_ipc"] and agent["host_network"]
    assert agent["host_path_volumes"] == ["/", "/var/log", "/var/run/docker.sock"]
    assert agent["runtime_socket_mounts"] == ["/var/run/docker.sock"]
    assert agent["root_host_mount"] is True
    assert agent["added_capabilities"] == {"agent": ["CHOWN", "NET_RAW", "SYS_ADMIN"]}
    assert agent["dangerous_capabilities"] == {"agent": ["NET_RAW", "SYS_ADMIN"]}
    assert agent["privileged_containers"] == []
    assert agent["privilege_escalation_containers"] == ["agent"]  # SYS_ADMIN implies it
    assert agent["unpinned_images"] == ["registry.example/agent:2.1"]
    assert agent["latest_images"] == []
    idle = found["shop/Deployment/idle"].attributes  # evidenced by its template alone
    assert idle["privileged_containers"] == ["debug"] and idle["run_as_root_possible"] == ["debug"]
    debug = found["shop/Pod/debug"].attributes  # the ephemeral container counts
    assert debug["containers"] == ["debug", "shell"]
    assert debug["privilege_escalation_containers"] == ["debug", "shell"]
    assert debug["latest_images"] == ["busybox"]
    assert debug["containers_without_limits"] == []  # ephemeral containers cannot set limits


def test_literal_secrets_named_never_stored(
    seeded: tuple[list[Observation], CallCounter],
) -> None:
    observations, _ = seeded
    db = by_id(observations, KIND)["shop/StatefulSet/db"].attributes
    assert db["secret_env_vars"] == [
        {"container": "postgres", "variable": "POSTGRES_PASSWORD", "detector": "secret-name"},
        {"container": "postgres", "variable": "S3_KEY_ID", "detector": "aws-access-key-id"},
        {"container": "postgres", "variable": "UPSTREAM", "detector": "high-entropy"},
    ]  # DB_TOKEN (secretKeyRef), LOG_LEVEL=debug and USE_TOKEN=true are not flagged
    assert db["latest_images"] == ["postgres"] and db["containers_without_limits"] == ["postgres"]
    dumped = json.dumps([(o.resource_id, o.attributes, o.gaps) for o in observations])
    for value in SECRET_VALUES:
        assert value not in dumped
    assert "hunter2" not in dumped


def test_effective_token_automount(found: dict[str, Observation]) -> None:
    assert found["shop/Deployment/api"].attributes["automount_token"] is False  # pod false, SA true
    assert found["shop/Deployment/web"].attributes["automount_token"] is False  # SA false
    assert found["shop/StatefulSet/db"].attributes["automount_token"] is True  # default
    assert found["batch/CronJob/report"].attributes["automount_token"] is False  # SA default false


def test_pods_forbidden_workloads_still_observed_from_templates(estate: FakeApiServer) -> None:
    estate.deny("", "pods")
    found, notes = collect(estate)
    assert "shop/Pod/debug" not in found and "kube-system/Pod/kube-apiserver-cp1" not in found
    api = found["shop/Deployment/api"]
    assert set(api.gaps) == {"pods", "injected_containers"}
    assert api.gaps["pods"].startswith("pods not listed: PermissionDenied [403]")
    assert "pods" not in api.attributes
    assert api.attributes["privileged_containers"] == []  # the sidecar is invisible now
    agent = found["monitoring/DaemonSet/node-agent"].attributes
    assert agent["runtime_socket_mounts"] == ["/var/run/docker.sock"]
    assert [n for n in notes if "Pod not listed" in n and "PermissionDenied" in n]


def test_service_accounts_forbidden_automount_is_a_gap_unless_explicit(
    estate: FakeApiServer,
) -> None:
    estate.deny("", "serviceaccounts")
    found, notes = collect(estate)
    assert found["shop/Deployment/api"].attributes["automount_token"] is False  # set on the pod
    db = found["shop/StatefulSet/db"]
    assert "automount_token" not in db.attributes
    assert "ServiceAccounts not listed" in db.gaps["automount_token"]
    assert [n for n in notes if "ServiceAccount not listed" in n]
    [evaluation] = [
        e for e in RuleEngine(load_rules()).evaluate(db) if e.rule_id == RULE + "token-automount"
    ]
    assert evaluation.status == "error"


def test_replicasets_and_jobs_forbidden_pods_still_reach_their_workloads(
    estate: FakeApiServer,
) -> None:
    estate.deny("apps", "replicasets")
    estate.deny("batch", "jobs")
    found, notes = collect(estate)
    assert found["shop/Deployment/web"].attributes["pods"] == 2  # by pod-template-hash
    assert found["batch/CronJob/report"].attributes["pods"] == 1  # report-28911 -> report
    assert "shop/ReplicaSet/legacy" not in found and "batch/Job/migrate" not in found
    assert len([n for n in notes if "not listed" in n]) == 2


def test_deployments_forbidden_observed_from_their_pods(estate: FakeApiServer) -> None:
    estate.deny("apps", "deployments")
    found, _ = collect(estate)
    api = found["shop/Deployment/api"]  # through ReplicaSet api-7f9's owner
    assert api.attributes["pods"] == 1
    assert api.attributes["privileged_containers"] == ["mesh-proxy"]
    assert "template was not listed" in api.gaps["injected_containers"]
    assert "shop/Deployment/idle" not in found  # no pods, no template: missing, and noted


def test_every_listing_forbidden_denies_the_unit(kube_api: FakeApiServer) -> None:
    for group, plural in (
        ("apps", "deployments"),
        ("apps", "statefulsets"),
        ("apps", "daemonsets"),
        ("apps", "replicasets"),
        ("batch", "jobs"),
        ("batch", "cronjobs"),
        ("", "replicationcontrollers"),
        ("", "serviceaccounts"),
        ("", "pods"),
    ):
        kube_api.deny(group, plural)
    with pytest.raises(PermissionDenied):
        run_unit(WorkloadsConnector, kube_api)


def test_pods_are_paged_and_only_aggregated(estate: FakeApiServer) -> None:
    estate.add(
        *(
            pod(
                f"web-6d4-{i:02}",
                "shop",
                containers=[hardened()],
                owner={"kind": "ReplicaSet", "name": "web-6d4"},
                metadata={"labels": {"app": "x", "pod-template-hash": "6d4"}},
                serviceAccountName="web",
            )
            for i in range(20)
        )
    )
    session = open_session(estate, page_size=2)
    observations, counter = run_unit(WorkloadsConnector, estate, session=session)
    web = by_id(observations, KIND)["shop/Deployment/web"].attributes
    assert web["pods"] == 22 and web["injected_containers"] == []
    pages = estate.requested("/api/v1/pods")
    assert len(pages) == 15  # 29 pods, 2 a page
    assert sum("continue=" in query for _, _, query in pages) == 14
    assert all("limit=2" in query for _, _, query in pages)
    assert counter.operations["list pods"] == 15
    assert set(counter.operations) <= set(WorkloadsConnector.permissions)


def test_rules_on_the_estate(found: dict[str, Observation]) -> None:
    engine = RuleEngine(load_rules())

    def status(resource: str, rule: str) -> str:
        [evaluation] = [e for e in engine.evaluate(found[resource]) if e.rule_id == RULE + rule]
        return evaluation.status

    assert status("shop/Deployment/api", "no-privileged") == "fail"
    assert status("kube-system/DaemonSet/kube-proxy", "no-privileged") == "not_applicable"
    assert status("monitoring/DaemonSet/node-agent", "no-runtime-socket") == "fail"
    assert status("monitoring/DaemonSet/node-agent", "no-dangerous-capabilities") == "fail"
    assert status("shop/StatefulSet/db", "no-literal-secrets") == "fail"
    assert status("batch/CronJob/report", "no-latest-tag") == "fail"
    assert status("shop/StatefulSet/db", "token-automount") == "fail"


# ---- pod-spec analysis ------------------------------------------------------------------------


def spec(*containers: client.V1Container, **fields: object) -> client.V1PodSpec:
    return client.V1PodSpec(containers=list(containers), **fields)


def box(context: client.V1SecurityContext | None = None, **fields: object) -> client.V1Container:
    return client.V1Container(name="c", image="app:1", security_context=context, **fields)


@pytest.mark.parametrize(
    ("context", "pod_context", "escalates", "root"),
    [
        (None, None, True, True),
        (client.V1SecurityContext(allow_privilege_escalation=False), None, False, True),
        (
            client.V1SecurityContext(allow_privilege_escalation=True, run_as_user=1000),
            None,
            True,
            False,
        ),
        # unset: allowed unless non-root and dropping ALL
        (
            client.V1SecurityContext(capabilities=client.V1Capabilities(drop=["ALL"])),
            client.V1PodSecurityContext(run_as_non_root=True),
            False,
            False,
        ),
        (
            client.V1SecurityContext(capabilities=client.V1Capabilities(drop=["ALL"])),
            None,
            True,
            True,
        ),
        (client.V1SecurityContext(run_as_user=1000), None, True, False),
        (
            client.V1SecurityContext(run_as_user=0),
            client.V1PodSecurityContext(run_as_non_root=True),
            True,
            True,
        ),
        (
            client.V1SecurityContext(privileged=True, allow_privilege_escalation=False),
            None,
            True,
            True,
        ),
        (
            client.V1SecurityContext(
                allow_privilege_escalation=False,
                capabilities=client.V1Capabilities(add=["CAP_SYS_ADMIN"]),
            ),
            None,
            True,
            True,
        ),
    ],
)
def test_escalation_and_root(context, pod_context, escalates: bool, root: bool) -> None:
    findings = analyse(spec(box(context), security_context=pod_context)).attributes()
    assert (findings["privilege_escalation_containers"] == ["c"]) is escalates
    assert (findings["run_as_root_possible"] == ["c"]) is root


def test_init_containers_count_and_limits_need_cpu_and_memory() -> None:
    init = client.V1Container(
        name="init",
        image="init:latest",
        resources=client.V1ResourceRequirements(limits={"cpu": "1"}),
    )
    limited = box(resources=client.V1ResourceRequirements(limits={"cpu": "1", "memory": "1Gi"}))
    findings = analyse(spec(limited, init_containers=[init])).attributes()
    assert findings["containers"] == ["c", "init"]
    assert findings["containers_without_limits"] == ["init"]
    assert findings["latest_images"] == ["init:latest"]


@pytest.mark.parametrize(
    ("image", "is_latest"),
    [
        ("nginx", True),
        ("nginx:latest", True),
        ("registry:5000/team/app", True),
        ("registry:5000/team/app:1.2", False),
        ("nginx:latest@sha256:" + "c" * 64, False),
        ("nginx:1.27", False),
    ],
)
def test_latest_tags(image: str, is_latest: bool) -> None:
    assert latest(image) is is_latest


@pytest.mark.parametrize(
    ("path", "socket"),
    [
        ("/var/run/docker.sock", True),
        ("/run/containerd/containerd.sock", True),
        ("/var/run/crio/crio.sock", True),
        ("/run/k3s/containerd/containerd.sock", True),
        ("/var/run/cri-dockerd.sock", True),
        ("/var/run/", True),
        ("/run", True),
        ("/run/containerd", True),
        ("/var/log", False),
        ("/var/lib/kubelet", False),
        ("/", False),  # reported as root_host_mount
    ],
)
def test_runtime_sockets(path: str, socket: bool) -> None:
    assert runtime_socket(path) is socket


def test_root_host_mount_spelled_oddly() -> None:
    volume = client.V1Volume(name="root", host_path=client.V1HostPathVolumeSource(path="//"))
    assert analyse(spec(box(), volumes=[volume])).attributes()["root_host_mount"] is True


@pytest.mark.parametrize(
    ("name", "value", "detector"),
    [
        ("DB_PASSWORD", "s3cret", "secret-name"),
        ("API_KEY", "abc123", "secret-name"),
        ("AWS_SECRET_ACCESS_KEY", "x" * 10, "secret-name"),
        ("GITHUB_CREDENTIAL", "x" * 10, "secret-name"),
        (
            "CONFIG",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
            "private-key",
        ),
        (
            "SESSION",
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
            "jwt",
        ),
        ("DSN", "postgresql://app:pa55word@db:5432/app", "url-password"),
        ("DB_PASSWORD", "", None),
        ("DB_PASSWORD", "$(OTHER)", None),
        ("ENABLE_TOKEN", "true", None),
        ("DB_PASSWORD_FILE", "/etc/db/password", None),
        ("CHECKSUM", "a" * 12 + "0123456789abcdef" * 3, None),  # hex digests are not secrets
        ("LOG_LEVEL", "debug", None),
    ],
)
def test_secret_detection(name: str, value: str, detector: str | None) -> None:
    assert secret_detector(name, value) == detector
