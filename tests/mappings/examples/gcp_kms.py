"""Pass and fail examples for the Cloud KMS rules."""

KEY = {
    "location": "europe-west1",
    "key_ring": "app",
    "purpose": "ENCRYPT_DECRYPT",
    "rotation_applicable": True,
    "primary_state": "ENABLED",
    "destroy_scheduled": False,
    "destroy_scheduled_days": 30,
    "next_rotation_time": "2030-01-01T00:00:00Z",
}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "gcp.kms.key.rotation": (
        {**KEY, "rotation_enabled": True, "rotation_period_days": 90},
        {**KEY, "rotation_enabled": True, "rotation_period_days": 365},
    ),
    "gcp.kms.key.not-destroy-scheduled": (
        KEY,
        {**KEY, "primary_state": "DESTROY_SCHEDULED", "destroy_scheduled": True},
    ),
}
