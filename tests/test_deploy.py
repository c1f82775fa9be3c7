"""deploy/ and the Dockerfile: valid Kubernetes objects, locked-down pods, consistent names.

Every manifest is checked field by field against the official ``kubernetes`` client's models (a
misspelt field or a wrong type fails, which the client's own deserialiser would silently drop),
the ConfigMap's annexa.toml goes through annexa's config loader, and the Dockerfile, which
cannot be built here, is parsed and checked instruction by instruction.
"""

from __future__ import annotations

import fnmatch
import json
import posixpath
import re
import shlex
import subprocess
import sys
import threading
import tomllib
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import kubernetes.client
import pytest
import yaml
from apscheduler.triggers.cron import CronTrigger
from kubernetes.client import ApiClient

from annexa.collector.cli import main
from annexa.collector.config import parse_config
from annexa.collector.shard import Shard
from annexa.connectors.aws.permissions import MEMBER_ROLE_ARN
from annexa.connectors.aws.provider import AwsTarget

ROOT = Path(__file__).resolve().parents[1]
KUBE = ROOT / "deploy" / "kubernetes"
MANIFESTS = ("config.yaml", "rbac.yaml", "daemon.yaml", "cronjob.yaml", "indexed-job.yaml")
WORKLOADS = ("daemon.yaml", "cronjob.yaml", "indexed-job.yaml")
ROOTS = ("collector", "connectors", "mappings", "store")
UID = 10001


@cache
def documents(name: str) -> tuple[dict[str, Any], ...]:
    with (KUBE / name).open(encoding="utf-8") as handle:
        return tuple(doc for doc in yaml.safe_load_all(handle) if doc is not None)


def find(name: str, kind: str, object_name: str | None = None) -> dict[str, Any]:
    found = [
        d
        for d in documents(name)
        if d["kind"] == kind and object_name in (None, d["metadata"]["name"])
    ]
    assert len(found) == 1, f"{name}: expected one {kind} {object_name or ''}, got {len(found)}"
    return found[0]


def model_name(doc: dict[str, Any]) -> str:
    version = doc["apiVersion"].rpartition("/")[2]
    return version[0].upper() + version[1:] + doc["kind"]


def strict_problems(data: Any, kind: str, where: str = "") -> list[str]:
    """Fields the client model does not know and values of the wrong type, by path."""
    if (match := re.fullmatch(r"(?:List\[|list\[)(.+)\]", kind)) is not None:
        if not isinstance(data, list):
            return [f"{where}: expected a list, got {data!r}"]
        items = enumerate(data)
        return [p for i, v in items for p in strict_problems(v, match[1], f"{where}[{i}]")]
    if (match := re.fullmatch(r"(?:Dict\[str, |dict\(str, )(.+)[\])]", kind)) is not None:
        if not isinstance(data, dict):
            return [f"{where}: expected a mapping, got {data!r}"]
        return [p for k, v in data.items() for p in strict_problems(v, match[1], f"{where}.{k}")]
    primitive = {"str": str, "bytes": str, "datetime": str, "bool": bool, "float": (int, float)}
    if kind == "int":
        ok = isinstance(data, int) and not isinstance(data, bool)
        return [] if ok else [f"{where}: expected an integer, got {data!r}"]
    if kind in primitive:
        ok = isinstance(data, primitive[kind])
        return [] if ok else [f"{where}: expected {kind}, got {data!r}"]
    if kind == "object":  # IntOrString and free-form fields
        return []
    model = getattr(kubernetes.client.models, kind)
    if not isinstance(data, dict):
        return [f"{where}: expected a {kind} mapping, got {data!r}"]
    fields = {json_key: attr for attr, json_key in model.attribute_map.items()}
    problems = []
    for key, value in data.items():
        if key not in fields:
            problems.append(f"{where}.{key}: not a field of {kind}")
        else:
            problems += strict_problems(value, model.openapi_types[fields[key]], f"{where}.{key}")
    return problems


def all_documents() -> list[tuple[str, dict[str, Any]]]:
    return [(name, doc) for name in MANIFESTS for doc in documents(name)]


