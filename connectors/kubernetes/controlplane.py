"""The control plane: server version, distribution, and the API server's security flags.

One observation per cluster. The version comes from ``/version``; the distribution from the
version's suffix (``-eks-``, ``-gke.``, ``+k3s``, ``+rke2``), node labels and provider IDs, and
whether the API server runs as a static pod. Where it does (kubeadm, RKE2, most self-managed
clusters) the flags of every ``kube-apiserver`` pod in ``kube-system`` are parsed from its
command line. Several pods that disagree are reduced to the least secure value of each flag and
``flag_conflicts`` shows every pod's. KMS providers are read from ``/healthz?verbose``.

Unset flags take kube-apiserver's defaults, listed in ``defaults_applied``: anonymous
authentication on, authorization mode ``AlwaysAllow`` (kubeadm sets ``Node,RBAC``; the default
has not changed), profiling on. A setting delegated to a configuration file
(``--authentication-config``, ``--authorization-config``) is a gap: files are not observable.

Managed services (EKS, GKE, AKS) and k3s run the API server outside the cluster's pods: its
flags are then evidence gaps naming where the evidence is (``cloud_evidence``), never passes.
A node listing that is refused only weakens detection (``node_evidence`` becomes a gap).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from kubernetes import client

from annexa.connectors.base import Connector, Kind, Reads, UnitContext, Unreadable
from annexa.connectors.calls import attributing
from annexa.connectors.errors import ConnectorError
from annexa.connectors.records import Observation

T = TypeVar("T")

FLAGS = {
    "audit_log_path": "--audit-log-path: audit log file ('-' is stdout; null: unset)",
    "audit_policy_file": "--audit-policy-file: audit policy (null: unset, so no events are "
    "audited)",
    "audit_log_maxage": "--audit-log-maxage: days audit log files are kept (null: unset)",
    "audit_webhook_config": "--audit-webhook-config-file: audit webhook backend (null: unset)",
    "encryption_provider_config": "--encryption-provider-config: encryption at rest "
    "configuration file (null: unset, nothing encrypted; the file itself is not observable)",
    "authentication_config": "--authentication-config: structured authentication file (null: "
    "unset)",
    "anonymous_auth": "--anonymous-auth (default true when unset)",
    "authorization_modes": "--authorization-mode list (default [AlwaysAllow] when unset)",
    "authorization_config": "--authorization-config: structured authorization file (null: unset)",
    "admission_plugins": "--enable-admission-plugins, besides the version's default plugins",
    "admission_plugins_disabled": "--disable-admission-plugins",
    "profiling": "--profiling (default true when unset)",
    "tls_min_version": "--tls-min-version, e.g. VersionTLS12 (null: unset, Go's default)",
    "kubelet_certificate_authority": "--kubelet-certificate-authority: CA the API server "
    "verifies kubelets' serving certificates with (null: unset, not verified)",
}

CLUSTER = Kind(
    "kubernetes.controlplane.cluster",
    "The cluster's control plane: version, distribution, API server flags and KMS providers",
    {
        "git_version": "gitVersion of the API server, e.g. v1.30.4-eks-a737599",
        "version_major": "major Kubernetes version (null: unparseable)",
        "version_minor": "minor Kubernetes version (null: unparseable)",
        "distribution": "eks, gke, aks, k3s, rke2, openshift, kubeadm, self-managed or unknown",
        "distribution_evidence": "every clue the distribution was detected from",
        "node_evidence": "distribution clues from node labels, annotation keys and provider IDs",
        "apiserver_visible": "kube-apiserver pods (component=kube-apiserver) run in kube-system",
        "apiserver_pods": "those pods, as kube-system/<name>",
        **FLAGS,
        "defaults_applied": "flag attributes holding kube-apiserver's default (flag unset)",
        "flag_conflicts": "flags the API server pods disagree on: attribute -> pod -> value "
        "(the attribute holds the least secure value)",
        "kms_providers": "KMS provider health checks of /healthz?verbose: [{check, status}]",
        "secrets_encryption": "Secrets are encrypted at rest (encryption provider config set, "
        "or KMS providers report on /healthz)",
        "secrets_encryption_evidence": "what secrets_encryption was read from",
        "cloud_evidence": "where the control plane's evidence is when the cluster does not show "
        "it (null: visible here)",
    },
)

APISERVER_SELECTOR = "component=kube-apiserver"
KUBEADM_ANNOTATION = "kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"
VERSION = re.compile(r"^v?(\d+)\.(\d+)")
KMS_LINE = re.compile(r"^\[([+-])\](kms-provider[\w.-]*)\s*(.*)$")

STRING_FLAGS = {
    "audit-log-path": "audit_log_path",
    "audit-policy-file": "audit_policy_file",
    "audit-webhook-config-file": "audit_webhook_config",
    "encryption-provider-config": "encryption_provider_config",
    "authentication-config": "authentication_config",
    "authorization-config": "authorization_config",
    "tls-min-version": "tls_min_version",
    "kubelet-certificate-authority": "kubelet_certificate_authority",
}
LIST_FLAGS = {
    "authorization-mode": "authorization_modes",
    "enable-admission-plugins": "admission_plugins",
    "disable-admission-plugins": "admission_plugins_disabled",
}
BOOL_FLAGS = {"anonymous-auth": "anonymous_auth", "profiling": "profiling"}
BOOLS = {"1": True, "t": True, "true": True, "0": False, "f": False, "false": False}
TLS_ORDER = ("VersionTLS10", "VersionTLS11", "VersionTLS12", "VersionTLS13")

SUFFIXES = (("-eks-", "eks"), ("-gke.", "gke"), ("+k3s", "k3s"), ("+rke2", "rke2"))
NODE_LABELS = (
    ("eks.amazonaws.com/nodegroup", "eks"),
    ("eks.amazonaws.com/compute-type", "eks"),
    ("cloud.google.com/gke-nodepool", "gke"),
    ("kubernetes.azure.com/cluster", "aks"),
    ("node.openshift.io/os_id", "openshift"),
)
NODE_ANNOTATIONS = (("k3s.io/", "k3s"), ("rke2.io/", "rke2"))
PROVIDER_IDS = (("aws://", "eks"), ("gce://", "gke"), ("azure://", "aks"))
K3S_INSTANCE = ("node.kubernetes.io/instance-type", "k3s")
NODE_CLUES = (
    *((f"node label {key}", d) for key, d in NODE_LABELS),
    ("node label {}={}".format(*K3S_INSTANCE), "k3s"),
    *((f"node annotation {prefix}*", d) for prefix, d in NODE_ANNOTATIONS),
)

CLOUD_EVIDENCE = {
    "eks": "aws.eks.cluster (control-plane logging, secrets encryption) from the aws provider",
    "gke": "gcp connector (not yet available): GKE control-plane logging and application-layer "
    "secrets encryption",
    "aks": "azure connector (not yet available): AKS diagnostic settings and KMS etcd encryption",
    "k3s": "the k3s server's configuration on its server nodes (not collected)",
    "rke2": "the rke2 server's configuration on its server nodes (not collected)",
    "openshift": "the config.openshift.io APIServer resource (not collected)",
}
HOST_EVIDENCE = "the kube-apiserver command line on the control-plane hosts (not collected)"


def version_parts(version: Mapping[str, Any]) -> dict[str, int | None]:
    """Major and minor as integers, from gitVersion or the major/minor fields ("31+")."""
    match = VERSION.match(str(version.get("gitVersion") or ""))
    if match is not None:
        return {"version_major": int(match.group(1)), "version_minor": int(match.group(2))}
    parts = [re.sub(r"\D", "", str(version.get(k) or "")) for k in ("major", "minor")]
    if all(parts):
        return {"version_major": int(parts[0]), "version_minor": int(parts[1])}
    return {"version_major": None, "version_minor": None}


def apiserver_argv(pod: Any) -> list[str]:
    """Command and args of a pod's kube-apiserver container (or its first container)."""
    containers = list(pod.spec.containers or [])
    chosen = next((c for c in containers if c.name == "kube-apiserver"), containers[0])
    return [*(chosen.command or []), *(chosen.args or [])]


