"""`annexa collect` end to end on Kubernetes: the real client over HTTP(S) to fake API servers."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from annexa.collector.cli import main
from annexa.connectors.registry import connector_registry
from annexa.store import Store
from tests.support import kube_estates
from tests.support.kube import FakeApiServer
from tests.support.kube_estates.workloads import SECRET_VALUES


def kubernetes_connectors() -> list[str]:
    return sorted(n for n in connector_registry().names() if n.startswith("kubernetes."))


def seed_everything(server: FakeApiServer) -> FakeApiServer:
    for module in pkgutil.iter_modules(kube_estates.__path__):
        importlib.import_module(f"{kube_estates.__name__}.{module.name}").seed(server)
    return server


@pytest.fixture
def cluster() -> Iterator[FakeApiServer]:
    with FakeApiServer(tls=True).running() as server:
        yield seed_everything(server)


def write_config(tmp_path: Path, *targets: str) -> Path:
    path = tmp_path / "annexa.toml"
    path.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "evidence.db"}"

[signing]
key_path = "annexa.key"

[collector]
max_workers = 4
max_attempts = 2
"""
        + "".join(targets)
    )
    return path


def target(name: str, server: FakeApiServer, tmp_path: Path, **extra: str | int) -> str:
    options = "".join(f"{key} = {json.dumps(value)}\n" for key, value in extra.items())
    kubeconfig = server.kubeconfig(tmp_path, context=name)
    return f"""
[[targets]]
name = "{name}"
provider = "kubernetes"
kubeconfig = "{kubeconfig}"
page_size = 3
{options}"""


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def units(config: Path) -> dict[str, tuple[str, str, str | None]]:
    store = Store.open(f"sqlite:///{config.parent / 'evidence.db'}")
    run = store.run()
    found = {u.unit_key: (u.status, u.account, u.error_message) for u in store.units(run.id)}
    store.close()
    return found


def json_of(config: Path, *args: str) -> list[dict]:
    code, output = cli(*args, "--config", str(config), "--format", "json")
    assert code == 0, output
    return json.loads(output)


def test_collect_a_cluster_and_read_it_back(cluster: FakeApiServer, tmp_path: Path) -> None:
    config = write_config(tmp_path, target("prod", cluster, tmp_path, cluster="prod-eu"))
    code, output = cli("collect", "--config", str(config), "--quiet")
    assert code == 0, output

    found = units(config)
    assert set(found) == {f"prod/{name}/cluster" for name in kubernetes_connectors()}
    rbac = found.pop("prod/kubernetes.rbac/cluster")
    assert all(status == "ok" for status, _, _ in found.values()), found
    # the seed binds a role that does not exist: what it grants is a gap, not "not risky"
    assert rbac[0] == "partial" and "ClusterRole/does-not-exist" in (rbac[2] or "")
    assert {account for _, account, _ in found.values()} == {"prod-eu"}

    findings = json_of(config, "findings")
    kinds = {f["kind"] for f in findings}
    for family in ("rbac", "namespaces", "workloads", "admission", "controlplane", "modelserving"):
        assert any(k.startswith(f"kubernetes.{family}.") for k in kinds), family
    failing = {f["rule_id"] for f in findings if f["status"] == "fail"}
    assert "kubernetes.workloads.workload.no-privileged" in failing
    assert "kubernetes.rbac.binding.cluster-admin-restricted" in failing
    passing = {f["rule_id"] for f in findings if f["status"] == "pass"}
    assert "kubernetes.workloads.workload.no-privileged" in passing  # both sides seeded

    code, output = cli("status", "--config", str(config), "--format", "json")
    controls = {c["control"]: c for c in json.loads(output)["controls"]}
    assert controls["A.8.2"]["fail"] > 0 and controls["A.8.2"]["pass"] > 0

    inventory = json_of(config, "inventory")
    assert inventory and {a["category"] for a in inventory} == {"endpoint"}
    assert {a["kind"] for a in inventory} == {
        "kubernetes.modelserving.inference_service",
        "kubernetes.modelserving.seldon_deployment",
    }

    code, output = cli("verify", "--config", str(config))
    assert code == 0 and "OK: 1 run(s)" in output

    dump = "\n".join(sqlite3.connect(tmp_path / "evidence.db").iterdump())
    for secret in SECRET_VALUES:
        assert secret not in dump


def test_several_clusters_one_forbidden_resource_one_unreachable(
    cluster: FakeApiServer, tmp_path: Path
) -> None:
    gone = FakeApiServer()
    with gone.running():
        gone_target = target("gone", gone, tmp_path)
    # `gone` has stopped: its API server refuses connections.
    with FakeApiServer().running() as staging:
        seed_everything(staging)
        staging.deny("", "pods")
        config = write_config(
            tmp_path,
            target("prod", cluster, tmp_path),
            target("staging", staging, tmp_path, cluster="staging"),
            gone_target,
        )
        code, output = cli("collect", "--config", str(config), "--quiet")
    assert code == 1, output  # evidence gaps

    found = units(config)
    names = kubernetes_connectors()
    assert all(found[f"prod/{n}/cluster"][0] in ("ok", "partial") for n in names)
    reading_pods = {"kubernetes.workloads", "kubernetes.controlplane"}
    for name in reading_pods:  # the 403 is a gap in what needs pods; nothing else is touched
        status, _, error = found[f"staging/{name}/cluster"]
        assert status == "partial" and "pods" in (error or ""), (name, status, error)
    assert all(
        found[f"staging/{n}/cluster"][0] == found[f"prod/{n}/cluster"][0]
        for n in names
        if n not in reading_pods
    )
    assert all(found[f"gone/{n}/cluster"][0] == "error" for n in names)
    assert "TransientError" in (found["gone/kubernetes.rbac/cluster"][2] or "")
    assert {found[f"{t}/kubernetes.rbac/cluster"][1] for t in ("prod", "staging", "gone")} == {
        "fake-cluster",
        "staging",
        "gone",
    }
