"""Pass and fail examples for the Cloud Storage rules."""

BUCKET = {
    "name": "acme-records",
    "location": "EU",
    "uniform_bucket_level_access": True,
    "public_access_prevention": "enforced",
    "public_members": [],
    "default_kms_key": "projects/p/locations/europe/keyRings/r/cryptoKeys/k",
    "cmek": True,
    "versioning": True,
    "retention_policy": {"period_days": 365, "locked": True},
    "soft_delete_days": 7,
}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "gcp.storage.bucket.not-public": (
        BUCKET,
        {
            **BUCKET,
            "public_members": [{"member": "allUsers", "role": "roles/storage.objectViewer"}],
        },
    ),
    "gcp.storage.bucket.uniform-access": (
        BUCKET,
        {**BUCKET, "uniform_bucket_level_access": False},
    ),
    "gcp.storage.bucket.public-access-prevention": (
        BUCKET,
        {**BUCKET, "public_access_prevention": "inherited"},
    ),
    "gcp.storage.bucket.cmek": (
        BUCKET,
        {**BUCKET, "cmek": False, "default_kms_key": None},
    ),
    "gcp.storage.bucket.versioning": (BUCKET, {**BUCKET, "versioning": False}),
    "gcp.storage.bucket.retention-policy": (BUCKET, {**BUCKET, "retention_policy": None}),
}
