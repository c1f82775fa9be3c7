"""Running one connector unit the way the collector's runner does, for any provider."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from annexa.collector.runner import check_observation
from annexa.connectors.base import Connector, UnitContext
from annexa.connectors.calls import CallCounter, counting
from annexa.connectors.provider import Provider
from annexa.connectors.records import Observation, Scope


def collect_unit(
    connector: type[Connector],
    provider: Provider,
    session: Any,
    scope: Scope,
    counter: CallCounter | None = None,
    notes: list[str] | None = None,
) -> tuple[list[Observation], CallCounter]:
    """Collect one unit on a small pool and check every observation against the declarations.

    Pass ``counter`` to keep the API calls of a unit that raises, and ``notes`` (a list) to
    receive the unit's notes, which make a unit ``partial`` in a real run."""
    counter = counter if counter is not None else CallCounter()
    with ThreadPoolExecutor(4) as pool, counting(counter):
        ctx = UnitContext(
            run_id="test-run",
            unit_id=f"test/{connector.name}/{scope.region}",
            scope=scope,
            session=session,
            translate=provider.translate_error,
            executor=pool,
            calls=counter,
        )
        try:
            observations = list(connector().collect(ctx))
        finally:
            if notes is not None:
                notes.extend(ctx.notes)
    for observation in observations:
        check_observation(connector, observation)
    return observations, counter
