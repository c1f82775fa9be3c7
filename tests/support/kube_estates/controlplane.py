"""A kubeadm control plane with two API server pods that disagree, and an EKS-like cluster.

``seed`` (kubeadm, the server's default version v1.31.4):

=====================  ======================================  ===================================
flag                   kube-apiserver-cp1 (``--flag=value``)    kube-apiserver-cp2 (``--flag value``)
=====================  ======================================  ===================================
audit                  policy + log path, maxage 30            policy + log path, maxage 7
encryption             /etc/kubernetes/enc/encryption.yaml     same
anonymous-auth         false                                   false
authorization-mode     Node,RBAC                               Node,RBAC
admission plugins      NodeRestriction,PodSecurity             NodeRestriction
profiling              false                                   (unset: default true)
tls-min-version        VersionTLS13                            VersionTLS12
=====================  ======================================  ===================================

/healthz reports a healthy KMS v2 provider. ``seed_eks`` is a managed cluster: an EKS version
string, nodes with ``aws://`` provider IDs and node-group labels, no API server pod.
"""

from __future__ import annotations

from typing import Any

from tests.support.kube import FakeApiServer, container, obj, pod

KMS_HEALTHZ = (
    "[+]ping ok\n[+]log ok\n[+]etcd ok\n[+]kms-providers ok\n"
    "[+]poststarthook/start-apiextensions-informers ok\nhealthz check passed\n"
)
KUBEADM_ANNOTATION = "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"
EKS_VERSION = "v1.30.4-eks-a737599"


def apiserver_pod(name: str, command: list[str], args: list[str] | None = None) -> dict[str, Any]:
    """A kubeadm-style static kube-apiserver pod in kube-system."""
    return pod(
        name,
        "kube-system",
        containers=[
            container(
                "kube-apiserver",
                "registry.k8s.io/kube-apiserver:v1.31.4",
                command=command,
                **({"args": args} if args else {}),
            )
        ],
        metadata={
            "labels": {"component": "kube-apiserver", "tier": "control-plane"},
            "annotations": {KUBEADM_ANNOTATION: "10.0.0.10:6443"},
        },
        hostNetwork=True,
        priorityClassName="system-node-critical",
    )


def node(name: str, labels: dict[str, str], provider_id: str | None = None) -> dict[str, Any]:
    spec = {"providerID": provider_id} if provider_id else {}
    return obj("v1", "Node", name, metadata={"labels": labels}, spec=spec)


def seed(server: FakeApiServer) -> None:
    server.healthz = KMS_HEALTHZ
    server.add(
        apiserver_pod(
            "kube-apiserver-cp1",
            [
                "kube-apiserver",
                "--advertise-address=10.0.0.10",
                "--audit-policy-file=/etc/kubernetes/audit/policy.yaml",
                "--audit-log-path=/var/log/kubernetes/audit.log",
                "--audit-log-maxage=30",
                "--encryption-provider-config=/etc/kubernetes/enc/encryption.yaml",
                "--anonymous-auth=false",
                "--authorization-mode=Node,RBAC",
                "--enable-admission-plugins=NodeRestriction,PodSecurity",
                "--profiling=false",
                "--tls-min-version=VersionTLS13",
                "--kubelet-certificate-authority=/etc/kubernetes/pki/ca.crt",
            ],
        ),
        apiserver_pod(
            "kube-apiserver-cp2",
            ["kube-apiserver"],
            [
                "--advertise-address",
                "10.0.0.11",
                "--audit-policy-file",
                "/etc/kubernetes/audit/policy.yaml",
                "--audit-log-path",
                "/var/log/kubernetes/audit.log",
                "--audit-log-maxage",
                "7",
                "--encryption-provider-config",
                "/etc/kubernetes/enc/encryption.yaml",
                "--anonymous-auth=false",
                "--authorization-mode",
                "Node,RBAC",
                "--enable-admission-plugins",
                "NodeRestriction",
                "--tls-min-version",
                "VersionTLS12",
                "--kubelet-certificate-authority",
                "/etc/kubernetes/pki/ca.crt",
            ],
        ),
        node("cp1", {"node-role.kubernetes.io/control-plane": ""}),
        node("worker-1", {"kubernetes.io/os": "linux"}),
    )


def seed_eks(server: FakeApiServer) -> None:
    """A managed EKS cluster: its control plane is not among the cluster's pods."""
    server.version = {**server.version, "minor": "30+", "gitVersion": EKS_VERSION}
    server.add(
        node(
            "ip-10-0-1-20.eu-west-1.compute.internal",
            {"eks.amazonaws.com/nodegroup": "general", "kubernetes.io/os": "linux"},
            "aws:///eu-west-1a/i-0abc123def4567890",
        ),
        node(
            "ip-10-0-2-31.eu-west-1.compute.internal",
            {"eks.amazonaws.com/nodegroup": "general"},
            "aws:///eu-west-1b/i-0abc123def4567891",
        ),
        pod(
            "coredns-5d8f7c9b4-abcde",
            "kube-system",
            metadata={"labels": {"k8s-app": "kube-dns"}},
        ),
    )
