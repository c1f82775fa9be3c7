"""The Kubernetes session: kubeconfig and TLS, the read-only guard, paging, retries, errors."""

from __future__ import annotations

import pytest
from kubernetes import client

from annexa.connectors.calls import CallCounter, counting
from annexa.connectors.errors import (
    ConfigurationError,
    MutationRefused,
    NotApplicable,
    PermissionDenied,
    TransientError,
)
from annexa.connectors.kubernetes.errors import translate
from annexa.connectors.kubernetes.guard import check, classify
from annexa.connectors.kubernetes.provider import KubernetesProvider, KubernetesTarget
from tests.support.kube import SETTINGS, FakeApiServer, open_session, pod


@pytest.mark.parametrize(
    ("path", "query", "permission"),
    [
        ("/api/v1/pods", "limit=500", "list pods"),
        ("/api/v1/namespaces/a/pods", "", "list pods"),
        ("/api/v1/namespaces/a/pods/web", "", "get pods"),
        ("/api/v1/namespaces", "", "list namespaces"),
        ("/api/v1/namespaces/kube-system", "", "get namespaces"),
        (
            "/apis/rbac.authorization.k8s.io/v1/clusterroles",
            "",
            "list clusterroles.rbac.authorization.k8s.io",
        ),
        (
            "/apis/serving.kserve.io/v1beta1/namespaces/ml/inferenceservices",
            "",
            "list inferenceservices.serving.kserve.io",
        ),
        ("/healthz", "verbose=true", "get /healthz"),
        ("/version", "", "get /version"),
        ("/apis/apps/v1", "", "get /apis/apps/v1"),
    ],
)
def test_requests_are_named_as_rbac_permissions(path: str, query: str, permission: str) -> None:
    assert classify("GET", path, query).permission == permission


@pytest.mark.parametrize(
    ("method", "path", "query"),
    [
        ("GET", "/api/v1/secrets", ""),
        ("GET", "/api/v1/namespaces/a/secrets/token", ""),
        ("GET", "/api/v1/namespaces/a/pods/web/log", ""),
        ("GET", "/api/v1/namespaces/a/pods/web/exec", "command=sh"),
        ("GET", "/api/v1/nodes/n1/proxy", ""),
        ("GET", "/api/v1/pods", "watch=true"),
        ("POST", "/api/v1/namespaces", ""),
        ("DELETE", "/api/v1/namespaces/a/pods/web", ""),
        ("PATCH", "/apis/apps/v1/namespaces/a/deployments/web", ""),
    ],
)
def test_guard_refuses_writes_watches_and_secret_reads(method: str, path: str, query: str) -> None:
    with pytest.raises(MutationRefused):
        check(method, path, query)


def test_guard_stops_requests_before_they_are_sent(kube_api: FakeApiServer) -> None:
    session = open_session(kube_api)
    core = session.api(client.CoreV1Api)
    sent = len(kube_api.requests)
    with pytest.raises(MutationRefused):
        core.list_secret_for_all_namespaces()
    with pytest.raises(MutationRefused):
        core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name="x")))
    with pytest.raises(MutationRefused):
        core.read_namespaced_pod_log("web", "default")
    assert len(kube_api.requests) == sent  # nothing reached the server


def test_listing_pages_through_continue_tokens(kube_api: FakeApiServer) -> None:
    kube_api.add(*(pod(f"p{i:03}", f"ns{i % 3}") for i in range(23)))
    session = open_session(kube_api, page_size=5)
    counter = CallCounter()
    with counting(counter):
        names = [
            p.metadata.name
            for p in session.list_all(session.api(client.CoreV1Api).list_pod_for_all_namespaces)
        ]
    assert names == [f"p{i:03}" for i in range(23)]
    pages = kube_api.requested("/api/v1/pods")
    assert len(pages) == 5 and counter.requests == 5
    assert all("limit=5" in query for _, _, query in pages)
    assert sum("continue=" in query for _, _, query in pages) == 4
    assert counter.operations["list pods"] == 5


def test_custom_object_listings_page_too(kube_api: FakeApiServer) -> None:
    from tests.support.kube import KSERVE, obj

    kube_api.install(KSERVE)
    kube_api.add(
        *(
            obj("serving.kserve.io/v1beta1", "InferenceService", f"m{i}", "ml", spec={})
            for i in range(7)
        )
    )
    session = open_session(kube_api, page_size=3)
    custom = session.api(client.CustomObjectsApi)
    items = list(
        session.list_all(
            custom.list_cluster_custom_object, "serving.kserve.io", "v1beta1", "inferenceservices"
        )
    )
    assert [i["metadata"]["name"] for i in items] == [f"m{i}" for i in range(7)]


def test_throttling_and_server_errors_are_retried(kube_api: FakeApiServer) -> None:
    kube_api.add(pod("web"))
    kube_api.fail("", "pods", 429, 503)
    session = open_session(kube_api)
    counter = CallCounter()
    with counting(counter):
        pods = list(session.list_all(session.api(client.CoreV1Api).list_pod_for_all_namespaces))
    assert [p.metadata.name for p in pods] == ["web"]
    assert counter.requests == 3  # two failures, then the answer; every attempt counted


