"""Benchmark: `annexa collect` against a hand-written boto3 collector doing the same reads.

An organization of two accounts (management and one member reached through an assumed role),
two regions, and N resources spread the way a real estate is (mostly security groups, volumes
and log groups; fewer buckets, users and keys), served by a moto server in a subprocess.

Both sides run as subprocesses against the same seeded server with the same number of worker
threads. The baseline is what a careful engineer would write by hand with boto3 and a thread
pool: the same API reads, no guard, no evidence records, no rules, no store, no signing. annexa
does all of that on top. Printed per scale: wall time, API requests and peak RSS of each side,
and annexa's ratio to the baseline measured in the same run.

    python bench/aws_collect.py                    # 10,000 and 20,000 resources
    python bench/aws_collect.py --resources 2000   # a quick look
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from baseline import FAMILIES

REGIONS = ("eu-west-1", "us-east-1")
MANAGEMENT = "123456789012"
MEMBER_ROLE = "annexa-readonly"
# Share of the resources per family, summed over both accounts (and both regions if regional).
MIX = {
    "security_groups": 0.62,
    "volumes": 0.20,
    "log_groups": 0.12,
    "users": 0.03,
    "buckets": 0.02,
    "keys": 0.01,
}
ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",
}


@dataclass
class Measured:
    wall_s: float
    requests: int
    peak_rss_mb: float


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server in its own process, so that it does not share an interpreter with clients."""
    port = free_port()
    env = {**os.environ, **ENV}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=1)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("moto server did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def clients(endpoint: str, credentials: dict[str, str] | None = None) -> Callable[..., Any]:
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"max_attempts": 1}, s3={"addressing_style": "path"}, max_pool_connections=32
    )
    session = boto3.Session(
        aws_access_key_id=(credentials or {}).get("AccessKeyId", "testing"),
        aws_secret_access_key=(credentials or {}).get("SecretAccessKey", "testing"),
        aws_session_token=(credentials or {}).get("SessionToken"),
    )

    def make(service: str, region: str = "us-east-1") -> Any:
        return session.client(service, region_name=region, endpoint_url=endpoint, config=config)

    return make


def seed(endpoint: str, total: int) -> str:
    """Seed the organization; returns the member account id."""
    management = clients(endpoint)
    orgs = management("organizations")
    orgs.create_organization(FeatureSet="ALL")
    member = orgs.create_account(AccountName="production", Email="prod@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    credentials = management("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/{MEMBER_ROLE}", RoleSessionName="seed"
    )["Credentials"]
    accounts = [management, clients(endpoint, credentials)]
    counts = {family: max(1, round(total * share)) for family, share in MIX.items()}
    jobs: list[Callable[[], Any]] = []
    for a, make in enumerate(accounts):
        jobs += seed_global(make, a, counts["users"] // 2, counts["buckets"] // 2)
        for r, region in enumerate(REGIONS):
            share = {family: n // (2 * len(REGIONS)) for family, n in counts.items()}
            jobs += seed_regional(make, region, f"a{a}r{r}", share)
    with ThreadPoolExecutor(8) as pool:
        for future in [pool.submit(retried, job) for job in jobs]:
            future.result()
    return str(member)


def retried(job: Callable[[], Any], attempts: int = 5) -> Any:
    """moto's server occasionally answers a burst of concurrent writes with an HTML 500."""
    from botocore.parsers import ResponseParserError

    for attempt in range(attempts):
        try:
            return job()
        except ResponseParserError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.2 * (attempt + 1))
    return None


def seed_global(
    make: Callable[..., Any], a: int, users: int, buckets: int
) -> list[Callable[[], Any]]:
    iam, s3 = make("iam"), make("s3")

    def user(i: int) -> None:
        name = f"user-{a}-{i}"
        iam.create_user(UserName=name)
        if i % 3 == 0:
            iam.create_access_key(UserName=name)
        if i % 4 == 0:
            iam.create_login_profile(UserName=name, Password="Bench-password-123!")

    def bucket(i: int) -> None:
        name = f"bench-{a}-{i}"
        s3.create_bucket(Bucket=name)
        if i % 2 == 0:
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})

    return [lambda i=i: user(i) for i in range(users)] + [
        lambda i=i: bucket(i) for i in range(buckets)
    ]


