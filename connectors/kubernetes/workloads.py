"""Workloads: one observation per top-level controller or bare pod, from templates and live pods.

The controllers (Deployments, StatefulSets, DaemonSets, CronJobs, ReplicationControllers, Jobs
no CronJob owns, ReplicaSets no Deployment owns) are listed and their pod templates analysed, so
a CronJob between runs or a Deployment scaled to zero is still evidenced. Pods are then read a
page at a time and only per-workload aggregates are kept: each live pod (not Succeeded or
Failed) is resolved to its top-level owner through ``ownerReferences`` (Pod -> ReplicaSet ->
Deployment, Pod -> Job -> CronJob) and its spec merged into the workload's findings, so a
privileged sidecar injected by a mutating webhook marks the workload privileged. Pods without a
controller, or controlled by something that is not a workload type (a Node for static pods, a
custom resource), are observed as ``<ns>/Pod/<name>``. Findings are documented in
:mod:`~annexa.connectors.kubernetes.podspec`.

A listing that fails is noted and the rest observed. Pods unreadable: workloads come from their
templates, with ``pods`` and ``injected_containers`` as gaps and no bare pods. A controller type
unreadable: its workloads with live pods are still observed from those pods (with
``injected_containers`` a gap, there being no template to compare with), those without are
missing and the unit is partial. When ReplicaSets or Jobs are unreadable a pod is still
attributed to its Deployment by its ``pod-template-hash`` label, or to a listed CronJob by its
Job's name (``<cronjob>-<n>``), and otherwise observed under its nearest owner
(``<ns>/ReplicaSet/<name>``, ``<ns>/Job/<name>``). ServiceAccounts unreadable:
``automount_token`` is a gap unless every spec sets it explicitly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from kubernetes import client

from annexa.connectors.base import Connector, Kind, UnitContext, Unreadable
from annexa.connectors.errors import ConnectorError
from annexa.connectors.kubernetes.podspec import Findings, analyse
from annexa.connectors.records import Observation

KIND = "kubernetes.workloads.workload"
WORKLOAD = Kind(
    KIND,
    "A top-level workload (controller or bare pod): privilege, host access, images, limits, "
    "literal secrets and token automount, from its pod template and its live pods",
    {
        "name": "workload name",
        "namespace": "namespace",
        "workload_kind": "Deployment, StatefulSet, DaemonSet, CronJob, Job, ReplicaSet, "
        "ReplicationController or Pod",
        "owner": "controller outside the workload types (Node/<n> for static pods, a custom "
        "resource), null if none",
        "pods": "live pods (phase not Succeeded or Failed) of the workload",
        "injected_containers": "containers seen in live pods but not in the template (e.g. "
        "sidecars injected by a mutating webhook; bare pods: none)",
        "containers": "container names (init, regular and ephemeral) of template and pods",
        "images": "container images of template and pods",
        "service_account": "the service account the pods run as",
        "automount_token": "a service-account token is mounted: the pod's "
        "automountServiceAccountToken, else the ServiceAccount's, else true",
        "privileged_containers": "containers with securityContext.privileged",
        "privilege_escalation_containers": "containers that may gain privileges: "
        "allowPrivilegeEscalation true, or unset unless non-root and dropping ALL; privileged "
        "or SYS_ADMIN always",
        "added_capabilities": "container -> sorted added Linux capabilities",
        "dangerous_capabilities": "container -> added capabilities among ALL, SYS_ADMIN, "
        "NET_ADMIN, NET_RAW, SYS_PTRACE, SYS_MODULE, ...",
        "host_pid": "shares the node's PID namespace",
        "host_ipc": "shares the node's IPC namespace",
        "host_network": "shares the node's network namespace",
        "host_path_volumes": "hostPath volume paths",
        "runtime_socket_mounts": "hostPaths exposing a container runtime socket (docker, "
        "containerd, CRI-O, k3s, cri-dockerd) or a directory above one",
        "root_host_mount": "a hostPath volume mounts the node's root directory /",
        "unpinned_images": "images not pinned by @sha256 digest",
        "latest_images": "unpinned images tagged :latest or untagged",
        "containers_without_limits": "containers (not ephemeral) without a cpu or memory limit",
        "run_as_root_possible": "containers that may run as root (runAsUser 0, or neither "
        "runAsUser nor runAsNonRoot: true)",
        "secret_env_vars": "env vars with a literal value that looks like a secret: "
        "{container, variable, detector}; the value is never recorded",
    },
)

CONTROLLERS = ("Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")
DIRECT = frozenset({"StatefulSet", "DaemonSet", "ReplicationController"})
FINISHED = frozenset({"Succeeded", "Failed"})
Key = tuple[str, str, str]  # namespace, Kubernetes kind, name


@dataclass
class Workload:
    """One workload's aggregate: its template's findings and its live pods' merged findings."""

    owner: str | None = None
    template: Findings | None = None
    live: Findings = field(default_factory=Findings)
    pods: int = 0