def test_retries_that_run_out_are_transient_gaps(kube_api: FakeApiServer) -> None:
    kube_api.fail("", "pods", 503, 503, 503)
    session = open_session(kube_api)  # SETTINGS.max_attempts == 3
    with pytest.raises(Exception) as raised:
        list(session.list_all(session.api(client.CoreV1Api).list_pod_for_all_namespaces))
    error = translate(raised.value)
    assert isinstance(error, TransientError) and "503" in error.describe()


def test_forbidden_is_denied_and_missing_types_not_applicable(kube_api: FakeApiServer) -> None:
    kube_api.deny("rbac.authorization.k8s.io", "clusterroles")
    session = open_session(kube_api)
    with pytest.raises(Exception) as forbidden:
        session.api(client.RbacAuthorizationV1Api).list_cluster_role(limit=10)
    denied = translate(forbidden.value)
    assert isinstance(denied, PermissionDenied)
    assert 'cannot list resource "clusterroles"' in denied.describe()
    with pytest.raises(Exception) as missing:
        session.api(client.CustomObjectsApi).list_cluster_custom_object(
            "serving.kserve.io", "v1beta1", "inferenceservices"
        )
    assert isinstance(translate(missing.value), NotApplicable)


def test_https_with_the_kubeconfig_ca(tmp_path) -> None:
    with FakeApiServer(tls=True).running() as server:
        server.add(pod("web"))
        session = open_session(server)
        pods = list(session.list_all(session.api(client.CoreV1Api).list_pod_for_all_namespaces))
        assert session.version()["gitVersion"] == "v1.31.4"
        assert [p.metadata.name for p in pods] == ["web"]
        assert server.url.startswith("https://")


def test_account_is_the_contexts_cluster_or_the_configured_name(kube_api: FakeApiServer) -> None:
    assert open_session(kube_api).account == "fake-cluster"
    assert open_session(kube_api, cluster="prod-eu").account == "prod-eu"


def test_bad_credentials_fail_the_session_as_denied(kube_api: FakeApiServer, tmp_path) -> None:
    target = KubernetesTarget(
        name="t", kubeconfig=str(kube_api.kubeconfig(tmp_path, token="wrong"))
    )
    with pytest.raises(Exception) as raised:
        KubernetesProvider().open_session(target, SETTINGS)
    assert isinstance(translate(raised.value), PermissionDenied)


def test_kubeconfig_problems_are_configuration_errors(kube_api: FakeApiServer, tmp_path) -> None:
    provider = KubernetesProvider()
    with pytest.raises(ConfigurationError, match="does not exist"):
        provider.open_session(
            KubernetesTarget(name="t", kubeconfig=str(tmp_path / "nope")), SETTINGS
        )
    path = str(kube_api.kubeconfig(tmp_path))
    with pytest.raises(ConfigurationError, match=r"no context 'staging'.*fake"):
        provider.open_session(
            KubernetesTarget(name="t", kubeconfig=path, context="staging"), SETTINGS
        )
    with pytest.raises(ValueError, match="in_cluster"):
        KubernetesTarget(name="t", in_cluster=True, kubeconfig=path)


def test_unreachable_api_server_is_transient(tmp_path) -> None:
    server = FakeApiServer()
    with server.running():
        path = server.kubeconfig(tmp_path)
    target = KubernetesTarget(name="t", kubeconfig=str(path))
    with pytest.raises(Exception) as raised:
        KubernetesProvider().open_session(target, SETTINGS)
    assert isinstance(translate(raised.value), TransientError)


def test_fake_server_filters_by_label_selector(kube_api: FakeApiServer) -> None:
    from tests.support.kube import obj

    kube_api.add(
        pod(
            "kube-apiserver-cp1",
            "kube-system",
            metadata={"labels": {"component": "kube-apiserver"}},
        ),
        pod("coredns-1", "kube-system", metadata={"labels": {"k8s-app": "kube-dns"}}),
    )
    kube_api.add(obj("v1", "ServiceAccount", "default", "kube-system"))
    session = open_session(kube_api)
    core = session.api(client.CoreV1Api)
    found = list(
        session.list_all(
            core.list_namespaced_pod, "kube-system", label_selector="component=kube-apiserver"
        )
    )
    assert [p.metadata.name for p in found] == ["kube-apiserver-cp1"]


def test_in_cluster_uses_the_pods_service_account(tmp_path, monkeypatch) -> None:
    from kubernetes.config import incluster_config

    with FakeApiServer(tls=True).running() as server:
        server.add(pod("web"))
        (tmp_path / "token").write_text(server.token)
        (tmp_path / "ca.crt").write_bytes(server.ca_pem)
        monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(tmp_path / "token"))
        monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(tmp_path / "ca.crt"))
        monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        monkeypatch.setenv("KUBERNETES_SERVICE_PORT", server.url.rsplit(":", 1)[1])
        target = KubernetesTarget(name="in-cluster", in_cluster=True)
        session = KubernetesProvider().open_session(target, SETTINGS)
        pods = list(session.list_all(session.api(client.CoreV1Api).list_pod_for_all_namespaces))
    assert session.account == "in-cluster"
    assert [p.metadata.name for p in pods] == ["web"]


def test_in_cluster_outside_a_cluster_is_a_configuration_error() -> None:
    with pytest.raises(Exception) as raised:
        KubernetesProvider().open_session(KubernetesTarget(name="t", in_cluster=True), SETTINGS)
    error = translate(raised.value)
    assert isinstance(error, ConfigurationError) and "service" in error.describe().lower()
