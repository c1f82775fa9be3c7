"""Writing small runs straight through the store API (no cloud needed)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from annexa.connectors.records import Observation, Scope
from annexa.mappings.engine import Evaluation
from annexa.store import ClosedRun, Signer, Store, UnitRecord


def write_run(
    store: Store,
    signer: Signer,
    buckets: int = 3,
    when: datetime | None = None,
    status: str = "complete",
) -> ClosedRun:
    writer = store.begin_run(
        signer,
        trigger="manual",
        agent_version="test",
        config_digest="c" * 64,
        ruleset_digest="r" * 64,
        catalogue_version="ISO/IEC 27001:2022 Annex A",
    )
    now = when or datetime.now(UTC)
    for index in range(buckets):
        obs = Observation(
            "aws.s3.bucket",
            f"arn:aws:s3:::bucket-{index}",
            Scope("aws", "123456789012", "eu-west-1"),
            {
                "name": f"bucket-{index}",
                "versioning": {"status": "Enabled" if index % 2 else "Suspended"},
            },
            now + timedelta(seconds=index),
            ("s3:GetBucketVersioning", "s3:ListBuckets"),
        )
        status_of = "pass" if index % 2 else "fail"
        writer.add_observation(
            1,
            obs,
            [Evaluation("aws.s3.bucket.versioning", status_of, "versioning", ("A.8.13",), "low")],
        )
    writer.add_unit(
        UnitRecord(
            1,
            "t/aws.s3/global",
            "t",
            "aws.s3",
            "aws",
            "123456789012",
            "global",
            "ok",
            None,
            None,
            now,
            now,
            7,
            buckets,
            ("aws.s3.bucket",),
        )
    )
    writer.add_unit(
        UnitRecord(
            2,
            "t/aws.kms/eu-west-1",
            "t",
            "aws.kms",
            "aws",
            "123456789012",
            "eu-west-1",
            "denied",
            "PermissionDenied",
            "PermissionDenied [AccessDenied] in ListKeys: no",
            now,
            now,
            1,
            0,
            ("aws.kms.key",),
        )
    )
    return writer.close(status)
