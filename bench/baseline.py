"""The benchmark's baseline: the same evidence reads, hand-written with boto3 and a thread pool.

No read-only guard, no evidence records, no gap bookkeeping, no redaction, no rules, no store
and no signature: what is left is the API work, the floor annexa is compared against. Each
family reads what the annexa connector of the same name reads, as a careful engineer would
(paginated list calls, one call per resource only where the API has no list form, policies
cached per account).

    python bench/baseline.py ENDPOINT MEMBER_ACCOUNT WORKERS aws.iam,aws.s3,...

prints ``{"requests": N, "resources": M}``.
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

REGIONS = ("eu-west-1", "us-east-1")
MEMBER_ROLE = "annexa-readonly"
FAMILIES = ("aws.iam", "aws.s3", "aws.kms", "aws.ec2", "aws.vpc", "aws.cloudwatch")
GLOBAL = ("aws.iam", "aws.s3")


class Counter:
    def __init__(self) -> None:
        self.requests = 0
        self._lock = threading.Lock()

    def __call__(self, **_: Any) -> None:
        with self._lock:
            self.requests += 1


COUNTER = Counter()


def session_clients(endpoint: str, credentials: dict[str, str] | None) -> Callable[..., Any]:
    import boto3
    from botocore.config import Config

    from annexa.connectors.aws.session import strip_account_host

    config = Config(
        retries={"max_attempts": 1}, s3={"addressing_style": "path"}, max_pool_connections=32
    )
    session = boto3.Session(
        aws_access_key_id=(credentials or {}).get("AccessKeyId", "testing"),
        aws_secret_access_key=(credentials or {}).get("SecretAccessKey", "testing"),
        aws_session_token=(credentials or {}).get("SessionToken"),
    )
    made: dict[tuple[str, str], Any] = {}
    lock = threading.Lock()

    def make(service: str, region: str = "us-east-1") -> Any:
        with lock:
            if (service, region) not in made:
                client = session.client(
                    service, region_name=region, endpoint_url=endpoint, config=config
                )
                client.meta.events.register("before-send", COUNTER)
                if service == "s3control":  # moto serves it on the plain endpoint host
                    client.meta.events.register("before-send.s3-control", strip_account_host)
                made[service, region] = client
            return made[service, region]

    return make


def pages(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**kwargs).get(key, [])


def tolerant(call: Callable[[], Any]) -> Any:
    """A hand-written collector still has to survive 'not configured' answers."""
    try:
        return call()
    except Exception as exc:
        return exc


# Per-family work: each returns the per-resource jobs after doing its list calls.
Jobs = list[Callable[[], Any]]


def iam(make: Callable[..., Any], _: str) -> Jobs:
    client = make("iam")
    tolerant(client.generate_credential_report)
    tolerant(client.get_credential_report)
    tolerant(client.get_account_password_policy)
    client.get_account_summary()
    policies: dict[str, Any] = {}
    lock = threading.Lock()

    def policy(arn: str) -> None:
        with lock:
            if arn in policies:
                return
            policies[arn] = True
        version = client.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        client.get_policy_version(PolicyArn=arn, VersionId=version)

    def user(name: str) -> None:
        tolerant(lambda: client.get_login_profile(UserName=name))
        list(pages(client, "list_mfa_devices", "MFADevices", UserName=name))
        for key in pages(client, "list_access_keys", "AccessKeyMetadata", UserName=name):
            client.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
        for attached in pages(
            client, "list_attached_user_policies", "AttachedPolicies", UserName=name
        ):
            policy(attached["PolicyArn"])
        for inline in pages(client, "list_user_policies", "PolicyNames", UserName=name):
            client.get_user_policy(UserName=name, PolicyName=inline)
        list(pages(client, "list_groups_for_user", "Groups", UserName=name))

    return [lambda n=u["UserName"]: user(n) for u in pages(client, "list_users", "Users")]


def s3(make: Callable[..., Any], _: str) -> Jobs:
    client = make("s3")
    account = make("sts").get_caller_identity()["Account"]
    tolerant(lambda: make("s3control").get_public_access_block(AccountId=account))

    def bucket(name: str) -> None:
        for operation in (
            "get_bucket_location",
            "get_bucket_encryption",
            "get_public_access_block",
            "get_bucket_versioning",
            "get_bucket_logging",
            "get_bucket_policy",
            "get_bucket_policy_status",
            "get_bucket_acl",
            "get_bucket_ownership_controls",
            "get_bucket_tagging",
        ):
            tolerant(lambda op=operation: getattr(client, op)(Bucket=name))

    return [lambda n=b["Name"]: bucket(n) for b in pages(client, "list_buckets", "Buckets")]


def kms(make: Callable[..., Any], region: str) -> Jobs:
    client = make("kms", region)
    list(pages(client, "list_aliases", "Aliases"))

    def key(key_id: str) -> None:
        meta = client.describe_key(KeyId=key_id)["KeyMetadata"]
        if meta.get("KeyManager") != "CUSTOMER":
            return
        client.get_key_rotation_status(KeyId=key_id)
        client.get_key_policy(KeyId=key_id, PolicyName="default")
        list(pages(client, "list_resource_tags", "Tags", KeyId=key_id))

    return [lambda k=k["KeyId"]: key(k) for k in pages(client, "list_keys", "Keys")]


def ec2(make: Callable[..., Any], region: str) -> Jobs:
    client = make("ec2", region)
    list(pages(client, "describe_volumes", "Volumes", MaxResults=500))
    snapshots = list(pages(client, "describe_snapshots", "Snapshots", OwnerIds=["self"]))
    list(pages(client, "describe_images", "Images", Owners=["self"]))
    live = ["pending", "running", "shutting-down", "stopping", "stopped"]
    filters = [{"Name": "instance-state-name", "Values": live}]
    list(pages(client, "describe_instances", "Reservations", Filters=filters))
    client.get_ebs_encryption_by_default()
    tolerant(client.get_ebs_default_kms_key_id)  # moto does not implement it
    if snapshots:  # the public ones, in one listing rather than one attribute call each
        list(
            pages(
                client,
                "describe_snapshots",
                "Snapshots",
                OwnerIds=["self"],
                RestorableByUserIds=["all"],
            )
        )
    return []


def vpc(make: Callable[..., Any], region: str) -> Jobs:
    client = make("ec2", region)
    list(pages(client, "describe_security_groups", "SecurityGroups"))
    list(pages(client, "describe_vpcs", "Vpcs"))
    list(pages(client, "describe_flow_logs", "FlowLogs"))
    return []


def cloudwatch(make: Callable[..., Any], region: str) -> Jobs:
    """Log groups; metric filters and alarms only where a CloudTrail log group lives."""
    logs = make("logs", region)
    trails = make("cloudtrail", region).describe_trails(includeShadowTrails=True)["trailList"]
    list(pages(logs, "describe_log_groups", "logGroups"))
    if any(f":logs:{region}:" in t.get("CloudWatchLogsLogGroupArn", "") for t in trails):
        list(pages(logs, "describe_metric_filters", "metricFilters"))
        alarms = make("cloudwatch", region)
        list(pages(alarms, "describe_alarms", "MetricAlarms", AlarmTypes=["MetricAlarm"]))
    return []


WORK: dict[str, Callable[[Callable[..., Any], str], Jobs]] = {
    "aws.iam": iam,
    "aws.s3": s3,
    "aws.kms": kms,
    "aws.ec2": ec2,
    "aws.vpc": vpc,
    "aws.cloudwatch": cloudwatch,
}


def run_baseline(endpoint: str, member: str, workers: int, families: Iterable[str]) -> int:
    """Collect everything with ``workers`` threads; returns the number of per-resource jobs."""
    management = session_clients(endpoint, None)
    credentials = management("sts").assume_role(
        RoleArn=f"arn:aws:iam::{member}:role/{MEMBER_ROLE}", RoleSessionName="baseline"
    )["Credentials"]
    accounts = [management, session_clients(endpoint, credentials)]
    units = [
        (make, family, region)
        for make in accounts
        for family in families
        for region in (("us-east-1",) if family in GLOBAL else REGIONS)
    ]
    with ThreadPoolExecutor(workers) as pool:
        job_lists = list(pool.map(lambda unit: WORK[unit[1]](unit[0], unit[2]), units))
        jobs = [job for jobs in job_lists for job in jobs]
        for future in [pool.submit(job) for job in jobs]:
            future.result()
    return len(jobs)


def main() -> None:
    endpoint, member, workers, families = sys.argv[1:5]
    resources = run_baseline(endpoint, member, int(workers), families.split(","))
    print(json.dumps({"requests": COUNTER.requests, "resources": resources}))


if __name__ == "__main__":
    main()
