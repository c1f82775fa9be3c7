"""Per-unit API-call accounting and per-resource provenance.

Provider SDK hooks call :func:`count_request` for every HTTP request they send (retries
included: that is what an estate pays for) and :func:`note_operation` for every API operation a
connector invokes. The unit runner installs a :class:`CallCounter` for each work unit; a
:class:`~annexa.connectors.base.Reads` collects the operations behind one observation, so its
``source`` lists the calls that really produced it rather than what a developer remembered to type.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar


class CallCounter:
    """Thread-safe accounting for one work unit (its helpers may run on other threads).

    ``requests`` counts HTTP requests sent, retries included; ``operations`` counts the API
    operations invoked, by ``service:Operation``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests = 0
        self.operations: Counter[str] = Counter()

    def request(self) -> None:
        with self._lock:
            self.requests += 1

    def operation(self, name: str) -> None:
        with self._lock:
            self.operations[name] += 1


_unit_counter: ContextVar[CallCounter | None] = ContextVar("annexa_unit_counter", default=None)
_resource_sources: ContextVar[set[str] | None] = ContextVar("annexa_sources", default=None)


def count_request() -> None:
    """Count one HTTP request sent on behalf of the current unit (no-op outside a unit)."""
    counter = _unit_counter.get()
    if counter is not None:
        counter.request()


def note_operation(operation: str) -> None:
    """Record an API operation for the unit and the observation being assembled, if any."""
    counter = _unit_counter.get()
    if counter is not None:
        counter.operation(operation)
    sources = _resource_sources.get()
    if sources is not None:
        sources.add(operation)


@contextmanager
def counting(counter: CallCounter) -> Iterator[CallCounter]:
    token = _unit_counter.set(counter)
    try:
        yield counter
    finally:
        _unit_counter.reset(token)


@contextmanager
def attributing(sources: set[str]) -> Iterator[set[str]]:
    token = _resource_sources.set(sources)
    try:
        yield sources
    finally:
        _resource_sources.reset(token)
