"""A store with collection runs spread over several days, for export tests and benchmarks.

Two rules over two kinds: ``test.bucket.private`` (aws.s3.bucket -> A.8.3, 48 h fresh) and
``test.key.rotated`` (aws.kms.key -> A.8.24). :func:`day_run` writes one signed run on a given
day with a given unit outcome and buckets, as `annexa collect` would.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from annexa.connectors.records import Observation, Scope
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import build_rule, parse_rules_file
from annexa.store import Signer, Store, UnitRecord
from annexa.store.writer import RunWriter

RULES = """
[[rule]]
id = "test.bucket.private"
kind = "aws.s3.bucket"
title = "Buckets are private"
controls = ["A.8.3"]
severity = "high"
check = "!public"
pass = "{name} is private"
fail = "{name} is public"
freshness_hours = 48

[[rule]]
id = "test.key.rotated"
kind = "aws.kms.key"
title = "Keys rotate"
controls = ["A.8.24"]
check = "rotation"
pass = "rotates"
fail = "does not rotate"
"""

ACCOUNT = "123456789012"


def engine() -> RuleEngine:
    return RuleEngine([build_rule(spec, "test") for spec in parse_rules_file(RULES, "test")])


def run_writer(
    store: Store,
    signer: Signer,
    clock: Callable[[], datetime] | None = None,
    trigger: str = "schedule",
) -> RunWriter:
    """A writer for a test or benchmark run, with fixed digests and an optional clock."""
    return RunWriter(
        store.engine,
        signer,
        trigger=trigger,
        agent_version="test",
        config_digest="c" * 64,
        ruleset_digest="r" * 64,
        catalogue_version="ISO/IEC 27001:2022 Annex A",
        clock=clock,
    )


def at(day: date, hour: int = 2) -> datetime:
    return datetime.combine(day, time(hour), UTC)


def day_run(
    store: Store,
    signer: Signer,
    day: date,
    buckets: dict[str, bool],
    *,
    status: str = "ok",
    target: str = "acme",
) -> str:
    """One signed run at 02:00 on ``day``: an aws.s3 unit with ``status``; when it delivered,
    one observation per bucket (name -> public?). Returns the run id."""
    moments = iter(at(day) + timedelta(seconds=n) for n in range(10_000_000))
    writer = run_writer(store, signer, lambda: next(moments))
    rules = engine()
    delivered = status in ("ok", "partial")
    if delivered:
        for name, public in sorted(buckets.items()):
            observation = Observation(
                "aws.s3.bucket",
                f"arn:aws:s3:::{name}",
                Scope("aws", ACCOUNT, "global"),
                {"name": name, "public": public},
                at(day, 2) + timedelta(minutes=1),
            )
            writer.add_observation(1, observation, rules.evaluate(observation))
    error = None if delivered else "PermissionDenied"
    writer.add_unit(
        UnitRecord(
            seq=1,
            unit_key=f"{target}/aws.s3/global",
            target=target,
            connector="aws.s3",
            provider="aws",
            account=ACCOUNT,
            region="global",
            status=status,
            error_class=error,
            error_message="[AccessDenied] in ListBuckets" if error else None,
            started_at=at(day),
            finished_at=at(day) + timedelta(minutes=2),
            api_calls=3,
            observations=len(buckets) if delivered else 0,
            kinds=("aws.s3.bucket",),
        )
    )
    return writer.close().run_id


def open_store(tmp_path: Path) -> tuple[Store, Signer]:
    store = Store.open(f"sqlite:///{tmp_path / 'evidence.db'}")
    return store, Signer.load_or_create(tmp_path / "annexa.key")
