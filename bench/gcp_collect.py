"""Benchmark: `annexa collect` on Google Cloud against a hand-written client collector.

A fake Google API (tests/support/gcp.py, in a subprocess of its own) serves a folder with two
projects, each holding N/2 resources: buckets (each with an IAM policy read) and firewall rules,
two to one. Both sides run as subprocesses with the same workers against the same server and
the same real client libraries; the baseline (a thread pool calling list_buckets,
get_iam_policy per bucket and the firewall listing) keeps nothing, annexa also guards, records,
evaluates the rules, stores and signs. Printed: wall time, API requests, peak RSS, ratios.

    python bench/gcp_collect.py                      # 2,000 and 6,000 resources
    python bench/gcp_collect.py --resources 500      # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from aws_collect import Measured, measure  # noqa: E402
from harness import announce, print_header, print_pair, served  # noqa: E402

PROJECTS = ("acme-prod", "acme-data")
BASELINE = r"""
import json, sys, threading
from concurrent.futures import ThreadPoolExecutor
from google.api_core.client_options import ClientOptions
from google.cloud import compute_v1, storage
from google.oauth2 import service_account
from requests.adapters import HTTPAdapter

url, key, workers = sys.argv[1], sys.argv[2], int(sys.argv[3])
count, lock = [0], threading.Lock()

class Counting(HTTPAdapter):
    def send(self, request, *args, **kwargs):
        with lock:
            count[0] += 1
        return super().send(request, *args, **kwargs)

credentials = service_account.Credentials.from_service_account_file(
    key, scopes=["https://www.googleapis.com/auth/cloud-platform.read-only"])

def mount(session):
    session.mount("http://", Counting(pool_maxsize=workers))
    return session

def project(name):
    client = storage.Client(project=name, credentials=credentials,
                            client_options={"api_endpoint": url})
    mount(client._http)
    buckets = list(client.list_buckets())
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(lambda b: b.get_iam_policy(requested_policy_version=3), buckets))
    firewalls = compute_v1.FirewallsClient(credentials=credentials, transport="rest",
                                           client_options=ClientOptions(api_endpoint=url))
    mount(firewalls._transport._session)
    return len(buckets) + len(list(firewalls.list(project=name)))

with ThreadPoolExecutor(2) as pool:
    items = sum(pool.map(project, ["acme-prod", "acme-data"]))
print(json.dumps({"requests": count[0], "items": items}))
"""


def serve(resources: int, ready: Path) -> None:
    """The server process: a folder of two projects with buckets and firewall rules."""
    from google.auth import credentials

    from tests.support.gcp import FakeGoogle

    boundary = credentials.CredentialsWithRegionalAccessBoundary
    boundary._is_regional_access_boundary_lookup_required = lambda self: False  # no internet
    server = FakeGoogle(page_size=500)
    answer = server.handle

    def handle(method: str, target: str, body: bytes) -> tuple[int, dict]:
        if target.startswith("/__requests"):  # for the benchmark: requests received so far
            return 200, {"count": sum(1 for _, path, _ in server.requests if path != "/token")}
        return answer(method, target, body)

    server.handle = handle  # type: ignore[method-assign]
    per_project = resources // len(PROJECTS)
    buckets = per_project * 2 // 3
    server.get(
        r"/v3/projects",
        (
            "projects",
            [
                {"name": f"projects/{n}", "projectId": p, "parent": "folders/10", "state": "ACTIVE"}
                for n, p in enumerate(PROJECTS, start=1)
            ],
        ),
    )
    server.get(r"/v3/folders", ("folders", []))
    server.get(
        r"/storage/v1/b",
        (
            "items",
            [
                {
                    "kind": "storage#bucket",
                    "name": f"bucket-{n:06d}",
                    "id": f"bucket-{n:06d}",
                    "location": "EU",
                    "storageClass": "STANDARD",
                    "timeCreated": "2026-01-01T00:00:00Z",
                    "iamConfiguration": {
                        "uniformBucketLevelAccess": {"enabled": n % 3 != 0},
                        "publicAccessPrevention": "enforced" if n % 2 else "inherited",
                    },
                    "versioning": {"enabled": n % 4 == 0},
                }
                for n in range(buckets)
            ],
        ),
    )
    server.get(
        r"/storage/v1/b/[^/]+/iam",
        {
            "kind": "storage#policy",
            "version": 3,
            "bindings": [
                {"role": "roles/storage.admin", "members": ["group:platform@acme.example"]}
            ],
        },
    )
    for project in PROJECTS:
        server.get(
            rf"/compute/v1/projects/{project}/global/firewalls",
            (
                "items",
                [
                    {
                        "kind": "compute#firewall",
                        "id": str(n),
                        "name": f"fw-{n:06d}",
                        "network": f"projects/{project}/global/networks/prod",
                        "priority": 1000,
                        "direction": "INGRESS",
                        "disabled": False,
                        "sourceRanges": ["0.0.0.0/0" if n % 10 == 0 else "10.0.0.0/8"],
                        "allowed": [
                            {"IPProtocol": "tcp", "ports": ["22" if n % 10 == 0 else "443"]}
                        ],
                    }
                    for n in range(per_project - buckets)
                ],
            ),
        )
    with server.running():
        announce(ready, f"{server.url}\n{server.key_file(ready.parent)}")
        while True:
            time.sleep(3600)


def received(url: str) -> int:
    with urllib.request.urlopen(f"{url}/__requests", timeout=10) as response:
        return int(json.load(response)["count"])


def run_annexa(url: str, key: str, workdir: Path, workers: int) -> Measured:
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
provider = "gcp"
folder = "10"
credentials_file = "{key}"
endpoints = {{ "*" = "{url}" }}
connectors = ["gcp.storage", "gcp.network"]
""",
        encoding="utf-8",
    )
    command = [
        sys.executable,
        "-c",
        (
            "from google.auth import credentials as c; "
            "c.CredentialsWithRegionalAccessBoundary._is_regional_access_boundary_lookup_required"
            " = lambda self: False; "
            "from annexa.collector.cli import main; main()"
        ),
        "collect",
        "--config",
        str(config),
        "--quiet",
    ]
    measured, _ = measure(command, dict(os.environ))
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, action="append")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--ready", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve is not None:
        serve(args.serve, args.ready)
        return
    print_header("resources", 9)
    for resources in args.resources or [2_000, 6_000]:
        with tempfile.TemporaryDirectory() as tmp:
            workdir = Path(tmp)
            with served(__file__, resources, workdir, "fake Google API") as announced:
                url, key = announced.splitlines()
                before = received(url)
                base, _ = measure(
                    [sys.executable, "-c", BASELINE, url, key, str(args.workers)], dict(os.environ)
                )
                middle = received(url)
                ours = run_annexa(url, key, workdir, args.workers)
                # requests as the server received them: the same yardstick for both sides
                base.requests, ours.requests = middle - before, received(url) - middle
        print_pair(resources, 9, base, ours)


if __name__ == "__main__":
    main()