@pytest.mark.parametrize(
    ("name", "doc"), all_documents(), ids=lambda v: v if isinstance(v, str) else v["kind"]
)
def test_every_manifest_is_a_valid_kubernetes_object(name: str, doc: dict[str, Any]) -> None:
    kind = model_name(doc)
    assert strict_problems(doc, kind, kind) == []
    # the client's own deserialiser enforces required fields and enumerations
    obj = ApiClient()._ApiClient__deserialize(doc, kind)  # type: ignore[attr-defined]
    assert obj.metadata.name == doc["metadata"]["name"]
    assert doc["metadata"]["labels"]["app.kubernetes.io/name"] == "annexa"
    if doc["kind"] not in {"Namespace", "ClusterRole", "ClusterRoleBinding"}:
        assert doc["metadata"]["namespace"] == "annexa"


def test_the_strict_check_catches_typos_and_wrong_types() -> None:
    deployment = json.loads(json.dumps(find("daemon.yaml", "Deployment")))
    deployment["spec"]["replicas"] = "1"
    deployment["spec"]["template"]["spec"]["securityContex"] = {}
    deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = 1
    assert strict_problems(deployment, "V1Deployment", "d") == [
        "d.spec.replicas: expected an integer, got '1'",
        "d.spec.template.spec.containers[0].resources.limits.cpu: expected str, got 1",
        "d.spec.template.spec.securityContex: not a field of V1PodSpec",
    ]


def pod_spec(name: str) -> dict[str, Any]:
    doc = next(d for d in documents(name) if d["kind"] in {"Deployment", "CronJob", "Job"})
    spec = doc["spec"]["jobTemplate"]["spec"] if doc["kind"] == "CronJob" else doc["spec"]
    return dict(spec["template"]["spec"])


@cache
def annexa_toml() -> dict[str, Any]:
    return tomllib.loads(find("config.yaml", "ConfigMap", "annexa-config")["data"]["annexa.toml"])


def test_the_configmap_parses_with_annexas_loader(monkeypatch: pytest.MonkeyPatch) -> None:
    store_url = find("config.yaml", "Secret", "annexa-store")["stringData"]["ANNEXA_STORE_URL"]
    monkeypatch.setenv("ANNEXA_STORE_URL", store_url)
    config = parse_config(annexa_toml(), Path("/etc/annexa/annexa.toml"))
    assert config.store_url == store_url
    assert store_url.startswith("postgresql+psycopg://")
    assert config.key_path == Path("/var/run/annexa/signing/annexa-signing.key")
    [target] = config.targets
    assert (target.name, target.provider, target.in_cluster) == ("this-cluster", "kubernetes", True)
    daemon = config.model.daemon
    [schedule] = daemon.schedules
    assert (schedule.cron, schedule.timezone, schedule.targets) == (
        "0 2 * * *",
        "UTC",
        ("this-cluster",),
    )
    assert (daemon.http_address, daemon.http_port, daemon.log_format) == ("0.0.0.0", 9464, "json")
    assert daemon.run_at_start is False and daemon.grace_seconds == 120


def test_the_commented_aws_target_is_a_valid_example() -> None:
    text = find("config.yaml", "ConfigMap", "annexa-config")["data"]["annexa.toml"]
    block = text[text.index("# [[targets]]") :].split("\n\n")[0]
    example = tomllib.loads(re.sub(r"(?m)^# ", "", block))["targets"]
    config = parse_config(annexa_toml() | {"targets": annexa_toml()["targets"] + example}, None)
    [_, aws] = config.targets
    trust = json.loads((ROOT / "deploy/aws/member-role-trust-policy.json").read_text())
    external_id = trust["Statement"][0]["Condition"]["StringEquals"]["sts:ExternalId"]
    assert (aws.provider, aws.organization) == ("aws", True)
    assert aws.member_role_name == "annexa-readonly"
    assert aws.member_external_id == external_id


@pytest.mark.parametrize("name", WORKLOADS)
def test_pods_are_locked_down(name: str) -> None:
    spec = pod_spec(name)
    service_account = find("rbac.yaml", "ServiceAccount")
    assert spec["serviceAccountName"] == service_account["metadata"]["name"] == "annexa"
    assert service_account["metadata"]["namespace"] == "annexa"
    assert spec["automountServiceAccountToken"] is True  # the in-cluster target reads with it
    pod = spec["securityContext"]
    assert (pod["runAsNonRoot"], pod["runAsUser"], pod["fsGroup"]) == (True, UID, UID)
    assert pod["seccompProfile"] == {"type": "RuntimeDefault"}
    assert not {"hostNetwork", "hostPID", "hostIPC"} & set(spec)
    [container] = spec["containers"]
    security = container["securityContext"]
    assert security["runAsNonRoot"] is True and security["runAsUser"] == UID
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["seccompProfile"] == {"type": "RuntimeDefault"}
    assert "privileged" not in security
    image = container["image"]
    assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+", image), image
    for bound in ("requests", "limits"):
        assert set(container["resources"][bound]) == {"cpu", "memory"}


