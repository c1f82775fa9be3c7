"""Cloud Logging sinks and buckets through google-cloud-logging's JSON client, against the fake."""

from __future__ import annotations

import pytest

from annexa.connectors.gcp.logs import LoggingConnector, selects_audit_logs
from tests.support.gcp import FakeGoogle, run_unit

WRITER = "serviceAccount:service-123@gcp-sa-logging.iam.gserviceaccount.com"
REQUIRED_FILTER = (
    'LOG_ID("cloudaudit.googleapis.com/activity") OR '
    'LOG_ID("externalaudit.googleapis.com/activity") OR '
    'LOG_ID("cloudaudit.googleapis.com/system_event")'
)
DEFAULT_FILTER = (
    'NOT LOG_ID("cloudaudit.googleapis.com/activity") AND '
    'NOT LOG_ID("externalaudit.googleapis.com/activity") AND '
    'NOT LOG_ID("cloudaudit.googleapis.com/system_event")'
)
BUCKETS_DEST = "logging.googleapis.com/projects/acme-prod/locations/global/buckets"

SINKS = [
    {"name": "_Required", "destination": f"{BUCKETS_DEST}/_Required", "filter": REQUIRED_FILTER},
    {"name": "_Default", "destination": f"{BUCKETS_DEST}/_Default", "filter": DEFAULT_FILTER},
    {
        "name": "audit-archive",
        "destination": "storage.googleapis.com/acme-audit-archive",
        "filter": 'logName:"cloudaudit.googleapis.com"',
        "writerIdentity": WRITER,
        "createTime": "2024-01-01T00:00:00Z",
    },
    {
        "name": "everything-disabled",
        "destination": "bigquery.googleapis.com/projects/acme-prod/datasets/logs",
        "disabled": True,
        "writerIdentity": WRITER,
    },
    {
        "name": "app-errors",
        "destination": "pubsub.googleapis.com/projects/acme-prod/topics/errors",
        "filter": "severity>=ERROR",
        "exclusions": [{"name": "noisy", "filter": 'resource.type="k8s_container"'}],
        "writerIdentity": WRITER,
    },
]


def bucket(location: str, bucket_id: str, **extra: object) -> dict:
    return {
        "name": f"projects/acme-prod/locations/{location}/buckets/{bucket_id}",
        "lifecycleState": "ACTIVE",
        **extra,
    }


BUCKETS = [
    bucket("global", "_Required", retentionDays=400, locked=True),
    bucket("global", "_Default", retentionDays=30),
    bucket("europe-west1", "_Default"),  # retentionDays absent: Logging's 30
    bucket("europe-west1", "security", retentionDays=3650, locked=True),
    bucket("global", "old", retentionDays=1, lifecycleState="DELETE_REQUESTED"),
]


@pytest.fixture
def google():
    server = FakeGoogle()
    server.get("/v2/projects/acme-prod/sinks", ("sinks", SINKS))
    server.get("/v2/projects/acme-prod/locations/-/buckets", ("buckets", BUCKETS))
    with server.running():
        yield server


def by_kind(observations, kind: str) -> dict[str, dict]:
    return {o.resource_id: o.attributes for o in observations if o.kind == kind}


def test_sinks_buckets_and_project(google: FakeGoogle) -> None:
    observations, counter = run_unit(LoggingConnector, google)
    sinks = by_kind(observations, "gcp.logging.sink")
    assert len(sinks) == 5  # three pages of two
    archive = sinks["projects/acme-prod/sinks/audit-archive"]
    assert archive == {
        "name": "audit-archive",
        "builtin": False,
        "destination": "storage.googleapis.com/acme-audit-archive",
        "destination_service": "storage",
        "filter": 'logName:"cloudaudit.googleapis.com"',
        "exclusions": [],
        "disabled": False,
        "exports_audit_logs": True,
        "writer_identity_present": True,
    }
    disabled = sinks["projects/acme-prod/sinks/everything-disabled"]
    assert disabled["disabled"] and disabled["exports_audit_logs"] and disabled["filter"] == ""
    errors = sinks["projects/acme-prod/sinks/app-errors"]
    assert errors["exports_audit_logs"] is False and errors["destination_service"] == "pubsub"
    assert errors["exclusions"] == ['resource.type="k8s_container"']
    default = sinks["projects/acme-prod/sinks/_Default"]
    assert default["builtin"] and default["exports_audit_logs"] is False
    assert default["writer_identity_present"] is False
    assert sinks["projects/acme-prod/sinks/_Required"]["exports_audit_logs"] is True

    buckets = by_kind(observations, "gcp.logging.bucket")
    assert len(buckets) == 5
    required = buckets["projects/acme-prod/locations/global/buckets/_Required"]
    assert required == {
        "name": "_Required",
        "location": "global",
        "builtin": True,
        "retention_days": 400,
        "locked": True,
        "lifecycle_state": "ACTIVE",
    }
    regional = buckets["projects/acme-prod/locations/europe-west1/buckets/_Default"]
    assert regional["retention_days"] == 30 and regional["location"] == "europe-west1"
    assert buckets["projects/acme-prod/locations/europe-west1/buckets/security"]["locked"]

    [project] = by_kind(observations, "gcp.logging.project").values()
    assert project == {
        "project": "acme-prod",
        "sink_count": 3,
        "audit_logs_exported": True,
        "audit_sinks": ["audit-archive"],
        "default_retention_days": 30,
    }
    assert counter.operations == {
        "GET v2/projects/*/sinks": 3,
        "GET v2/projects/*/locations/*/buckets": 3,
    }


def test_only_builtin_or_disabled_sinks_export_nothing(google: FakeGoogle) -> None:
    google.routes[0].body = ("sinks", [SINKS[0], SINKS[1], SINKS[3]])
    observations, _ = run_unit(LoggingConnector, google)
    [project] = by_kind(observations, "gcp.logging.project").values()
    assert project["audit_logs_exported"] is False and project["sink_count"] == 1


def test_denied_sinks_are_gaps_buckets_intact(google: FakeGoogle) -> None:
    google.deny(r"/sinks$")
    notes: list[str] = []
    observations, _ = run_unit(LoggingConnector, google, notes=notes)
    assert not by_kind(observations, "gcp.logging.sink")
    assert len(by_kind(observations, "gcp.logging.bucket")) == 5
    [project] = [o for o in observations if o.kind == "gcp.logging.project"]
    assert "PermissionDenied" in project.gaps["audit_logs_exported"]
    assert set(project.gaps) == {"sink_count", "audit_logs_exported", "audit_sinks"}
    assert project.attributes["default_retention_days"] == 30
    assert len(notes) == 1 and notes[0].startswith("logging sinks not listed: PermissionDenied")


@pytest.mark.parametrize(
    ("text", "selects"),
    [
        ("", True),
        ('logName:"cloudaudit.googleapis.com"', True),
        (REQUIRED_FILTER, True),
        (DEFAULT_FILTER, False),
        ('resource.type="gce_instance" AND (NOT logName:"cloudaudit.googleapis.com")', False),
        ("-logName:cloudaudit.googleapis.com", False),
        ("severity>=ERROR", False),
    ],
)
def test_audit_log_filters(text: str, selects: bool) -> None:
    assert selects_audit_logs(text) is selects