def parse_flags(argv: list[str]) -> dict[str, str | list[str]]:
    """``--flag=value`` and ``--flag value`` into ``{flag: value}``; list flags accumulate.

    Boolean flags take a value only as ``--flag=value`` (as the API server's flag parser
    does); a bare ``--profiling`` means true.
    """
    flags: dict[str, str | list[str]] = {}
    index = 0
    while index < len(argv):
        token = argv[index]
        index += 1
        if not token.startswith("--"):
            continue
        name, equals, value = token[2:].partition("=")
        if not equals:
            following = argv[index] if index < len(argv) else None
            if name in BOOL_FLAGS or following is None or following.startswith("--"):
                value = "true"
            else:
                value, index = following, index + 1
        if name in LIST_FLAGS:
            existing = flags.get(name)
            previous = existing if isinstance(existing, list) else []
            flags[name] = previous + [v.strip() for v in value.split(",") if v.strip()]
        else:
            flags[name] = value
    return flags


def settings(flags: Mapping[str, str | list[str]]) -> dict[str, Any]:
    """The flag attributes of one API server, defaults applied (``Unreadable`` if in a file)."""
    found: dict[str, Any] = {attr: flags.get(flag) for flag, attr in STRING_FLAGS.items()}
    found.update({attr: list(flags.get(flag) or []) for flag, attr in LIST_FLAGS.items()})
    maxage = str(flags.get("audit-log-maxage") or "")
    found["audit_log_maxage"] = int(maxage) if maxage.isdigit() else None
    defaults: list[str] = []
    for flag, attr in BOOL_FLAGS.items():
        if flag in flags:
            found[attr] = BOOLS.get(str(flags[flag]).strip().lower())
        elif attr == "anonymous_auth" and found["authentication_config"]:
            found[attr] = Unreadable(_in_file("--authentication-config", found))
        else:
            found[attr] = True
            defaults.append(attr)
    if not found["authorization_modes"] and found["authorization_config"]:
        found["authorization_modes"] = Unreadable(_in_file("--authorization-config", found))
    elif not found["authorization_modes"]:
        found["authorization_modes"] = ["AlwaysAllow"]
        defaults.append("authorization_modes")
    found["defaults_applied"] = sorted(defaults)
    return found


