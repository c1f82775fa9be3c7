"""The read-only guard refuses every non-read before it is sent."""

from __future__ import annotations

import pytest

from annexa.connectors.aws.guard import is_read
from annexa.connectors.errors import MutationRefused
from tests.support.aws import open_session


@pytest.mark.parametrize(
    ("service", "operation", "allowed"),
    [
        ("s3", "ListBuckets", True),
        ("iam", "GetAccountSummary", True),
        ("cloudtrail", "DescribeTrails", True),
        ("s3", "HeadBucket", True),
        ("iam", "GenerateCredentialReport", True),
        ("sts", "AssumeRole", True),
        ("sts", "GetCallerIdentity", True),
        ("s3", "CreateBucket", False),
        ("s3", "PutBucketPolicy", False),
        ("iam", "CreateAccessKey", False),
        ("iam", "AttachUserPolicy", False),
        ("kms", "ScheduleKeyDeletion", False),
        ("cloudtrail", "StopLogging", False),
        ("config", "StopConfigurationRecorder", False),
        ("ec2", "TerminateInstances", False),
        ("kms", "Decrypt", False),
        ("sts", "GetSessionToken", False),
        # reads that would return secrets or customer data are refused as well
        ("secretsmanager", "GetSecretValue", False),
        ("s3", "GetObject", False),
        ("ssm", "GetParameter", False),
        ("ecr", "GetAuthorizationToken", False),
    ],
)
def test_what_may_leave(service: str, operation: str, allowed: bool) -> None:
    assert is_read(service, operation) is allowed


def test_mutating_call_never_reaches_the_server(proxy) -> None:
    session = open_session(proxy.url)
    before = len(proxy.seen)
    s3 = session.client("s3")
    with pytest.raises(MutationRefused, match="read-only guard refused s3:CreateBucket"):
        s3.create_bucket(Bucket="must-not-exist")
    with pytest.raises(MutationRefused):
        session.client("iam").create_user(UserName="intruder")
    with pytest.raises(MutationRefused):
        session.client("kms", "eu-west-1").schedule_key_deletion(KeyId="x" * 36)
    assert proxy.seen[before:] == []  # nothing was sent
    assert s3.list_buckets()["Buckets"] == []
    assert [s.operation for s in proxy.seen[before:]] == ["GET /?"]


def test_guard_covers_clients_made_directly_from_the_session(proxy) -> None:
    """Even a client built from the underlying boto3 session carries the guard."""
    session = open_session(proxy.url)
    raw = session._boto.client("s3", endpoint_url=proxy.url)
    with pytest.raises(MutationRefused):
        raw.delete_bucket(Bucket="anything")