@dataclass
class Owners:
    """Parents of ReplicaSets and Jobs (Deployment, CronJob names) and the listed CronJobs."""

    replicasets: dict[tuple[str, str], str] = field(default_factory=dict)
    jobs: dict[tuple[str, str], str] = field(default_factory=dict)
    cronjobs: set[tuple[str, str]] = field(default_factory=set)


def controller(meta: Any) -> Any:
    """The controller owner reference of an object, or ``None``."""
    return next((ref for ref in meta.owner_references or [] if ref.controller), None)


def pod_template(kind: str, item: Any) -> Any:
    if kind == "CronJob":
        return item.spec.job_template.spec.template.spec
    template = item.spec.template
    return template.spec if template is not None else None


def list_controllers(
    ctx: UnitContext, kind: str, method: Callable[..., Any], owners: Owners
) -> dict[Key, Workload]:
    """The top-level workloads of one controller type, with their templates analysed."""
    found: dict[Key, Workload] = {}
    for item in ctx.session.list_all(method):
        meta = item.metadata
        ref = controller(meta)
        if kind == "ReplicaSet" and ref is not None and ref.kind == "Deployment":
            owners.replicasets[(meta.namespace, meta.name)] = ref.name
        elif kind == "Job" and ref is not None and ref.kind == "CronJob":
            owners.jobs[(meta.namespace, meta.name)] = ref.name
        else:
            if kind == "CronJob":
                owners.cronjobs.add((meta.namespace, meta.name))
            owner = f"{ref.kind}/{ref.name}" if ref is not None else None
            found[(meta.namespace, kind, meta.name)] = Workload(
                owner, analyse(pod_template(kind, item))
            )
    return found


def resolve(pod: Any, owners: Owners) -> tuple[Key, str | None]:
    """A pod's top-level workload and, for pods observed as themselves, their foreign owner."""
    meta = pod.metadata
    ns, ref = meta.namespace, controller(meta)
    if ref is None:
        return (ns, "Pod", meta.name), None
    if ref.kind == "ReplicaSet":
        deployment = owners.replicasets.get((ns, ref.name))
        template_hash = (meta.labels or {}).get("pod-template-hash")
        if deployment is None and template_hash and ref.name.endswith(f"-{template_hash}"):
            deployment = ref.name.removesuffix(f"-{template_hash}")
        return (
            (ns, "Deployment", deployment) if deployment else (ns, "ReplicaSet", ref.name)
        ), None
    if ref.kind == "Job":
        cronjob = owners.jobs.get((ns, ref.name))
        stem = re.sub(r"-\d+$", "", ref.name)
        if cronjob is None and stem != ref.name and (ns, stem) in owners.cronjobs:
            cronjob = stem
        key = (ns, "CronJob", cronjob) if cronjob else (ns, "Job", ref.name)
        return key, None
    if ref.kind in DIRECT:
        return (ns, ref.kind, ref.name), None
    return (ns, "Pod", meta.name), f"{ref.kind}/{ref.name}"


def list_pods(ctx: UnitContext, owners: Owners) -> dict[Key, Workload]:
    """Live pods folded into per-workload aggregates, one page at a time; bare pods kept."""
    core = ctx.session.api(client.CoreV1Api)
    found: dict[Key, Workload] = {}
    for pod in ctx.session.list_all(core.list_pod_for_all_namespaces):
        key, owner = resolve(pod, owners)
        live = (pod.status.phase if pod.status else None) not in FINISHED
        if not live and key[1] != "Pod":
            continue
        workload = found.setdefault(key, Workload(owner))
        workload.live.merge(analyse(pod.spec))
        workload.pods += live
    return found


def list_accounts(ctx: UnitContext) -> dict[tuple[str, str], bool | None]:
    """Each ServiceAccount's automountServiceAccountToken (``None``: unset)."""
    core = ctx.session.api(client.CoreV1Api)
    return {
        (sa.metadata.namespace, sa.metadata.name): sa.automount_service_account_token
        for sa in ctx.session.list_all(core.list_service_account_for_all_namespaces)
    }