def _in_file(flag: str, found: Mapping[str, Any]) -> str:
    path = found[flag[2:].replace("-", "_")]
    return f"set in {flag}={path}, a file on the control-plane host not observable through the API"


def _rank(attr: str, value: Any) -> Any:
    """Sort key putting the least secure value of a flag first."""
    if isinstance(value, Unreadable):
        return (-1,)
    if attr in ("anonymous_auth", "profiling"):
        return (0,) if value is None else (1,) if value else (2,)
    if attr == "authorization_modes":
        return (0 if "AlwaysAllow" in value else 1, 1 if "RBAC" in value else 0)
    if attr == "audit_log_maxage":
        return (0,) if value is None else (1, value)
    if attr == "tls_min_version":
        return (TLS_ORDER.index(value) + 1 if value in TLS_ORDER else 0,)
    return (0,) if value is None else (1,)


def combine(per_pod: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Several API servers' settings as one: the least secure value of each, and conflicts."""
    pods = sorted(per_pod)
    combined: dict[str, Any] = {}
    conflicts: dict[str, dict[str, Any]] = {}
    for attr in [*FLAGS, "defaults_applied"]:
        values = [per_pod[pod][attr] for pod in pods]
        if attr == "admission_plugins":
            combined[attr] = [p for p in values[0] if all(p in v for v in values)]
        elif attr in ("admission_plugins_disabled", "defaults_applied"):
            combined[attr] = sorted({p for v in values for p in v})
        else:
            combined[attr] = min(values, key=lambda v: _rank(attr, v))
        if attr != "defaults_applied" and any(repr(v) != repr(values[0]) for v in values):
            conflicts[attr] = {
                pod: v.reason if isinstance(v, Unreadable) else v
                for pod, v in zip(pods, values, strict=True)
            }
    combined["flag_conflicts"] = conflicts
    return combined


def node_hints(node: Any) -> set[str]:
    """Distribution clues of one node: known label keys, annotation key prefixes, provider ID."""
    labels = node.metadata.labels or {}
    annotations = node.metadata.annotations or {}
    hints = {f"node label {key}" for key, _ in NODE_LABELS if key in labels}
    hints |= {
        f"node annotation {prefix}*"
        for prefix, _ in NODE_ANNOTATIONS
        if any(k.startswith(prefix) for k in annotations)
    }
    if labels.get(K3S_INSTANCE[0]) == K3S_INSTANCE[1]:
        hints.add("node label {}={}".format(*K3S_INSTANCE))
    provider = (node.spec.provider_id if node.spec else None) or ""
    hints |= {
        f"node providerID {scheme}" for scheme, _ in PROVIDER_IDS if provider.startswith(scheme)
    }
    return hints


def detect_distribution(
    git_version: str, hints: set[str], apiserver: list[Any] | None
) -> tuple[str, list[str]]:
    """The distribution and every clue found, strongest clues deciding first."""
    evidence = [f"gitVersion {git_version} ({s})" for s, _ in SUFFIXES if s in git_version]
    decided = next((d for s, d in SUFFIXES if s in git_version), None)
    decided = decided or next((d for clue, d in NODE_CLUES if clue in hints), None)
    if apiserver:
        kubeadm = any(KUBEADM_ANNOTATION in (p.metadata.annotations or {}) for p in apiserver)
        evidence.append(f"kube-apiserver static pod{' (kubeadm)' if kubeadm else ''}")
        decided = decided or ("kubeadm" if kubeadm else "self-managed")
    decided = decided or next((d for s, d in PROVIDER_IDS if f"node providerID {s}" in hints), None)
    return decided or "unknown", evidence + sorted(hints)


def kms_checks(healthz: str) -> list[dict[str, str]]:
    """``[+]kms-provider-0 ok`` / ``[-]kms-providers failed: ...`` lines as {check, status}."""
    checks = []
    for line in healthz.splitlines():
        match = KMS_LINE.match(line.strip())
        if match is not None:
            status = "ok" if match.group(1) == "+" else match.group(3) or "failed"
            checks.append({"check": match.group(2), "status": status})
    return checks


def _unobservable(distribution: str, cloud: str) -> str:
    if distribution in ("eks", "gke", "aks"):
        where = f"the control plane of {distribution} is managed outside the cluster"
    elif distribution in ("unknown", "self-managed"):
        where = "no kube-apiserver pod in kube-system: the control plane runs outside the cluster"
    else:
        where = f"the control plane of {distribution} runs outside the cluster's pods"
    return f"not observable through the API: {where}; evidence: {cloud}"


def assess(
    reads: Reads,
    git_version: str,
    pods: list[Any] | ConnectorError,
    hints: set[str] | ConnectorError,
    healthz: str | ConnectorError,
) -> None:
    """Fill ``reads`` from what was read; a failed read becomes the gaps it leaves."""
    if isinstance(hints, ConnectorError):
        reads.gaps["node_evidence"] = hints.describe()
    else:
        reads.set("node_evidence", sorted(hints))
    apiserver = pods if isinstance(pods, list) else None
    distribution, evidence = detect_distribution(
        git_version, hints if isinstance(hints, set) else set(), apiserver
    )
    cloud = None if apiserver else CLOUD_EVIDENCE.get(distribution, HOST_EVIDENCE)
    reads.set("distribution", distribution)
    reads.set("distribution_evidence", evidence)
    reads.set("cloud_evidence", cloud)
    kms = None if isinstance(healthz, ConnectorError) else kms_checks(healthz)
    if isinstance(healthz, ConnectorError):
        reads.gaps["kms_providers"] = healthz.describe()
    else:
        reads.set("kms_providers", kms)

    flag_attributes = [*FLAGS, "defaults_applied", "flag_conflicts"]
    if isinstance(pods, ConnectorError):
        unobservable = pods.describe()
        for name in ["apiserver_visible", "apiserver_pods", *flag_attributes]:
            reads.gaps[name] = unobservable
    elif not pods:
        reads.set("apiserver_visible", False)
        reads.set("apiserver_pods", [])
        unobservable = _unobservable(distribution, str(cloud))
        for name in flag_attributes:
            reads.gaps[name] = unobservable
    else:
        names = [f"kube-system/{p.metadata.name}" for p in pods]
        reads.set("apiserver_visible", True)
        reads.set("apiserver_pods", sorted(names))
        per_pod = {
            n: settings(parse_flags(apiserver_argv(p))) for n, p in zip(names, pods, strict=True)
        }
        for name, value in combine(per_pod).items():
            if isinstance(value, Unreadable):
                reads.gaps[name] = value.reason
            else:
                reads.set(name, value)
        path = reads.attributes["encryption_provider_config"]
        found = f"--encryption-provider-config={path}" if path else "no encryption provider config"
        healthy = ", ".join(f"{c['check']} {c['status']}" for c in kms or [])
        reads.set("secrets_encryption", path is not None)
        reads.set("secrets_encryption_evidence", found + (f"; KMS: {healthy}" if healthy else ""))
        return
    if kms:
        checks = ", ".join(f"{c['check']} {c['status']}" for c in kms)
        reads.set("secrets_encryption", True)
        reads.set("secrets_encryption_evidence", f"KMS provider checks on /healthz: {checks}")
        return
    why = (
        "/healthz shows no KMS provider"
        if kms == []
        else f"/healthz: {reads.gaps['kms_providers']}"
    )
    for name in ("secrets_encryption", "secrets_encryption_evidence"):
        reads.gaps[name] = f"{unobservable}; {why}"


def _fetch(ctx: UnitContext, reads: Reads, getter: Callable[[], T]) -> T | ConnectorError:
    with attributing(reads.sources):
        return ctx.attempt(getter)


def _hints(nodes: Iterator[Any]) -> set[str]:
    found: set[str] = set()
    for node in nodes:
        found |= node_hints(node)
    return found


class ControlPlaneConnector(Connector):
    name = "kubernetes.controlplane"
    provider = "kubernetes"
    description = "Control plane: version, distribution, API server flags and KMS providers"
    regional = False
    kinds = (CLUSTER,)
    permissions = ("get /version", "get /healthz", "list pods", "list nodes")

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        session = ctx.session
        core = session.api(client.CoreV1Api)
        reads = ctx.reads("get /version")
        version = session.version()
        git_version = str(version.get("gitVersion") or "")
        reads.set("git_version", git_version or None)
        for name, value in version_parts(version).items():
            reads.set(name, value)
        pods = _fetch(
            ctx,
            reads,
            lambda: list(
                session.list_all(
                    core.list_namespaced_pod, "kube-system", label_selector=APISERVER_SELECTOR
                )
            ),
        )
        hints = _fetch(ctx, reads, lambda: _hints(session.list_all(core.list_node)))
        healthz = _fetch(ctx, reads, lambda: session.get_raw("/healthz", [("verbose", "true")]))
        assess(reads, git_version, pods, hints, healthz)
        yield ctx.observe(CLUSTER.name, "cluster", reads)
