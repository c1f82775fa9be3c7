"""S3: per-bucket encryption, public access, versioning, logging and policy; the account block."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.connectors.aws.common import (
    denies_insecure_transport,
    has_code,
    iso,
    paginate,
    policy_document,
    public_statements,
    tags_dict,
)
from annexa.connectors.base import Connector, Kind, Reads, UnitContext
from annexa.connectors.records import Observation

PUBLIC_GRANTEES = (
    "http://acs.amazonaws.com/groups/global/AllUsers",
    "http://acs.amazonaws.com/groups/global/AuthenticatedUsers",
)
BLOCK_FLAGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")

BUCKET = Kind(
    "aws.s3.bucket",
    "An S3 bucket's protection: encryption, public access, versioning, logging, policy",
    {
        "name": "bucket name",
        "region": "the bucket's region",
        "created_at": "creation time reported by ListBuckets",
        "default_encryption": "configured, algorithm (AES256 / aws:kms / aws:kms:dsse), KMS key",
        "public_access_block": "the bucket's four public-access-block flags and all_blocked",
        "account_public_access_block": "the account-level block that also applies to the bucket",
        "versioning": "status (Enabled / Suspended / Disabled) and MFA delete",
        "logging": "server access logging: enabled, target bucket",
        "policy": "present, public statements, whether non-TLS requests are denied",
        "policy_status_public": "IsPublic from GetBucketPolicyStatus (AWS's own analysis)",
        "acl": "public grants in the bucket ACL",
        "object_ownership": "ObjectOwnership (BucketOwnerEnforced disables ACLs)",
        "tags": "bucket tags (secret-looking values redacted)",
        "publicly_accessible": "public through policy or ACL and not blocked by an access block",
    },
)
ACCOUNT = Kind(
    "aws.s3.account",
    "The account-wide S3 public access block",
    {"public_access_block": "the four account-level flags and all_blocked"},
)


def transform_block(config: dict[str, Any] | None) -> dict[str, Any]:
    """Public-access-block flags; an absent configuration blocks nothing."""
    flags = {flag: bool((config or {}).get(flag, False)) for flag in BLOCK_FLAGS}
    return {
        "configured": config is not None,
        "block_public_acls": flags["BlockPublicAcls"],
        "ignore_public_acls": flags["IgnorePublicAcls"],
        "block_public_policy": flags["BlockPublicPolicy"],
        "restrict_public_buckets": flags["RestrictPublicBuckets"],
        "all_blocked": all(flags.values()),
    }


def get_block(client: Any, **where: str) -> dict[str, Any]:
    """The public access block of a bucket (``Bucket=``) or of the account (``AccountId=``)."""
    try:
        config = client.get_public_access_block(**where)
    except Exception as exc:
        if has_code(exc, "NoSuchPublicAccessBlockConfiguration"):
            return transform_block(None)
        raise
    return transform_block(config["PublicAccessBlockConfiguration"])


def get_encryption(s3: Any, bucket: str) -> dict[str, Any]:
    """Default encryption. Real AWS has applied SSE-S3 to every bucket since January 2023, so a
    missing configuration only comes from older partitions, S3-compatible endpoints or moto;
    it is recorded as not configured rather than assumed."""
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"][
            "Rules"
        ]
    except Exception as exc:
        if has_code(exc, "ServerSideEncryptionConfigurationNotFoundError"):
            return {"configured": False, "algorithm": None, "kms_key_id": None, "bucket_key": False}
        raise
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
    return {
        "configured": bool(default.get("SSEAlgorithm")),
        "algorithm": default.get("SSEAlgorithm"),
        "kms_key_id": default.get("KMSMasterKeyID"),
        "bucket_key": bool(rules[0].get("BucketKeyEnabled", False)) if rules else False,
    }


def get_versioning(s3: Any, bucket: str) -> dict[str, Any]:
    found = s3.get_bucket_versioning(Bucket=bucket)
    return {
        "status": found.get("Status", "Disabled"),
        "mfa_delete": found.get("MFADelete", "Disabled"),
    }


def get_logging(s3: Any, bucket: str) -> dict[str, Any]:
    enabled = s3.get_bucket_logging(Bucket=bucket).get("LoggingEnabled")
    return {
        "enabled": enabled is not None,
        "target_bucket": (enabled or {}).get("TargetBucket"),
        "target_prefix": (enabled or {}).get("TargetPrefix"),
    }


def get_policy(s3: Any, bucket: str) -> dict[str, Any]:
    try:
        raw = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    except Exception as exc:
        if has_code(exc, "NoSuchBucketPolicy"):
            return {"present": False, "public_statements": [], "denies_insecure_transport": False}
        raise
    document = policy_document(raw)
    return {
        "present": True,
        "public_statements": public_statements(document),
        "denies_insecure_transport": denies_insecure_transport(document),
    }


def get_policy_status(s3: Any, bucket: str) -> bool:
    try:
        return bool(s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"]["IsPublic"])
    except Exception as exc:
        if has_code(exc, "NoSuchBucketPolicy"):
            return False
        raise


def get_acl(s3: Any, bucket: str) -> dict[str, Any]:
    grants = s3.get_bucket_acl(Bucket=bucket).get("Grants", [])
    public = sorted(
        {
            f"{g['Grantee'].get('URI', '').rsplit('/', 1)[-1]}:{g['Permission']}"
            for g in grants
            if g.get("Grantee", {}).get("URI") in PUBLIC_GRANTEES
        }
    )
    return {"public": bool(public), "public_grants": public}


def get_ownership(s3: Any, bucket: str) -> str | None:
    try:
        rules = s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"]
    except Exception as exc:
        if has_code(exc, "OwnershipControlsNotFoundError"):
            return None
        raise
    return str(rules[0]["ObjectOwnership"]) if rules else None


def get_tags(s3: Any, bucket: str) -> dict[str, str]:
    try:
        return tags_dict(s3.get_bucket_tagging(Bucket=bucket).get("TagSet"))
    except Exception as exc:
        if has_code(exc, "NoSuchTagSet"):
            return {}
        raise


def get_region(s3: Any, bucket: dict[str, Any]) -> str:
    if bucket.get("BucketRegion"):
        return str(bucket["BucketRegion"])
    location = s3.get_bucket_location(Bucket=bucket["Name"]).get("LocationConstraint")
    return str({None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(location, location))


def is_publicly_accessible(attrs: dict[str, Any]) -> bool:
    """Public through policy or ACL, and not neutralised by a bucket or account access block."""
    bucket, account = attrs["public_access_block"], attrs["account_public_access_block"]
    policy_public = bool(attrs["policy"]["public_statements"]) or attrs["policy_status_public"]
    policy_blocked = bucket["restrict_public_buckets"] or account["restrict_public_buckets"]
    acl_public = attrs["acl"]["public"] and attrs["object_ownership"] != "BucketOwnerEnforced"
    acl_blocked = bucket["ignore_public_acls"] or account["ignore_public_acls"]
    return (policy_public and not policy_blocked) or (acl_public and not acl_blocked)


class S3Connector(Connector):
    name = "aws.s3"
    provider = "aws"
    description = "S3 buckets (all regions) and the account public access block"
    regional = False
    kinds = (BUCKET, ACCOUNT)
    permissions = (
        "s3:ListAllMyBuckets",
        "s3:GetBucketLocation",
        "s3:GetEncryptionConfiguration",
        "s3:GetBucketPublicAccessBlock",
        "s3:GetAccountPublicAccessBlock",
        "s3:GetBucketVersioning",
        "s3:GetBucketLogging",
        "s3:GetBucketPolicy",
        "s3:GetBucketPolicyStatus",
        "s3:GetBucketAcl",
        "s3:GetBucketOwnershipControls",
        "s3:GetBucketTagging",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        session, account = ctx.session, ctx.scope.account
        account_reads = ctx.reads()
        account_reads.read(
            "public_access_block", lambda: get_block(session.client("s3control"), AccountId=account)
        )
        yield ctx.observe(
            "aws.s3.account", f"arn:{session.partition}:s3::{account}:account", account_reads
        )

        s3 = session.client("s3")
        buckets = list(paginate(s3, "list_buckets", "Buckets"))
        yield from ctx.map(lambda bucket: _bucket(ctx, bucket, account_reads), buckets)


def _bucket(ctx: UnitContext, bucket: dict[str, Any], account: Reads) -> Observation:
    session, name = ctx.session, bucket["Name"]
    reads = ctx.reads("s3:ListBuckets")
    reads.set("name", name)
    reads.set("created_at", iso(bucket.get("CreationDate")))
    reads.read("region", lambda: get_region(session.client("s3"), bucket))
    s3 = session.client("s3", reads.attributes.get("region"))
    if "public_access_block" in account.gaps:
        reads.gaps["account_public_access_block"] = account.gaps["public_access_block"]
    else:
        reads.set("account_public_access_block", account.attributes["public_access_block"])
    reads.read("default_encryption", lambda: get_encryption(s3, name))
    reads.read("public_access_block", lambda: get_block(s3, Bucket=name))
    reads.read("versioning", lambda: get_versioning(s3, name))
    reads.read("logging", lambda: get_logging(s3, name))
    reads.read("policy", lambda: get_policy(s3, name))
    reads.read("policy_status_public", lambda: get_policy_status(s3, name))
    reads.read("acl", lambda: get_acl(s3, name))
    reads.read("object_ownership", lambda: get_ownership(s3, name))
    reads.read("tags", lambda: get_tags(s3, name))
    needs = ("public_access_block", "account_public_access_block", "policy")
    reads.derive(
        "publicly_accessible",
        (*needs, "policy_status_public", "acl", "object_ownership"),
        lambda: is_publicly_accessible(reads.attributes),
    )
    region = reads.attributes.get("region")
    return ctx.observe(
        "aws.s3.bucket", f"arn:{session.partition}:s3:::{name}", reads, region=region or "global"
    )
