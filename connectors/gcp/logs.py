"""Cloud Logging: sinks (log exports), log buckets and their retention, per project.

google-cloud-logging's GAPIC ConfigServiceV2Client only ships gRPC transports, which the
read-only guard cannot be mounted on; annexa therefore reads the Logging REST API (v2) through
the library's JSON client (``google.cloud.logging_v2.Client`` with ``_use_grpc=False``), whose
``requests`` session the guard does guard, and pages its listings with api_core's
``HTTPIterator``. Items stay the API's JSON, so fields the library's ``Sink`` drops (``disabled``,
``exclusions``) are kept. Alerting policies (Cloud Monitoring) are not read yet.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from google.api_core.page_iterator import HTTPIterator
from google.cloud.logging_v2.client import Client

from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.errors import ConnectorError
from annexa.connectors.records import Observation

AUDIT_LOGS = "cloudaudit.googleapis.com"
BUILTIN = ("_Required", "_Default")  # the sinks and buckets every project is created with
DEFAULT_RETENTION_DAYS = 30  # what Logging applies when retentionDays is 0 or absent
CLAUSE = re.compile(r"\b(?:AND|OR)\b")

SINK = Kind(
    "gcp.logging.sink",
    "A log sink routing the project's log entries to a destination",
    {
        "name": "sink name",
        "builtin": "one of the sinks every project has (_Required, _Default), which route to "
        "the project's own log buckets",
        "destination": "destination (storage.googleapis.com/..., bigquery..., pubsub..., "
        "logging.googleapis.com/...)",
        "destination_service": "storage, bigquery, pubsub or logging",
        "filter": "inclusion filter (empty: every log entry)",
        "exclusions": "enabled exclusion filters",
        "disabled": "the sink is disabled and routes nothing",
        "exports_audit_logs": "the filter is empty or selects cloudaudit.googleapis.com logs "
        "(not only by negating them), and no enabled exclusion names them",
        "writer_identity_present": "the sink has a writer identity to grant on the destination",
    },
)

BUCKET = Kind(
    "gcp.logging.bucket",
    "A Cloud Logging log bucket (in any location)",
    {
        "name": "bucket id (_Required, _Default or user-defined)",
        "location": "location (global or a region)",
        "builtin": "_Required or _Default",
        "retention_days": "days log entries are kept (0 or absent read as Logging's default 30)",
        "locked": "retention is locked: neither the bucket nor its retention can be changed",
        "lifecycle_state": "ACTIVE, DELETE_REQUESTED, ...",
    },
)

PROJECT = Kind(
    "gcp.logging.project",
    "A project's log routing and retention summary",
    {
        "project": "project id",
        "sink_count": "user-defined sinks (not _Required or _Default)",
        "audit_logs_exported": "some enabled user-defined sink exports audit logs",
        "audit_sinks": "names of the enabled user-defined sinks that export audit logs",
        "default_retention_days": "lowest retention of the project's _Default buckets "
        "(null: no _Default bucket)",
    },
)


def selects_audit_logs(text: str) -> bool:
    """The filter selects audit logs: empty, or one of its clauses names them un-negated."""
    if not text.strip():
        return True
    for clause in CLAUSE.split(text):
        clause = clause.strip().lstrip("( ")
        if AUDIT_LOGS in clause and not re.match(r"(NOT\b|-)", clause):
            return True
    return False


def transform_sink(sink: dict[str, Any]) -> dict[str, Any]:
    destination = sink.get("destination", "")
    exclusions = [e.get("filter", "") for e in sink.get("exclusions", []) if not e.get("disabled")]
    excluded = any(AUDIT_LOGS in e for e in exclusions)
    return {
        "name": sink["name"],
        "builtin": sink["name"] in BUILTIN,
        "destination": destination,
        "destination_service": destination.split("/", 1)[0].split(".", 1)[0],
        "filter": sink.get("filter", ""),
        "exclusions": exclusions,
        "disabled": bool(sink.get("disabled", False)),
        "exports_audit_logs": selects_audit_logs(sink.get("filter", "")) and not excluded,
        "writer_identity_present": bool(sink.get("writerIdentity")),
    }


def transform_bucket(bucket: dict[str, Any]) -> dict[str, Any]:
    # projects/<p>/locations/<location>/buckets/<id>
    parts = bucket["name"].split("/")
    return {
        "name": parts[-1],
        "location": parts[3],
        "builtin": parts[-1] in BUILTIN,
        "retention_days": int(bucket.get("retentionDays") or DEFAULT_RETENTION_DAYS),
        "locked": bool(bucket.get("locked", False)),
        "lifecycle_state": bucket.get("lifecycleState"),
    }


def summarise_sinks(sinks: list[dict[str, Any]]) -> dict[str, Any]:
    own = [transform_sink(s) for s in sinks if s["name"] not in BUILTIN]
    audit = sorted(s["name"] for s in own if s["exports_audit_logs"] and not s["disabled"])
    return {"sink_count": len(own), "audit_logs_exported": bool(audit), "audit_sinks": audit}


def default_retention(buckets: list[dict[str, Any]]) -> int | None:
    found = [transform_bucket(b) for b in buckets]
    days = [b["retention_days"] for b in found if b["name"] == "_Default"]
    return min(days) if days else None


def listing(client: Client, path: str, key: str) -> list[dict[str, Any]]:
    """Every item of a Logging v2 list call, following nextPageToken."""
    pages = HTTPIterator(
        client=client,
        api_request=client._connection.api_request,
        path=path,
        item_to_value=lambda _iterator, item: item,
        items_key=key,
    )
    return list(pages)


class LoggingConnector(Connector):
    name = "gcp.logging"
    provider = "gcp"
    description = "Cloud Logging sinks (audit log export) and log bucket retention"
    regional = False
    kinds = (SINK, BUCKET, PROJECT)
    permissions = ("logging.sinks.list", "logging.buckets.list")

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        project = ctx.session.project
        client = ctx.session.client(
            "logging", Client, transport=None, project=project, _use_grpc=False
        )
        found = ctx.attempt_all(
            "logging",
            {
                "sinks": lambda: listing(client, f"/projects/{project}/sinks", "sinks"),
                "buckets": lambda: listing(
                    client, f"/projects/{project}/locations/-/buckets", "buckets"
                ),
            },
        )
        sinks, buckets = found["sinks"], found["buckets"]
        for sink in [] if isinstance(sinks, ConnectorError) else sinks:
            reads = ctx.reads("logging.sinks.list")
            for name, value in transform_sink(sink).items():
                reads.set(name, value)
            yield ctx.observe(SINK.name, f"projects/{project}/sinks/{sink['name']}", reads)
        for bucket in [] if isinstance(buckets, ConnectorError) else buckets:
            reads = ctx.reads("logging.buckets.list")
            for name, value in transform_bucket(bucket).items():
                reads.set(name, value)
            yield ctx.observe(BUCKET.name, bucket["name"], reads)
        reads = ctx.reads("logging.sinks.list", "logging.buckets.list")
        reads.set("project", project)
        reads.read_many(
            ("sink_count", "audit_logs_exported", "audit_sinks"),
            lambda: summarise_sinks(_result(sinks)),
        )
        reads.read("default_retention_days", lambda: default_retention(_result(buckets)))
        yield ctx.observe(PROJECT.name, f"projects/{project}", reads)


def _result(result: list[dict[str, Any]] | ConnectorError) -> list[dict[str, Any]]:
    """A listing attempt_all returned; a failed one raises again, to become attribute gaps."""
    if isinstance(result, ConnectorError):
        raise result
    return result
