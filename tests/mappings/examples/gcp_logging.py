"""Pass and fail examples for the Cloud Logging rules."""


def _bucket(days: int, **extra: object) -> dict:
    return {
        "name": "_Default",
        "location": "global",
        "retention_days": days,
        "locked": False,
        "lifecycle_state": "ACTIVE",
        **extra,
    }


def _sink(disabled: bool) -> dict:
    return {
        "name": "audit-archive",
        "destination": "storage.googleapis.com/acme-audit-archive",
        "filter": 'logName:"cloudaudit.googleapis.com"',
        "disabled": disabled,
    }


EXAMPLES: dict[str, tuple[dict, dict]] = {
    "gcp.logging.project.audit-logs-exported": (
        {
            "project": "acme-prod",
            "sink_count": 1,
            "audit_logs_exported": True,
            "audit_sinks": ["audit-archive"],
        },
        {"project": "acme-prod", "sink_count": 0, "audit_logs_exported": False, "audit_sinks": []},
    ),
    "gcp.logging.bucket.retention": (
        _bucket(400, name="_Required", locked=True),
        _bucket(30),
    ),
    "gcp.logging.sink.enabled": (_sink(False), _sink(True)),
}
