"""A fake Kubernetes API server for the real ``kubernetes`` client, and helpers to use it.

It serves schema-valid objects over HTTP (or HTTPS with a self-signed certificate) the way an API
server does: typed lists (``PodList`` with ``kind``/``apiVersion``/``metadata``/``items``) for
cluster-wide, namespaced and cluster-scoped listings, single objects, ``limit``/``continue``
pagination, equality ``labelSelector``s, ``Status`` bodies for errors, bearer-token authentication, ``/version`` and
``/healthz``. Custom resources are served only once their type is installed (a cluster without
the KServe CRDs answers 404, as a real one does). Tests can deny a resource type (403), make one
fail a few times (429, 503) before it answers, and read the log of every request received.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import re
import ssl
import tempfile
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from annexa.connectors.base import Connector
from annexa.connectors.calls import CallCounter
from annexa.connectors.kubernetes.provider import SCOPE, KubernetesProvider, KubernetesTarget
from annexa.connectors.kubernetes.session import KubeSession
from annexa.connectors.provider import RuntimeSettings
from annexa.connectors.records import Observation, Scope
from tests.support.units import collect_unit

TOKEN = "annexa-test-token"
CLUSTER = "fake-cluster"
SETTINGS = RuntimeSettings(max_workers=4, max_attempts=3, connect_timeout=5, read_timeout=30)


@dataclass(frozen=True)
class Resource:
    """A resource type the server can serve."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version