def seed_regional(
    make: Callable[..., Any], region: str, tag: str, counts: dict[str, int]
) -> list[Callable[[], Any]]:
    ec2, logs, kms = make("ec2", region), make("logs", region), make("kms", region)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    zone = f"{region}a"

    def group(i: int) -> None:
        name = f"sg-{tag}-{i}"
        try:
            group_id = ec2.create_security_group(GroupName=name, Description="bench", VpcId=vpc)[
                "GroupId"
            ]
        except ec2.exceptions.ClientError as exc:  # created by an attempt that answered 500
            if "Duplicate" not in str(exc):
                raise
            group_id = ec2.describe_security_groups(
                Filters=[{"Name": "group-name", "Values": [name]}]
            )["SecurityGroups"][0]["GroupId"]
        if i % 10 == 0:
            port = (22, 443, 5432, 3389)[i // 10 % 4]
            ec2.authorize_security_group_ingress(
                GroupId=group_id,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": port,
                        "ToPort": port,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                    }
                ],
            )

    def volume(i: int) -> None:
        ec2.create_volume(AvailabilityZone=zone, Size=8, Encrypted=i % 4 != 0)

    def log_group(i: int) -> None:
        logs.create_log_group(logGroupName=f"/bench/{tag}/{i}")
        if i % 2 == 0:
            logs.put_retention_policy(logGroupName=f"/bench/{tag}/{i}", retentionInDays=365)

    def key(i: int) -> None:
        key_id = kms.create_key(Description=f"bench {tag} {i}")["KeyMetadata"]["KeyId"]
        if i % 2 == 0:
            kms.enable_key_rotation(KeyId=key_id)

    return (
        [lambda i=i: group(i) for i in range(counts["security_groups"])]
        + [lambda i=i: volume(i) for i in range(counts["volumes"])]
        + [lambda i=i: log_group(i) for i in range(counts["log_groups"])]
        + [lambda i=i: key(i) for i in range(counts["keys"])]
    )


def measure(command: list[str], env: dict[str, str]) -> tuple[Measured, str]:
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    out = process.stdout.read() if process.stdout else ""
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # annexa exits 1 on evidence gaps
        raise RuntimeError(f"{command[:4]} failed:\n{out}")
    found = re.search(r"(\d+) API calls|\"requests\": (\d+)", out)
    if not found:
        raise RuntimeError(f"no request count in:\n{out}")
    requests = int(found.group(1) or found.group(2))
    return Measured(wall, requests, usage.ru_maxrss / 1024), out


def run_annexa(endpoint: str, workdir: Path, workers: int, families: list[str]) -> Measured:
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
provider = "aws"
regions = {json.dumps(list(REGIONS))}
endpoint_url = "{endpoint}"
organization = true
member_role_name = "{MEMBER_ROLE}"
connectors = {json.dumps(families)}
""",
        encoding="utf-8",
    )
    command = [sys.executable, "-m", "annexa.collector.cli", "collect", "--config", str(config)]
    measured, out = measure([*command, "--quiet"], {**os.environ, **ENV})
    if "error" in out.split("Units with gaps")[0].split("complete:")[1].split("\n")[0]:
        raise RuntimeError(f"annexa run had failed units:\n{out}")
    return measured


def run_hand_written(endpoint: str, member: str, workers: int, families: list[str]) -> Measured:
    command = [
        sys.executable,
        str(Path(__file__).resolve().parent / "baseline.py"),
        endpoint,
        member,
        str(workers),
        ",".join(families),
    ]
    measured, _ = measure(command, {**os.environ, **ENV})
    return measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resources", type=int, nargs="+", default=[10_000, 20_000])
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument(
        "--families",
        nargs="+",
        default=[f for f in FAMILIES if f in installed_connectors()],
        choices=FAMILIES,
    )
    args = parser.parse_args()
    missing = set(args.families) - installed_connectors()
    if missing:
        parser.error(f"connector(s) not installed: {', '.join(sorted(missing))}")
    families = list(args.families)
    print(f"connectors: {', '.join(families)}; {args.workers} workers; 2 accounts x 2 regions")
    header = (
        f"{'resources':>9} {'side':<9} {'wall s':>7} {'requests':>8} {'peak MB':>8}"
        f" {'x wall':>7} {'x req':>6} {'x RSS':>6}"
    )
    print(header)
    for total in args.resources:
        with moto_server() as endpoint, tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            member = seed(endpoint, total)
            seeded = time.perf_counter() - started
            base = run_hand_written(endpoint, member, args.workers, families)
            ours = run_annexa(endpoint, Path(tmp), args.workers, families)
        print(
            f"{total:>9} {'baseline':<9} {base.wall_s:>7.1f} {base.requests:>8}"
            f" {base.peak_rss_mb:>8.0f}"
        )
        print(
            f"{total:>9} {'annexa':<9} {ours.wall_s:>7.1f} {ours.requests:>8}"
            f" {ours.peak_rss_mb:>8.0f} {ours.wall_s / base.wall_s:>7.2f}"
            f" {ours.requests / base.requests:>6.2f} {ours.peak_rss_mb / base.peak_rss_mb:>6.2f}"
            f"   (seeded in {seeded:.0f}s)"
        )


def installed_connectors() -> set[str]:
    from annexa.connectors.registry import connector_registry

    return set(connector_registry().names())


if __name__ == "__main__":
    main()
