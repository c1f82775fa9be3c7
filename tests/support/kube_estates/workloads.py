"""A workloads estate: hardened and risky controllers, their pods, bare pods, service accounts.

``shop/Deployment/web`` is the hardened reference; every other workload carries findings. The
literal secret values are in :data:`SECRET_VALUES` so tests can prove none is ever stored.
"""

from __future__ import annotations

from typing import Any

from tests.support.kube import FakeApiServer, container, obj, owner_ref, pod

DIGEST = "@sha256:" + "b" * 64
LIMITS = {"limits": {"cpu": "500m", "memory": "256Mi"}}
HARDENED = {
    "runAsNonRoot": True,
    "allowPrivilegeEscalation": False,
    "capabilities": {"drop": ["ALL"]},
}
PASSWORD = "hunter2-correct-horse"  # a fake literal secret
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"
TOKEN = "Zk9yVGVzdE9ubHkxMjM0NTY3ODkwYWJjZGVmZ2hpams"
SECRET_VALUES = (PASSWORD, AWS_KEY_ID, TOKEN)
API_VERSIONS = {"Job": "batch/v1", "CronJob": "batch/v1", "ReplicationController": "v1"}


def hardened(
    name: str = "app", image: str = "registry.example/app" + DIGEST, **fields: Any
) -> dict:
    """A container that passes every check: pinned, limited, non-root, no escalation."""
    return container(name, image, resources=LIMITS, securityContext=HARDENED, **fields)


def template(*containers: dict, **spec: Any) -> dict:
    return {"metadata": {"labels": {"app": "x"}}, "spec": {"containers": list(containers), **spec}}


def controller(
    kind: str,
    name: str,
    namespace: str,
    pod_template: dict,
    owner: tuple[str, str] | None = None,
    **spec: Any,
) -> dict:
    """A Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob or ReplicationController."""
    if kind == "CronJob":
        body = {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": pod_template}}}
    else:
        body = {"template": pod_template, **spec}
    if kind in ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet"):
        body["selector"] = {"matchLabels": pod_template["metadata"]["labels"]}
    metadata = {"ownerReferences": [owner_ref(*owner)]} if owner else {}
    return obj(
        API_VERSIONS.get(kind, "apps/v1"), kind, name, namespace, metadata=metadata, spec=body
    )


def account(name: str, namespace: str, automount: bool | None = None) -> dict:
    extra = {} if automount is None else {"automountServiceAccountToken": automount}
    return obj("v1", "ServiceAccount", name, namespace, **extra)


def finished(item: dict) -> dict:
    item["status"]["phase"] = "Succeeded"
    return item


def seed(server: FakeApiServer) -> None:
    """Add the workloads estate to ``server``."""
    web = template(hardened(), serviceAccountName="web")
    api = template(hardened(), serviceAccountName="api", automountServiceAccountToken=False)
    sidecar = container(
        "mesh-proxy", "registry.example/mesh:1.2", securityContext={"privileged": True}
    )
    env = [
        {"name": "POSTGRES_PASSWORD", "value": PASSWORD},
        {"name": "S3_KEY_ID", "value": AWS_KEY_ID},
        {"name": "UPSTREAM", "value": TOKEN},
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "USE_TOKEN", "value": "true"},
        {"name": "DB_TOKEN", "valueFrom": {"secretKeyRef": {"name": "db", "key": "token"}}},
    ]
    db = template(container("postgres", "postgres", env=env))
    agent = template(
        container(
            "agent",
            "registry.example/agent:2.1",
            resources=LIMITS,
            securityContext={"capabilities": {"add": ["SYS_ADMIN", "CAP_NET_RAW", "CHOWN"]}},
        ),
        hostPID=True,
        hostIPC=True,
        hostNetwork=True,
        volumes=[
            {"name": "docker", "hostPath": {"path": "/var/run/docker.sock"}},
            {"name": "root", "hostPath": {"path": "/"}},
            {"name": "logs", "hostPath": {"path": "/var/log"}},
        ],
    )
    report = template(hardened("report", "registry.example/report:latest"), restartPolicy="Never")
    migrate = template(hardened("migrate"), restartPolicy="Never")
    privileged = container(
        "debug", "busybox:1.36", securityContext={"privileged": True}, resources=LIMITS
    )
    proxy = container(
        "kube-proxy", "registry.k8s.io/kube-proxy:v1.31.4", securityContext={"privileged": True}
    )
    server.add(
        controller("Deployment", "web", "shop", web, replicas=2),
        controller("ReplicaSet", "web-6d4", "shop", web, ("Deployment", "web")),
        controller("Deployment", "api", "shop", api),
        controller("ReplicaSet", "api-7f9", "shop", api, ("Deployment", "api")),
        controller("Deployment", "idle", "shop", template(privileged), replicas=0),
        controller("StatefulSet", "db", "shop", db, serviceName="db"),
        controller("ReplicaSet", "legacy", "shop", template(hardened())),
        controller("ReplicationController", "old", "shop", template(hardened("old", "nginx:1.27"))),
        controller("DaemonSet", "node-agent", "monitoring", agent),
        controller("DaemonSet", "kube-proxy", "kube-system", template(proxy, hostNetwork=True)),
        controller("CronJob", "report", "batch", report),
        controller("Job", "report-28911", "batch", report, ("CronJob", "report")),
        controller("Job", "migrate", "batch", migrate),
    )
    server.add(
        *(
            pod(
                f"web-6d4-{suffix}",
                "shop",
                containers=[hardened()],
                owner={"kind": "ReplicaSet", "name": "web-6d4"},
                metadata={"labels": {"app": "x", "pod-template-hash": "6d4"}},
                serviceAccountName="web",
            )
            for suffix in ("a", "b")
        ),
        pod(
            "api-7f9-a",
            "shop",
            containers=[hardened(), sidecar],
            owner={"kind": "ReplicaSet", "name": "api-7f9"},
            metadata={"labels": {"app": "x", "pod-template-hash": "7f9"}},
            serviceAccountName="api",
            automountServiceAccountToken=False,
        ),
        pod(
            "db-0",
            "shop",
            containers=db["spec"]["containers"],
            owner={"kind": "StatefulSet", "name": "db"},
        ),
        pod(
            "node-agent-x1",
            "monitoring",
            owner={"kind": "DaemonSet", "name": "node-agent"},
            **agent["spec"],
        ),
        pod(
            "report-28911-q",
            "batch",
            owner={"kind": "Job", "name": "report-28911"},
            **report["spec"],
        ),
        finished(
            pod("migrate-z", "batch", owner={"kind": "Job", "name": "migrate"}, **migrate["spec"])
        ),
        pod(
            "debug",
            "shop",
            containers=[
                privileged
                | {"securityContext": {"privileged": True, "allowPrivilegeEscalation": True}}
            ],
            ephemeralContainers=[{"name": "shell", "image": "busybox"}],
        ),
        pod(
            "kube-apiserver-cp1",
            "kube-system",
            containers=[hardened("kube-apiserver", "registry.k8s.io/kube-apiserver:v1.31.4")],
            owner={"kind": "Node", "name": "cp1"},
            hostNetwork=True,
        ),
        account("web", "shop", automount=False),
        account("api", "shop", automount=True),
        account("default", "shop"),
        account("default", "batch", automount=False),
        account("default", "monitoring"),
        account("default", "kube-system"),
    )
