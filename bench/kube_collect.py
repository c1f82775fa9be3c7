"""Benchmark: `annexa collect` on a Kubernetes cluster against a hand-written client collector.

A fake API server (tests/support/kube.py, in a subprocess of its own) serves a cluster of N pods
the way a real one is shaped: Deployments of five replicas with their ReplicaSets, spread over
namespaces that each carry service accounts, roles, bindings, a NetworkPolicy and a quota; plus
every connector family's representative estate (tests/support/kube_estates/).

Both sides run as subprocesses against the same server, with the same workers and page size.
The baseline (bench/kube_baseline.py) makes the same listings with the typed client, paged and
deserialised, and keeps nothing; annexa also guards, analyses, records, redacts, evaluates the
rules, stores and signs. Printed per scale: wall time, API requests and peak RSS of each side
and annexa's ratio to the baseline measured in the same run. Peak RSS staying flat as the pod
count grows is what paging buys.

    python bench/kube_collect.py                  # 10,000 and 30,000 pods
    python bench/kube_collect.py --pods 2000      # a quick look
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from aws_collect import Measured, measure  # noqa: E402
from harness import announce, print_header, print_pair, served  # noqa: E402

REPLICAS = 5
PODS_PER_NAMESPACE = 200


def build(pods: int):  # -> FakeApiServer (imported lazily: only the server process needs it)
    from tests.support import kube_estates
    from tests.support.kube import FakeApiServer, container, namespace, obj, owner_ref, pod

    server = FakeApiServer()
    for module in pkgutil.iter_modules(kube_estates.__path__):
        importlib.import_module(f"{kube_estates.__name__}.{module.name}").seed(server)
    template = {
        "metadata": {"labels": {"app": "web"}},
        "spec": {"containers": [container("web", "registry.example/web:1.4.2")]},
    }
    for n in range(max(1, pods // PODS_PER_NAMESPACE)):
        ns = f"team-{n:04}"
        server.add(
            namespace(ns, **{"pod-security.kubernetes.io/enforce": "baseline"}),
            obj("v1", "ServiceAccount", "default", ns),
            obj("v1", "ServiceAccount", "deployer", ns, automountServiceAccountToken=False),
            obj(
                "rbac.authorization.k8s.io/v1",
                "Role",
                "reader",
                ns,
                rules=[{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}],
            ),
            obj(
                "rbac.authorization.k8s.io/v1",
                "RoleBinding",
                "reader",
                ns,
                roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
                subjects=[{"kind": "ServiceAccount", "name": "deployer", "namespace": ns}],
            ),
            obj(
                "networking.k8s.io/v1",
                "NetworkPolicy",
                "default-deny",
                ns,
                spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
            ),
            obj("v1", "ResourceQuota", "quota", ns, spec={"hard": {"pods": "500"}}),
        )
    for i in range(pods // REPLICAS):
        ns = f"team-{(i * REPLICAS // PODS_PER_NAMESPACE) % max(1, pods // PODS_PER_NAMESPACE):04}"
        name = f"web-{i:05}"
        selector = {"matchLabels": {"app": "web"}}
        server.add(
            obj(
                "apps/v1",
                "Deployment",
                name,
                ns,
                spec={"replicas": REPLICAS, "selector": selector, "template": template},
            ),
            obj(
                "apps/v1",
                "ReplicaSet",
                f"{name}-7d9f",
                ns,
                metadata={"ownerReferences": [owner_ref("Deployment", name)]},
                spec={"replicas": REPLICAS, "selector": selector, "template": template},
            ),
        )
        for r in range(REPLICAS):
            server.add(
                pod(
                    f"{name}-7d9f-{r}",
                    ns,
                    owner={"kind": "ReplicaSet", "name": f"{name}-7d9f"},
                    containers=[container("web", "registry.example/web:1.4.2")],
                    serviceAccountName="default",
                )
            )
    return server


def serve(pods: int, ready: Path) -> None:
    """The server process: seed, write the kubeconfig's path to ``ready``, serve until killed."""
    server = build(pods)
    with server.running():
        path = server.kubeconfig(ready.parent)
        announce(ready, str(path))
        while True:
            time.sleep(3600)


def run_annexa(kubeconfig: str, workdir: Path, workers: int, page_size: int) -> Measured:
    config = workdir / "annexa.toml"
    config.write_text(
        f"""
[store]
url = "sqlite:///{(workdir / "evidence.db").as_posix()}"

[signing]
key_path = "{(workdir / "annexa.key").as_posix()}"

[collector]
max_workers = {workers}
max_attempts = 1

[[targets]]
name = "bench"
provider = "kubernetes"
kubeconfig = "{kubeconfig}"
page_size = {page_size}
""",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "annexa.collector.cli", "collect", "--config", str(config)]
    measured, out = measure([*command, "--quiet"], dict(os.environ))
    summary = out.split("complete:")[1].split("\n")[0] if "complete:" in out else out
    if "error" in summary or "denied" in summary:
        raise RuntimeError(f"annexa run had failed units:\n{out}")
    return measured


def run_baseline(kubeconfig: str, workers: int, page_size: int) -> Measured:
    script = str(Path(__file__).resolve().parent / "kube_baseline.py")
    measured, _ = measure(
        [sys.executable, script, kubeconfig, str(workers), str(page_size)], dict(os.environ)
    )
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pods", type=int, action="append", help="pods (repeatable)")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--page-size", type=int, default=500)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ready", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.ready)
        return
    print_header("pods", 7)
    for pods in args.pods or [10_000, 30_000]:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            with served(__file__, pods, workdir, "fake API server") as kubeconfig:
                base = run_baseline(kubeconfig, args.workers, args.page_size)
                ours = run_annexa(kubeconfig, workdir, args.workers, args.page_size)
        print_pair(pods, 7, base, ours)


if __name__ == "__main__":
    main()
