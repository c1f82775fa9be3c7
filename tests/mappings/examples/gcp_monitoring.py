"""Pass and fail examples for the Cloud Monitoring rules."""

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "gcp.monitoring.project.alerting": (
        {"notifying_policies": 2, "policies": 3, "enabled_policies": 2},
        {"notifying_policies": 0, "policies": 1, "enabled_policies": 1},
    ),
    "gcp.monitoring.alert_policy.notifies": (
        {"name": "IAM changes", "enabled": True, "notification_channels": 1},
        {"name": "Budget", "enabled": True, "notification_channels": 0},
    ),
}
