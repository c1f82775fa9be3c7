"""S3 through boto3 against moto over HTTP, buckets in two regions."""

from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber

from annexa.connectors.aws.s3 import S3Connector, get_encryption, is_publicly_accessible
from tests.support.aws import ACCOUNT, by_id, client, open_session, run_unit

BLOCK_ALL = {
    flag: True
    for flag in (
        "BlockPublicAcls",
        "IgnorePublicAcls",
        "BlockPublicPolicy",
        "RestrictPublicBuckets",
    )
}


def tls_only(bucket: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "TlsOnly",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


@pytest.fixture
def estate(moto: str) -> str:
    s3 = client(moto, "s3")
    s3.create_bucket(
        Bucket="locked-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    s3.put_bucket_encryption(
        Bucket="locked-eu",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": "alias/data",
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_public_access_block(Bucket="locked-eu", PublicAccessBlockConfiguration=BLOCK_ALL)
    s3.put_bucket_versioning(Bucket="locked-eu", VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_policy(Bucket="locked-eu", Policy=tls_only("locked-eu"))
    s3.put_bucket_tagging(
        Bucket="locked-eu", Tagging={"TagSet": [{"Key": "classification", "Value": "confidential"}]}
    )

    s3.create_bucket(Bucket="open-us")
    s3.put_bucket_policy(
        Bucket="open-us",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Public",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::open-us/*",
                    }
                ],
            }
        ),
    )
    s3.create_bucket(Bucket="acl-us")
    s3.put_bucket_acl(Bucket="acl-us", ACL="public-read")
    return moto


def test_buckets_in_two_regions(estate: str) -> None:
    observations, _ = run_unit(S3Connector, estate, "global")
    buckets = by_id(observations, "aws.s3.bucket")
    assert set(buckets) == {"arn:aws:s3:::locked-eu", "arn:aws:s3:::open-us", "arn:aws:s3:::acl-us"}

    locked = buckets["arn:aws:s3:::locked-eu"]
    assert locked.scope.region == "eu-west-1" and locked.attributes["region"] == "eu-west-1"
    attrs = locked.attributes
    assert attrs["default_encryption"] == {
        "configured": True,
        "algorithm": "aws:kms",
        "kms_key_id": "alias/data",
        "bucket_key": True,
    }
    assert attrs["public_access_block"]["all_blocked"] is True
    assert attrs["versioning"]["status"] == "Enabled"
    assert attrs["policy"] == {
        "present": True,
        "public_statements": [],
        "denies_insecure_transport": True,
    }
    assert attrs["publicly_accessible"] is False and attrs["tags"] == {
        "classification": "confidential"
    }
    assert not locked.gaps

    open_bucket = buckets["arn:aws:s3:::open-us"].attributes
    assert (
        open_bucket["policy"]["public_statements"] == ["Public"]
        and open_bucket["policy_status_public"] is True
    )
    assert open_bucket["publicly_accessible"] is True
    assert (
        open_bucket["default_encryption"]["configured"] is False
    )  # moto: no default configuration
    assert (
        open_bucket["versioning"]["status"] == "Disabled"
        and open_bucket["logging"]["enabled"] is False
    )

    acl = buckets["arn:aws:s3:::acl-us"].attributes
    assert acl["acl"]["public"] is True and "AllUsers:READ" in acl["acl"]["public_grants"]
    assert acl["publicly_accessible"] is True

    [account] = by_id(observations, "aws.s3.account").values()
    assert account.resource_id == f"arn:aws:s3::{ACCOUNT}:account"
    assert account.attributes["public_access_block"]["configured"] is False


def test_account_block_neutralises_public_policy(estate: str) -> None:
    client(estate, "s3control").put_public_access_block(
        AccountId=ACCOUNT, PublicAccessBlockConfiguration=BLOCK_ALL
    )
    observations, _ = run_unit(S3Connector, estate, "global")
    open_bucket = by_id(observations, "aws.s3.bucket")["arn:aws:s3:::open-us"].attributes
    assert open_bucket["account_public_access_block"]["all_blocked"] is True
    assert open_bucket["publicly_accessible"] is False


def test_default_sse_s3_of_real_aws(moto: str) -> None:
    """Since January 2023 every bucket reports SSE-S3 (moto returns 404 instead)."""
    s3 = open_session(moto).client("s3")
    with Stubber(s3) as stub:
        stub.add_response(
            "get_bucket_encryption",
            {
                "ServerSideEncryptionConfiguration": {
                    "Rules": [
                        {
                            "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                            "BucketKeyEnabled": False,
                        }
                    ]
                }
            },
            {"Bucket": "any-bucket"},
        )
        found = get_encryption(s3, "any-bucket")
    assert found == {
        "configured": True,
        "algorithm": "AES256",
        "kms_key_id": None,
        "bucket_key": False,
    }


def test_access_denied_on_one_bucket_read_is_a_gap(estate: str, proxy) -> None:
    proxy.deny(service="s3", operation="GET /locked-eu?policy")
    observations, _ = run_unit(S3Connector, proxy.url, "global")
    locked = by_id(observations, "aws.s3.bucket")["arn:aws:s3:::locked-eu"]
    assert "PermissionDenied" in locked.gaps["policy"]
    assert "publicly_accessible" in locked.gaps  # derived from an unreadable attribute: a gap too
    assert locked.attributes["versioning"]["status"] == "Enabled"


def test_public_access_logic() -> None:
    closed = {"restrict_public_buckets": False, "ignore_public_acls": False}
    base = {
        "public_access_block": closed,
        "account_public_access_block": closed,
        "policy": {"public_statements": []},
        "policy_status_public": False,
        "acl": {"public": True},
        "object_ownership": "BucketOwnerEnforced",
    }
    assert is_publicly_accessible(base) is False  # ACLs are disabled by the ownership setting
    assert is_publicly_accessible(base | {"object_ownership": None}) is True
