"""Writing runs with chosen resources, outcomes, unit statuses and clock (no cloud needed)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from annexa.connectors.records import Observation, Scope
from annexa.mappings.engine import Evaluation
from annexa.store import ClosedRun, RunWriter, Signer, Store, UnitRecord
from tests.support.periods import run_writer

ACCOUNT = "123456789012"


@dataclass(frozen=True)
class Res:
    """A resource observed by unit ``unit`` with {rule id: status}."""

    unit: int
    kind: str
    resource_id: str
    region: str
    outcomes: Mapping[str, str] = field(default_factory=dict)


def begin(
    store: Store, signer: Signer, when: datetime, finished: datetime | None = None
) -> RunWriter:
    """A writer whose run starts at ``when`` and finishes at ``finished`` (default: ``when``)."""
    times = iter([when])
    return run_writer(store, signer, lambda: next(times, finished or when), trigger="manual")


def write(
    store: Store,
    signer: Signer,
    when: datetime,
    units: Sequence[tuple[str, str]],
    resources: Sequence[Res],
    status: str = "complete",
    finished: datetime | None = None,
) -> ClosedRun:
    """One closed run: ``units`` are (unit key, status), numbered from 1 in that order."""
    writer = begin(store, signer, when, finished)
    for resource in resources:
        obs = Observation(
            resource.kind,
            resource.resource_id,
            Scope("aws", ACCOUNT, resource.region),
            {"name": resource.resource_id.rsplit("/", 1)[-1]},
            when,
            ("test:Describe",),
        )
        evaluations = [
            Evaluation(rule, outcome, f"{rule} is {outcome}", ("A.8.9",), "medium")
            for rule, outcome in resource.outcomes.items()
        ]
        writer.add_observation(resource.unit, obs, evaluations)
    for seq, (key, unit_status) in enumerate(units, start=1):
        target, connector, region = key.split("/")
        gap = unit_status in ("denied", "error", "interrupted")
        writer.add_unit(
            UnitRecord(
                seq,
                key,
                target,
                connector,
                "aws",
                ACCOUNT,
                region,
                unit_status,
                "PermissionDenied" if gap else None,
                f"{unit_status}: no access" if gap else None,
                when,
                when,
                1,
                sum(1 for r in resources if r.unit == seq),
                (),
            )
        )
    return writer.close(status)