@pytest.mark.parametrize("name", WORKLOADS)
def test_pods_mount_config_key_and_scratch_space(name: str) -> None:
    spec = pod_spec(name)
    [container] = spec["containers"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    mounts = {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}
    env = {e["name"]: e for e in container["env"]}
    config_path = env["ANNEXA_CONFIG"]["value"]
    assert config_path == dockerfile_env()["ANNEXA_CONFIG"]
    config_volume = mounts[posixpath.dirname(config_path)]
    assert config_volume["configMap"]["name"] == "annexa-config"
    assert config_volume["configMap"]["items"] == [
        {"key": "annexa.toml", "path": posixpath.basename(config_path)}
    ]
    key_path = annexa_toml()["signing"]["key_path"]
    key_volume = mounts[posixpath.dirname(key_path)]["secret"]
    assert key_volume == {"secretName": "annexa-signing-key", "defaultMode": 0o400}
    key_secret = find("config.yaml", "Secret", "annexa-signing-key")
    assert list(key_secret["stringData"]) == [posixpath.basename(key_path)]
    # everything writable is scratch space; the rest is mounted read-only
    writable = {"/tmp", dockerfile_env()["HOME"], dockerfile_workdir()}
    assert writable == {"/tmp", "/var/lib/annexa"}
    assert {path for path, v in mounts.items() if "emptyDir" in v} == writable
    for mount in container["volumeMounts"]:
        assert mount.get("readOnly", False) is ("emptyDir" not in volumes[mount["name"]])
    store = env["ANNEXA_STORE_URL"]["valueFrom"]["secretKeyRef"]
    assert store == {"name": "annexa-store", "key": "ANNEXA_STORE_URL"}
    assert "ANNEXA_STORE_URL" in find("config.yaml", "Secret", "annexa-store")["stringData"]
    assert spec["terminationGracePeriodSeconds"] > annexa_toml()["daemon"]["grace_seconds"] + 30


def test_namespace_enforces_the_restricted_pod_security_standard() -> None:
    labels = find("config.yaml", "Namespace", "annexa")["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_the_daemon_deployment_and_its_service() -> None:
    deployment = find("daemon.yaml", "Deployment", "annexa")
    assert deployment["spec"]["replicas"] == 1
    text = (KUBE / "daemon.yaml").read_text(encoding="utf-8")
    assert "ANNEXA_SHARD" in text and "lock" in text  # the comment on replicas and shards
    spec = pod_spec("daemon.yaml")
    [container] = spec["containers"]
    assert container["args"] == ["daemon"]
    main.commands["daemon"].make_context("daemon", container["args"][1:])
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    http_port = annexa_toml()["daemon"]["http_port"]
    assert ports == {"metrics": http_port} and dockerfile("EXPOSE") == [str(http_port)]
    for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
        get = container[probe]["httpGet"]
        assert get["path"] == path and ports[get["port"]] == 9464
    service = find("daemon.yaml", "Service", "annexa")
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= pod_labels.items()
    assert deployment["spec"]["selector"]["matchLabels"] == service["spec"]["selector"]
    assert service["spec"]["type"] == "ClusterIP"
    assert service["spec"]["ports"] == [
        {"name": "metrics", "port": 9464, "targetPort": "metrics", "protocol": "TCP"}
    ]
    assert service["metadata"]["annotations"] == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9464",
        "prometheus.io/path": "/metrics",
    }


def test_the_cronjob_runs_one_collection_at_a_time() -> None:
    cronjob = find("cronjob.yaml", "CronJob", "annexa-collect")["spec"]
    assert cronjob["concurrencyPolicy"] == "Forbid"
    assert cronjob["schedule"] == annexa_toml()["daemon"]["schedules"][0]["cron"]
    CronTrigger.from_crontab(cronjob["schedule"])
    assert cronjob["timeZone"] == "UTC"
    job = cronjob["jobTemplate"]["spec"]
    # exit 1 (gaps, the run is signed) and 2 (config) are final: a retry would collect again
    [final, disruption] = job["podFailurePolicy"]["rules"]
    assert (final["action"], final["onExitCodes"]["values"]) == ("FailJob", [1, 2])
    assert disruption == {"action": "Ignore", "onPodConditions": [{"type": "DisruptionTarget"}]}
    spec = pod_spec("cronjob.yaml")
    assert spec["restartPolicy"] == "Never"
    [container] = spec["containers"]
    assert container["args"] == ["collect", "--quiet"]
    main.commands["collect"].make_context("collect", container["args"][1:])


def test_the_indexed_job_gives_each_pod_its_shard() -> None:
    job = find("indexed-job.yaml", "Job", "annexa-collect-sharded")["spec"]
    assert (job["completionMode"], job["completions"], job["parallelism"]) == ("Indexed", 3, 3)
    [final, _] = job["podFailurePolicy"]["rules"]
    assert (final["action"], final["onExitCodes"]["values"]) == ("FailIndex", [1, 2])
    assert job["backoffLimitPerIndex"] >= 1
    [container] = pod_spec("indexed-job.yaml")["containers"]
    args = container["args"]
    assert args == ["collect", "--quiet", "--shard", "$(JOB_COMPLETION_INDEX)/3"]
    for index in range(job["completions"]):  # what the kubelet's $(...) expansion passes
        expanded = [a.replace("$(JOB_COMPLETION_INDEX)", str(index)) for a in args]
        ctx = main.commands["collect"].make_context("collect", expanded[1:])
        assert Shard.parse(ctx.params["shard_spec"]) == Shard(index, job["completions"])
    # the documented alternative: ANNEXA_SHARD_COUNT with the index Kubernetes sets
    assert "ANNEXA_SHARD_COUNT" in (KUBE / "indexed-job.yaml").read_text(encoding="utf-8")
    environ = {"JOB_COMPLETION_INDEX": "2", "ANNEXA_SHARD_COUNT": str(job["completions"])}
    assert Shard.from_env(environ) == Shard(2, 3)


def test_the_member_role_trust_policy() -> None:
    policy = json.loads((ROOT / "deploy/aws/member-role-trust-policy.json").read_text())
    assert policy["Version"] == "2012-10-17"
    [statement] = policy["Statement"]
    assert (statement["Effect"], statement["Action"]) == ("Allow", "sts:AssumeRole")
    assert re.fullmatch(
        r"arn:aws:iam::MANAGEMENT_ACCOUNT_ID:role/annexa-collector", statement["Principal"]["AWS"]
    )
    assert statement["Condition"] == {"StringEquals": {"sts:ExternalId": "EXTERNAL_ID"}}
    # the role it protects is the one the provider assumes and the management policy allows
    role_name = MEMBER_ROLE_ARN.rpartition("role/")[2]
    assert role_name == AwsTarget.model_fields["member_role_name"].default == "annexa-readonly"
    management = json.loads((ROOT / "deploy/aws/annexa-readonly-policy.json").read_text())
    assume = [s for s in management["Statement"] if s["Action"] == "sts:AssumeRole"]
    assert [s["Resource"] for s in assume] == [MEMBER_ROLE_ARN]


# --- Dockerfile (Docker has no daemon here: the file is parsed, not built) ---------------------


@cache
def instructions() -> tuple[tuple[str, str], ...]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    text = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    pairs = []
    for line in joined.splitlines():
        if line.strip():
            word, _, rest = line.strip().partition(" ")
            pairs.append((word.upper(), rest.strip()))
    return tuple(pairs)


def final_stage() -> list[tuple[str, str]]:
    pairs = list(instructions())
    last_from = max(i for i, (word, _) in enumerate(pairs) if word == "FROM")
    return pairs[last_from:]


def dockerfile(word: str) -> list[str]:
    return [args for w, args in final_stage() if w == word]


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for args in dockerfile("ENV"):
        env.update(item.split("=", 1) for item in shlex.split(args))
    return env


def dockerfile_workdir() -> str:
    return dockerfile("WORKDIR")[-1]


def test_dockerfile_stages_and_base_images() -> None:
    pairs = instructions()
    global_args = dict(a.split("=", 1) for w, a in pairs[: [w for w, _ in pairs].index("FROM")])
    stages = [args.split() for word, args in pairs if word == "FROM"]
    assert [s[1:] for s in stages] == [["AS", "build"], ["AS", "runtime"]]
    for stage in stages:
        image = re.sub(r"\$\{(\w+)\}", lambda m: global_args[m[1]], stage[0])
        assert re.fullmatch(r"python:3\.1[1-9]-slim(-\w+)?", image), image
    assert [a for w, a in final_stage() if w == "COPY"] == ["--from=build /opt/annexa /opt/annexa"]
    build = pairs[: pairs.index(final_stage()[0])]
    copied = {src for w, a in build if w == "COPY" for src in a.split()[:-1]}
    assert copied == {"pyproject.toml", "setup.py", "README.md", *ROOTS}
    extras = next(a for w, a in build if w == "ARG" and a.startswith("EXTRAS="))
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert {"aws", "kubernetes", "postgres"} <= set(extras.split("=")[1].split(","))
    assert set(extras.split("=")[1].split(",")) <= set(declared["optional-dependencies"])


def test_dockerfile_runtime_is_non_root_and_read_only_friendly() -> None:
    assert dockerfile("USER") == [f"{UID}:{UID}"]
    assert [w for w, _ in final_stage()][-2:] == ["ENTRYPOINT", "CMD"]
    assert dockerfile("ENTRYPOINT") == ['["annexa"]'] and dockerfile("CMD") == ['["daemon"]']
    env = dockerfile_env()
    assert env["PYTHONDONTWRITEBYTECODE"] == "1" and env["PYTHONUNBUFFERED"] == "1"
    assert env["HOME"] == dockerfile_workdir() == "/var/lib/annexa" and env["TMPDIR"] == "/tmp"
    assert f"--uid {UID}" in " ".join(dockerfile("RUN"))


def test_dockerfile_follows_hadolint_basics() -> None:
    pairs = instructions()
    words = [w for w, _ in pairs]
    assert "ADD" not in words and "MAINTAINER" not in words  # DL3020, DL4000
    for word, args in pairs:
        if word in {"CMD", "ENTRYPOINT"}:
            json.loads(args)  # DL3025: exec form
        if word == "RUN":
            assert not re.search(r"(^|&&|;)\s*(cd|sudo)\s", args), args  # DL3003, DL3004
            assert "apt-get" not in args or "--no-install-recommends" in args  # DL3015
        if word == "WORKDIR":
            assert args.startswith("/")  # DL3000
        if word == "FROM":
            assert ":latest" not in args  # DL3007
    build_env = " ".join(a for w, a in pairs[: pairs.index(final_stage()[0])] if w == "ENV")
    assert "PIP_NO_CACHE_DIR=1" in build_env  # DL3042
    final = [w for w, _ in final_stage()]
    for word in ("HEALTHCHECK", "CMD", "ENTRYPOINT", "USER"):
        assert final.count(word) == 1, word


def test_dockerignore_keeps_secrets_out_and_sources_in() -> None:
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]

    def ignored(path: str) -> bool:
        return any(
            fnmatch.fnmatch(path, p) or fnmatch.fnmatch(path, p.removeprefix("**/"))
            for p in patterns
        )

    for path in ("annexa-signing.key", "annexa.toml", "annexa.db", ".venv", ".git", "build"):
        assert ignored(path), path
    for source in ("pyproject.toml", "setup.py", "README.md", *ROOTS):
        assert (ROOT / source).exists() and not ignored(source), source


def test_the_healthcheck_command_fails_unless_healthz_answers_200() -> None:
    [healthcheck] = dockerfile("HEALTHCHECK")
    assert "--start-period" in healthcheck
    command = json.loads(healthcheck.split(" CMD ", 1)[1])
    assert command[:2] == ["python", "-c"] and "urllib.request" in command[2]
    assert "http://127.0.0.1:9464/healthz" in command[2]
    status = {"code": 200}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status["code"] if self.path == "/healthz" else 404)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with ThreadingHTTPServer(("127.0.0.1", 0), Handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        code = command[2].replace(":9464/", f":{server.server_port}/")
        run = [sys.executable, "-c", code]
        assert subprocess.run(run, capture_output=True, timeout=20).returncode == 0
        status["code"] = 503
        assert subprocess.run(run, capture_output=True, timeout=20).returncode != 0
        server.shutdown()