BUILTIN = (
    Resource("", "v1", "pods", "Pod", True),
    Resource("", "v1", "namespaces", "Namespace", False),
    Resource("", "v1", "serviceaccounts", "ServiceAccount", True),
    Resource("", "v1", "services", "Service", True),
    Resource("", "v1", "configmaps", "ConfigMap", True),
    Resource("", "v1", "limitranges", "LimitRange", True),
    Resource("", "v1", "resourcequotas", "ResourceQuota", True),
    Resource("", "v1", "nodes", "Node", False),
    Resource("", "v1", "replicationcontrollers", "ReplicationController", True),
    Resource("", "v1", "secrets", "Secret", True),
    Resource("apps", "v1", "deployments", "Deployment", True),
    Resource("apps", "v1", "statefulsets", "StatefulSet", True),
    Resource("apps", "v1", "daemonsets", "DaemonSet", True),
    Resource("apps", "v1", "replicasets", "ReplicaSet", True),
    Resource("batch", "v1", "jobs", "Job", True),
    Resource("batch", "v1", "cronjobs", "CronJob", True),
    Resource("networking.k8s.io", "v1", "networkpolicies", "NetworkPolicy", True),
    Resource("networking.k8s.io", "v1", "ingresses", "Ingress", True),
    Resource("rbac.authorization.k8s.io", "v1", "roles", "Role", True),
    Resource("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True),
    Resource("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    Resource("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    Resource(
        "admissionregistration.k8s.io",
        "v1",
        "validatingwebhookconfigurations",
        "ValidatingWebhookConfiguration",
        False,
    ),
    Resource(
        "admissionregistration.k8s.io",
        "v1",
        "mutatingwebhookconfigurations",
        "MutatingWebhookConfiguration",
        False,
    ),
    Resource(
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicies",
        "ValidatingAdmissionPolicy",
        False,
    ),
    Resource(
        "admissionregistration.k8s.io",
        "v1",
        "validatingadmissionpolicybindings",
        "ValidatingAdmissionPolicyBinding",
        False,
    ),
    Resource(
        "apiextensions.k8s.io",
        "v1",
        "customresourcedefinitions",
        "CustomResourceDefinition",
        False,
    ),
)

# Custom resource types a test can install (install(KSERVE) ...).
KSERVE = Resource("serving.kserve.io", "v1beta1", "inferenceservices", "InferenceService", True)
SELDON = Resource("machinelearning.seldon.io", "v1", "seldondeployments", "SeldonDeployment", True)
KYVERNO_CLUSTER = Resource("kyverno.io", "v1", "clusterpolicies", "ClusterPolicy", False)
KYVERNO = Resource("kyverno.io", "v1", "policies", "Policy", True)
GATEKEEPER_TEMPLATES = Resource(
    "templates.gatekeeper.sh", "v1", "constrainttemplates", "ConstraintTemplate", False
)

VERSION = {
    "major": "1",
    "minor": "31",
    "gitVersion": "v1.31.4",
    "gitCommit": "a78aa47129b8539636eb86a9d00e31b2720fe06b",
    "gitTreeState": "clean",
    "buildDate": "2024-12-10T11:43:21Z",
    "goVersion": "go1.22.9",
    "compiler": "gc",
    "platform": "linux/amd64",
}

HEALTHZ = "[+]ping ok\n[+]log ok\n[+]etcd ok\nhealthz check passed\n"


def meta(name: str, namespace: str | None = None, **extra: Any) -> dict[str, Any]:
    """ObjectMeta with a uid and creation timestamp, as the API server fills them in."""
    metadata: dict[str, Any] = {
        "name": name,
        "uid": f"uid-{namespace or '_'}-{name}",
        "resourceVersion": "1",
        "creationTimestamp": "2026-01-05T10:00:00Z",
        **extra,
    }
    if namespace is not None:
        metadata["namespace"] = namespace
    return metadata


def obj(api_version: str, kind: str, name: str, namespace: str | None = None, **body: Any) -> dict:
    """Any object: ``obj("v1", "ServiceAccount", "default", "team-a")``; ``metadata=`` merges."""
    extra = body.pop("metadata", {})
    return {
        "apiVersion": api_version,
        "kind": kind,
        "metadata": meta(name, namespace, **extra),
        **body,
    }


def container(
    name: str = "app", image: str = "registry.example/app@sha256:" + "a" * 64, **fields: Any
) -> dict:
    return {"name": name, "image": image, **fields}


def pod(
    name: str,
    namespace: str = "default",
    *,
    containers: list[dict] | None = None,
    owner: dict | None = None,
    metadata: dict | None = None,
    **spec: Any,
) -> dict:
    """A Pod; ``owner={"kind": "ReplicaSet", "name": "web-6d4"}`` sets a controller reference,
    ``metadata={"labels": ...}`` merges into its metadata, other keywords go into its spec."""
    metadata = dict(metadata or {})
    if owner is not None:
        metadata["ownerReferences"] = [owner_ref(owner["kind"], owner["name"])]
    return obj(
        "v1",
        "Pod",
        name,
        namespace,
        metadata=metadata,
        spec={"containers": containers or [container()], **spec},
        status={"phase": "Running"},
    )


def owner_ref(kind: str, name: str) -> dict[str, Any]:
    api_version = {
        "ReplicaSet": "apps/v1",
        "Deployment": "apps/v1",
        "StatefulSet": "apps/v1",
        "DaemonSet": "apps/v1",
        "Job": "batch/v1",
        "CronJob": "batch/v1",
    }.get(kind, "v1")
    return {
        "apiVersion": api_version,
        "kind": kind,
        "name": name,
        "uid": f"uid-{name}",
        "controller": True,
        "blockOwnerDeletion": True,
    }


def namespace(name: str, **labels: str) -> dict:
    return obj(
        "v1",
        "Namespace",
        name,
        metadata={"labels": {"kubernetes.io/metadata.name": name, **labels}},
        spec={"finalizers": ["kubernetes"]},
        status={"phase": "Active"},
    )


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


REASONS = {
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    410: "Expired",
    429: "TooManyRequests",
    500: "InternalError",
    503: "ServiceUnavailable",
}


@dataclass
class FakeApiServer:
    """The fake cluster's state and its HTTP server. Start it with :meth:`running`."""

    tls: bool = False
    token: str = TOKEN
    version: dict[str, Any] = field(default_factory=lambda: dict(VERSION))
    healthz: str = HEALTHZ
    served: dict[tuple[str, str], Resource] = field(default_factory=dict)
    objects: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    denied: set[tuple[str, str]] = field(default_factory=set)
    faults: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    raw: dict[str, tuple[int, str]] = field(default_factory=dict)
    url: str = ""
    ca_pem: bytes = b""

    def __post_init__(self) -> None:
        for resource in BUILTIN:
            self.install(resource)
        self._lock = threading.Lock()

    # ---- state -------------------------------------------------------------------------------
    def install(self, resource: Resource) -> None:
        """Serve a resource type (a CRD being installed)."""
        self.served[(resource.group, resource.plural)] = resource
        self.objects.setdefault((resource.group, resource.plural), [])

    def add(self, *objects: dict[str, Any]) -> None:
        for item in objects:
            group = item["apiVersion"].rpartition("/")[0]
            matches = [
                r for r in self.served.values() if r.group == group and r.kind == item["kind"]
            ]
            if not matches:
                raise KeyError(
                    f"{item['apiVersion']} {item['kind']} is not served: install() it first"
                )
            self.objects[(group, matches[0].plural)].append(item)

    def deny(self, group: str, plural: str) -> None:
        """Answer 403 Forbidden to every request for this resource type."""
        self.denied.add((group, plural))

    def fail(self, group: str, plural: str, *statuses: int) -> None:
        """Answer these statuses to the next requests for this resource type, then succeed."""
        self.faults.setdefault((group, plural), []).extend(statuses)

    def requested(self, fragment: str) -> list[tuple[str, str, str]]:
        return [r for r in self.requests if fragment in r[1]]

    # ---- serving -----------------------------------------------------------------------------
    def handle(self, method: str, target: str, headers: Any) -> tuple[int, str, bytes]:
        parts = urlsplit(target)
        with self._lock:
            self.requests.append((method, parts.path, parts.query))
        scheme, _, credential = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or credential != self.token:  # the scheme is case-blind
            return self._json(401, _status(401, "Unauthorized", "Unauthorized"))
        if method != "GET":
            return self._json(
                405, _status(405, "MethodNotAllowed", f"fake server: {method} not supported")
            )
        if parts.path in self.raw:
            status, text = self.raw[parts.path]
            return status, "text/plain", text.encode()
        if parts.path == "/version":
            return self._json(200, self.version)
        if parts.path in ("/healthz", "/livez", "/readyz"):
            return 200, "text/plain", self.healthz.encode()
        return self._resource(parts.path, parse_qs(parts.query))

    def _resource(self, path: str, query: dict[str, list[str]]) -> tuple[int, str, bytes]:
        tokens = [t for t in path.split("/") if t]
        if tokens[:2] == ["api", "v1"]:
            group, version, rest = "", "v1", tokens[2:]
        elif tokens[:1] == ["apis"] and len(tokens) >= 3:
            group, version, rest = tokens[1], tokens[2], tokens[3:]
        else:
            return self._json(404, _status(404, "NotFound", f"the server could not find {path}"))
        namespace_name = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace_name, rest = rest[1], rest[2:]
        if not rest:
            return self._json(404, _status(404, "NotFound", f"the server could not find {path}"))
        plural, name = rest[0], rest[1] if len(rest) > 1 else None
        resource = self.served.get((group, plural))
        if resource is None or resource.version != version:
            return self._json(
                404, _status(404, "NotFound", "the server could not find the requested resource")
            )
        key = (group, plural)
        if key in self.denied:
            scope = (
                f' in the namespace "{namespace_name}"'
                if namespace_name
                else " at the cluster scope"
            )
            message = (
                f"{plural}{'.' + group if group else ''} is forbidden: User "
                f'"system:serviceaccount:annexa:annexa" cannot {"get" if name else "list"} '
                f'resource "{plural}" in API group "{group}"{scope}'
            )
            return self._json(403, _status(403, "Forbidden", message))
        with self._lock:
            pending = self.faults.get(key) or []
            fault = pending.pop(0) if pending else None
        if fault is not None:
            return self._json(
                fault, _status(fault, REASONS.get(fault, "Unknown"), "injected fault")
            )
        items = [
            o
            for o in self.objects[key]
            if namespace_name is None or o["metadata"].get("namespace") == namespace_name
        ]
        for term in ",".join(query.get("labelSelector", [])).split(","):
            if term:  # equality selectors only: key=value, key==value, key!=value
                key, op, value = re.match(r"([^!=]+)(!=|==|=)(.*)", term).groups()  # type: ignore[union-attr]
                items = [
                    o
                    for o in items
                    if ((o["metadata"].get("labels") or {}).get(key) == value) == (op != "!=")
                ]
        if name is not None:
            found = [o for o in items if o["metadata"]["name"] == name]
            if not found:
                return self._json(404, _status(404, "NotFound", f'{plural} "{name}" not found'))
            return self._json(200, found[0])
        start = int(base64.b64decode(query["continue"][0]).decode()) if "continue" in query else 0
        limit = int(query.get("limit", ["0"])[0] or 0)
        end = start + limit if limit else len(items)
        metadata: dict[str, Any] = {"resourceVersion": "1"}
        if end < len(items):
            metadata["continue"] = base64.b64encode(str(end).encode()).decode()
            metadata["remainingItemCount"] = len(items) - end
        return self._json(
            200,
            {
                "apiVersion": resource.api_version,
                "kind": f"{resource.kind}List",
                "metadata": metadata,
                "items": items[start:end],
            },
        )

    @staticmethod
    def _json(status: int, body: Any) -> tuple[int, str, bytes]:
        return status, "application/json", json.dumps(body).encode()

    # ---- lifecycle ---------------------------------------------------------------------------
    @contextmanager
    def running(self) -> Iterator[FakeApiServer]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def do_DELETE(self) -> None:
                self._answer("DELETE")

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                status, content_type, body = fake.handle(method, self.path, self.headers)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        scheme = "http"
        if self.tls:
            context, self.ca_pem = _tls_context()
            server.socket = context.wrap_socket(server.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()

    def kubeconfig(
        self,
        directory: Path | None = None,
        *,
        context: str = "fake",
        cluster: str = CLUSTER,
        token: str | None = None,
    ) -> Path:
        """A kubeconfig file for this server (bearer token auth; the CA inline when TLS)."""
        directory = directory or Path(tempfile.mkdtemp(prefix="annexa-kube-"))
        entry: dict[str, Any] = {"server": self.url}
        if self.tls:
            entry["certificate-authority-data"] = base64.b64encode(self.ca_pem).decode()
        document = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": cluster, "cluster": entry}],
            "users": [{"name": "annexa", "user": {"token": token or self.token}}],
            "contexts": [{"name": context, "context": {"cluster": cluster, "user": "annexa"}}],
            "current-context": context,
        }
        path = directory / f"kubeconfig-{context}"
        path.write_text(json.dumps(document))  # JSON is YAML
        return path


def _tls_context() -> tuple[ssl.SSLContext, bytes]:
    """A server context with a fresh self-signed certificate for 127.0.0.1."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "fake-apiserver")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    directory = Path(tempfile.mkdtemp(prefix="annexa-tls-"))
    (directory / "cert.pem").write_bytes(cert_pem)
    (directory / "key.pem").write_bytes(key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context, cert_pem


def target(server: FakeApiServer, **options: Any) -> KubernetesTarget:
    return KubernetesTarget(name="test-cluster", kubeconfig=str(server.kubeconfig()), **options)


def open_session(server: FakeApiServer, **options: Any) -> KubeSession:
    return KubernetesProvider().open_session(target(server, **options), SETTINGS)


def run_unit(
    connector: type[Connector],
    server: FakeApiServer,
    session: KubeSession | None = None,
    counter: CallCounter | None = None,
    notes: list[str] | None = None,
) -> tuple[list[Observation], CallCounter]:
    """Collect one unit as the collector would and check every observation's declarations.

    Pass ``counter`` to keep the requests of a unit that raises, ``notes`` to get its notes."""
    session = session or open_session(server)
    scoped = Scope("kubernetes", session.account, SCOPE)
    return collect_unit(connector, KubernetesProvider(), session, scoped, counter, notes)


def by_id(observations: Iterable[Observation], kind: str) -> dict[str, Observation]:
    return {o.resource_id: o for o in observations if o.kind == kind}