def automount(
    namespace: str,
    accounts: set[tuple[str, bool | None]],
    listed: dict[tuple[str, str], bool | None] | ConnectorError,
) -> bool | Unreadable:
    """Whether any of the specs mounts a token: pod setting, else ServiceAccount's, else true."""
    unknown: str | None = None
    for account, explicit in accounts:
        if explicit is not None:
            effective = explicit
        elif isinstance(listed, ConnectorError):
            unknown = listed.describe()
            continue
        else:
            setting = listed.get((namespace, account))
            effective = True if setting is None else setting
        if effective:
            return True
    if unknown is not None:
        return Unreadable(f"ServiceAccounts not listed: {unknown}")
    return False


def attributes(
    key: Key,
    workload: Workload,
    pods: ConnectorError | None,
    accounts: dict[tuple[str, str], bool | None] | ConnectorError,
) -> dict[str, Any]:
    """A workload's attributes; ``pods`` is why the pods could not be listed, if they could not."""
    namespace, kind, name = key
    findings = Findings()
    for part in (workload.template, workload.live):
        findings.merge(part or Findings())
    primary = workload.template or workload.live
    count: int | Unreadable = workload.pods
    injected: list[str] | Unreadable = []
    if pods is not None:
        count = injected = Unreadable(f"pods not listed: {pods.describe()}")
    elif workload.template is not None:
        injected = sorted(workload.live.containers - workload.template.containers)
    elif kind != "Pod":
        injected = Unreadable(f"the {kind}'s pod template was not listed")
    return {
        "name": name,
        "namespace": namespace,
        "workload_kind": kind,
        "owner": workload.owner,
        "pods": count,
        "injected_containers": injected,
        "service_account": min(a for a, _ in primary.accounts) if primary.accounts else None,
        "automount_token": automount(namespace, findings.accounts, accounts),
        **findings.attributes(),
    }


class WorkloadsConnector(Connector):
    name = "kubernetes.workloads"
    provider = "kubernetes"
    description = "Workloads: privilege, host access, images, limits, literal secrets, tokens"
    regional = False
    kinds = (WORKLOAD,)
    permissions = (
        "list deployments.apps",
        "list statefulsets.apps",
        "list daemonsets.apps",
        "list replicasets.apps",
        "list jobs.batch",
        "list cronjobs.batch",
        "list replicationcontrollers",
        "list serviceaccounts",
        "list pods",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        apps = ctx.session.api(client.AppsV1Api)
        batch = ctx.session.api(client.BatchV1Api)
        core = ctx.session.api(client.CoreV1Api)
        owners = Owners()
        methods: dict[str, Callable[..., Any]] = {
            "Deployment": apps.list_deployment_for_all_namespaces,
            "StatefulSet": apps.list_stateful_set_for_all_namespaces,
            "DaemonSet": apps.list_daemon_set_for_all_namespaces,
            "ReplicaSet": apps.list_replica_set_for_all_namespaces,
            "CronJob": batch.list_cron_job_for_all_namespaces,
            "Job": batch.list_job_for_all_namespaces,
            "ReplicationController": core.list_replication_controller_for_all_namespaces,
        }
        listings: dict[str, Callable[[], Any]] = {
            kind: partial(list_controllers, ctx, kind, method, owners)
            for kind, method in methods.items()
        }
        listings["ServiceAccount"] = partial(list_accounts, ctx)
        listings["Pod"] = partial(list_pods, ctx, owners)  # last: needs the owner maps
        found = ctx.attempt_all("workloads: kind", listings)
        accounts, live = found.pop("ServiceAccount"), found.pop("Pod")
        workloads: dict[Key, Workload] = {}
        for listed in found.values():
            if not isinstance(listed, ConnectorError):
                workloads.update(listed)
        pods, aggregates = (live, {}) if isinstance(live, ConnectorError) else (None, live)
        for key, aggregate in aggregates.items():
            workload = workloads.setdefault(key, Workload(aggregate.owner))
            workload.live, workload.pods = aggregate.live, aggregate.pods
        for key in sorted(workloads):
            values = attributes(key, workloads[key], pods, accounts)
            reads = ctx.reads(*self.permissions)
            reads.read_many(values, partial(dict, values))
            yield ctx.observe(KIND, "/".join(key), reads)
