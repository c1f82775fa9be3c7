"""Pure analysis of a pod spec: privilege, host access, images, limits and literal secrets.

:func:`analyse` turns one ``V1PodSpec`` (a controller's template or a live pod's spec) into
:class:`Findings`, which merge by union: a workload is privileged if its template or any of its
pods is. Init and ephemeral containers count as containers everywhere except resource limits
(the API forbids resources on ephemeral containers).

Choices worth knowing:

* **privilege escalation**: ``allowPrivilegeEscalation: true`` escalates; unset escalates too
  (the runtime does not set ``no_new_privs``) unless the container cannot run as root and drops
  ``ALL`` capabilities, so a setuid binary gains nothing. Privileged containers and those adding
  ``SYS_ADMIN`` always escalate, as Kubernetes documents.
* **root possible**: ``runAsUser: 0``, or no ``runAsUser`` and no ``runAsNonRoot: true``
  (container settings override the pod's); the image's ``USER`` is not known here.
* **runtime sockets**: a hostPath at a container runtime's socket or at a directory above one
  (``/run``, ``/var/run``, ``/var``, ``/run/containerd``), ``/var/run`` and ``/run`` being the same
  directory on the node. ``/`` is reported as ``root_host_mount`` instead.
* **images**: pinned means ``@sha256:``; a ``:latest`` or missing tag on an unpinned image is
  "latest" (a digest makes the tag irrelevant).
* **literal secrets**: an env var with a literal ``value`` whose name names a secret or whose
  value has a credential's shape (the redactor's detectors, plus long high-entropy tokens). Only
  the container, the variable's name and the detector are kept, never the value.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from annexa.connectors.redact import DEFAULT as REDACTOR
from annexa.connectors.redact import is_secret_key

DANGEROUS_CAPABILITIES = frozenset(
    {
        "ALL",
        "BPF",
        "DAC_READ_SEARCH",
        "MAC_ADMIN",
        "MAC_OVERRIDE",
        "NET_ADMIN",
        "NET_RAW",
        "SYS_ADMIN",
        "SYS_BOOT",
        "SYS_MODULE",
        "SYS_PTRACE",
        "SYS_RAWIO",
    }
)
RUNTIME_SOCKETS = (
    "/run/docker.sock",
    "/run/dockershim.sock",
    "/run/cri-dockerd.sock",
    "/run/containerd/containerd.sock",
    "/run/crio/crio.sock",
    "/run/k3s/containerd/containerd.sock",
)


def _ancestors(path: str) -> set[str]:
    parts = path.strip("/").split("/")
    return {"/" + "/".join(parts[:i]) for i in range(1, len(parts))}


SOCKET_PATHS = frozenset(
    path
    for socket in RUNTIME_SOCKETS
    for variant in (socket, "/var" + socket)
    for path in {variant} | _ancestors(variant)
)
_MARKER = re.compile(r"\[REDACTED:([^\]]+)\]")
_TOKEN = re.compile(r"^[A-Za-z0-9+/=_-]{32,}$")
_REFERENCE = re.compile(r"^\$\([A-Za-z_][A-Za-z0-9_]*\)$")
_NOT_SECRETS = frozenset({"true", "false", "yes", "no", "on", "off", "none", "null", "0", "1"})


@dataclass
class Findings:
    """What a pod spec reveals, by container name; merges by union across template and pods."""

    containers: set[str] = field(default_factory=set)
    images: set[str] = field(default_factory=set)
    privileged: set[str] = field(default_factory=set)
    escalation: set[str] = field(default_factory=set)
    capabilities: dict[str, set[str]] = field(default_factory=dict)
    host_pid: bool = False
    host_ipc: bool = False
    host_network: bool = False
    host_paths: set[str] = field(default_factory=set)
    unpinned: set[str] = field(default_factory=set)
    latest: set[str] = field(default_factory=set)
    without_limits: set[str] = field(default_factory=set)
    root_possible: set[str] = field(default_factory=set)
    secret_env: set[tuple[str, str, str]] = field(default_factory=set)
    accounts: set[tuple[str, bool | None]] = field(default_factory=set)

    def merge(self, other: Findings) -> None:
        """Add ``other``'s findings to these."""
        for name in ("host_pid", "host_ipc", "host_network"):
            setattr(self, name, getattr(self, name) or getattr(other, name))
        for container, caps in other.capabilities.items():
            self.capabilities.setdefault(container, set()).update(caps)
        for name in (
            "containers",
            "images",
            "privileged",
            "escalation",
            "host_paths",
            "unpinned",
            "latest",
            "without_limits",
            "root_possible",
            "secret_env",
            "accounts",
        ):
            getattr(self, name).update(getattr(other, name))

    def attributes(self) -> dict[str, Any]:
        """The workload attributes these findings give (automount and pods are added later)."""
        capabilities = {c: sorted(caps) for c, caps in sorted(self.capabilities.items()) if caps}
        dangerous = {
            c: sorted(caps & DANGEROUS_CAPABILITIES)
            for c, caps in sorted(self.capabilities.items())
            if caps & DANGEROUS_CAPABILITIES
        }
        return {
            "containers": sorted(self.containers),
            "images": sorted(self.images),
            "privileged_containers": sorted(self.privileged),
            "privilege_escalation_containers": sorted(self.escalation),
            "added_capabilities": capabilities,
            "dangerous_capabilities": dangerous,
            "host_pid": self.host_pid,
            "host_ipc": self.host_ipc,
            "host_network": self.host_network,
            "host_path_volumes": sorted(self.host_paths),
            "runtime_socket_mounts": sorted(p for p in self.host_paths if runtime_socket(p)),
            "root_host_mount": "/" in {_normal(p) for p in self.host_paths},
            "unpinned_images": sorted(self.unpinned),
            "latest_images": sorted(self.latest),
            "containers_without_limits": sorted(self.without_limits),
            "run_as_root_possible": sorted(self.root_possible),
            "secret_env_vars": [
                {"container": c, "variable": v, "detector": d}
                for c, v, d in sorted(self.secret_env)
            ],
        }


