"""Cloud Storage: the project's buckets, their public exposure, encryption and retention.

Buckets come from one paged listing (which every observation depends on: if it fails, the unit
fails). Each bucket's IAM policy is read separately; a failed read makes ``public_members`` a
gap for that bucket, never "not public". Legacy ACLs are not read: on buckets without uniform
bucket-level access they can still grant public access, which the uniform-access rule flags.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from google.cloud.storage import Bucket, Client

from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.records import Observation

BUCKET = Kind(
    "gcp.storage.bucket",
    "A Cloud Storage bucket",
    {
        "name": "bucket name",
        "location": "location (EU, US-CENTRAL1, ...)",
        "location_type": "region, dual-region or multi-region",
        "storage_class": "default storage class",
        "created_at": "creation time",
        "uniform_bucket_level_access": "uniform bucket-level access on (ACLs disabled)",
        "public_access_prevention": "enforced, inherited (from the org policy) or unspecified",
        "public_members": "IAM bindings to allUsers / allAuthenticatedUsers ({member, role})",
        "default_kms_key": "default customer-managed KMS key (null: Google-managed keys)",
        "cmek": "new objects are encrypted with a customer-managed key by default",
        "versioning": "object versioning on",
        "retention_policy": "bucket retention policy {period_days, locked} (null: none)",
        "soft_delete_days": "soft-delete retention in days (0 or null: off)",
        "logging_enabled": "usage and storage logs are delivered to a log bucket",
        "log_bucket": "the bucket usage logs go to (null: none)",
        "labels": "bucket labels",
    },
)

PUBLIC_MEMBERS = frozenset({"allUsers", "allAuthenticatedUsers"})


def _days(seconds: Any) -> int | float | None:
    if seconds is None:
        return None
    total = int(seconds)
    return total // 86400 if total % 86400 == 0 else round(total / 86400, 2)


def transform_bucket(bucket: Bucket) -> dict[str, Any]:
    """The attributes of a bucket as ``list_buckets`` returns it (IAM policy aside)."""
    iam = bucket.iam_configuration
    logging = bucket.get_logging() or {}
    period = bucket.retention_period
    soft_delete = bucket.soft_delete_policy
    return {
        "name": bucket.name,
        "location": bucket.location,
        "location_type": bucket.location_type,
        "storage_class": bucket.storage_class,
        "created_at": bucket.time_created.isoformat().replace("+00:00", "Z")
        if bucket.time_created
        else None,
        "uniform_bucket_level_access": bool(iam.uniform_bucket_level_access_enabled),
        "public_access_prevention": iam.get("publicAccessPrevention") or "unspecified",
        "default_kms_key": bucket.default_kms_key_name,
        "cmek": bool(bucket.default_kms_key_name),
        "versioning": bool(bucket.versioning_enabled),
        "retention_policy": {
            "period_days": _days(period),
            "locked": bool(bucket.retention_policy_locked),
        }
        if period
        else None,
        "soft_delete_days": _days(soft_delete.retention_duration_seconds),
        "logging_enabled": bool(logging.get("logBucket")),
        "log_bucket": logging.get("logBucket"),
        "labels": dict(bucket.labels or {}),
    }


def public_members(bucket: Bucket) -> list[dict[str, str]]:
    """Bindings of the bucket's IAM policy (version 3, conditions kept) to public principals."""
    policy = bucket.get_iam_policy(requested_policy_version=3)
    return sorted(
        (
            {"member": member, "role": binding["role"]}
            for binding in policy.bindings
            for member in binding.get("members", ())
            if member in PUBLIC_MEMBERS
        ),
        key=lambda m: (m["member"], m["role"]),
    )


class StorageConnector(Connector):
    name = "gcp.storage"
    provider = "gcp"
    description = "Cloud Storage buckets: public access, uniform access, CMEK, versioning"
    regional = False
    kinds = (BUCKET,)
    permissions = ("storage.buckets.list", "storage.buckets.getIamPolicy")

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        client = ctx.session.client("storage", Client, transport=None, project=ctx.session.project)
        # google-cloud-storage >= 3.x fetches each bucket's metadata again in a background
        # thread to label its tracing spans: a second request per bucket, outside the unit's
        # accounting. annexa already has the metadata from the listing.
        client._bucket_metadata_cache = None
        buckets = list(client.list_buckets(project=ctx.session.project))
        yield from ctx.map(lambda bucket: _bucket(ctx, bucket), buckets)


def _bucket(ctx: UnitContext, bucket: Bucket) -> Observation:
    reads = ctx.reads("storage.buckets.list")
    for name, value in transform_bucket(bucket).items():
        reads.set(name, value)
    reads.sources.add("storage.buckets.getIamPolicy")
    reads.read("public_members", lambda: public_members(bucket))
    return ctx.observe(
        "gcp.storage.bucket", f"//storage.googleapis.com/buckets/{bucket.name}", reads
    )