def _normal(path: str) -> str:
    return posixpath.normpath("/" + path.strip().lstrip("/"))


def runtime_socket(path: str) -> bool:
    """Whether a hostPath exposes a container runtime's socket (``/`` excluded, see above)."""
    return _normal(path) in SOCKET_PATHS


def pinned(image: str) -> bool:
    return "@sha256:" in image


def latest(image: str) -> bool:
    """An unpinned image with the tag ``latest`` or none (``nginx``, ``host:5000/app``)."""
    if pinned(image):
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.rsplit(":", 1)[1] == "latest"


def _entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def secret_detector(name: str, value: str | None) -> str | None:
    """Why an env var with a literal ``value`` looks like a secret (``None``: it does not)."""
    if not value or value.strip().lower() in _NOT_SECRETS or _REFERENCE.match(value.strip()):
        return None
    if is_secret_key(name) or re.sub(r"[^a-z]", "", name.lower()).endswith("credential"):
        return "secret-name"
    marker = _MARKER.search(REDACTOR.text(value))
    if marker is not None:
        return marker.group(1)
    has_digit, has_alpha = any(c.isdigit() for c in value), any(c.isalpha() for c in value)
    if _TOKEN.match(value) and has_digit and has_alpha and _entropy(value) >= 4.0:
        return "high-entropy"
    return None


def _capabilities(context: Any) -> tuple[set[str], set[str]]:
    caps = getattr(context, "capabilities", None)

    def normal(names: list[str] | None) -> set[str]:
        return {n.upper().removeprefix("CAP_") for n in names or []}

    return normal(getattr(caps, "add", None)), normal(getattr(caps, "drop", None))


def _container(findings: Findings, spec: Any, container: Any, ephemeral: bool) -> None:
    name: str = container.name
    pod_context, context = spec.security_context, container.security_context
    findings.containers.add(name)
    image = container.image or "<none>"
    findings.images.add(image)
    if not pinned(image):
        findings.unpinned.add(image)
    if latest(image):
        findings.latest.add(image)
    limits = getattr(container.resources, "limits", None) or {}
    if not ephemeral and not ("cpu" in limits and "memory" in limits):
        findings.without_limits.add(name)

    def effective(attribute: str) -> Any:
        value = getattr(context, attribute, None)
        return value if value is not None else getattr(pod_context, attribute, None)

    uid, non_root = effective("run_as_user"), effective("run_as_non_root")
    root = uid == 0 or (uid is None and not non_root)
    if root:
        findings.root_possible.add(name)
    added, dropped = _capabilities(context)
    if added:
        findings.capabilities.setdefault(name, set()).update(added)
    privileged = bool(getattr(context, "privileged", None))
    escalation = getattr(context, "allow_privilege_escalation", None)
    if privileged:
        findings.privileged.add(name)
    if (
        privileged
        or "SYS_ADMIN" in added
        or "ALL" in added
        or escalation is True
        or (escalation is None and (root or "ALL" not in dropped))
    ):
        findings.escalation.add(name)
    for env in container.env or []:
        if env.value_from is None:
            detector = secret_detector(env.name, env.value)
            if detector is not None:
                findings.secret_env.add((name, env.name, detector))


def service_account(spec: Any) -> str:
    return str(spec.service_account_name or spec.service_account or "default")


def analyse(spec: Any) -> Findings:
    """The findings of one ``V1PodSpec`` (``None``, a template-less controller: none)."""
    findings = Findings()
    if spec is None:
        return findings
    findings.host_pid = bool(spec.host_pid)
    findings.host_ipc = bool(spec.host_ipc)
    findings.host_network = bool(spec.host_network)
    findings.host_paths = {v.host_path.path for v in spec.volumes or [] if v.host_path is not None}
    findings.accounts = {(service_account(spec), spec.automount_service_account_token)}
    for container in [*(spec.init_containers or []), *spec.containers]:
        _container(findings, spec, container, ephemeral=False)
    for container in spec.ephemeral_containers or []:
        _container(findings, spec, container, ephemeral=True)
    return findings
