"""The connector interface: declared metadata, a unit context, and gap-aware reads.

A connector is a class whose metadata is declared, not computed (name, provider, the observation
kinds it emits with their attributes, the read-only permissions it needs, whether it runs per
region) and whose ``collect`` yields :class:`Observation` records for one work unit. It receives
everything else (session, scope, clock, run id, a pool for fan-out) through a :class:`UnitContext`,
so nothing happens at import time and tests inject fakes the same way.
"""

from __future__ import annotations

import contextvars
import itertools
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar

from annexa.connectors.calls import CallCounter, attributing
from annexa.connectors.errors import ConfigurationError, ConnectorError, MutationRefused
from annexa.connectors.records import Observation, Scope

T = TypeVar("T")
R = TypeVar("R")

Translate = Callable[[BaseException], ConnectorError | None]


AI_ASSET_CATEGORIES = (
    "model",
    "custom-model",
    "endpoint",
    "notebook",
    "guardrail",
    "logging",
    "domain",
)


@dataclass(frozen=True)
class Kind:
    """An observation kind a connector emits, with every top-level attribute it may carry.

    ``asset`` marks kinds that belong in the AI asset inventory (evidence for A.5.9), with
    their category; such kinds carry a ``name`` attribute for the inventory listing.
    """

    name: str
    description: str
    attributes: Mapping[str, str]
    asset: str | None = None


class Connector(ABC):
    """Base class of every connector. Subclasses declare the class variables below."""

    name: ClassVar[str]
    provider: ClassVar[str]
    description: ClassVar[str]
    kinds: ClassVar[tuple[Kind, ...]]
    permissions: ClassVar[tuple[str, ...]]
    regional: ClassVar[bool] = True

    @abstractmethod
    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        """Yield the observations of one unit; raise taxonomy errors for whole-unit failures."""

    @classmethod
    def kind(cls, name: str) -> Kind:
        for kind in cls.kinds:
            if kind.name == name:
                return kind
        raise KeyError(f"{cls.name} does not declare observation kind {name!r}")


@dataclass(frozen=True)
class Unreadable:
    """A getter's way to say that the API answered but did not carry this attribute."""

    reason: str


class Reads:
    """Assembles one resource's attributes; a read that fails becomes a named gap, not a blank.

    ``read`` runs one getter: on success its value becomes the attribute, on a permission,
    transient or not-applicable error the attribute is listed in ``gaps`` with the reason.
    Configuration errors, guard refusals and unexpected exceptions propagate to the unit.
    """

    def __init__(self, translate: Translate, sources: Iterable[str] = ()) -> None:
        self._translate = translate
        self.attributes: dict[str, Any] = {}
        self.gaps: dict[str, str] = {}
        self.sources: set[str] = set(sources)

    def set(self, name: str, value: Any) -> None:
        self.attributes[name] = value

    def read(self, name: str, getter: Callable[[], Any]) -> bool:
        """Set attribute ``name`` to ``getter()``; on a readable failure record it as a gap."""
        return self.read_many((name,), lambda: {name: getter()})

    def read_many(self, names: Iterable[str], getter: Callable[[], Mapping[str, Any]]) -> bool:
        """Set several attributes from one call; if it fails, all of them become gaps."""
        names = tuple(names)
        with attributing(self.sources):
            try:
                values = getter()
            except Exception as exc:
                error = exc if isinstance(exc, ConnectorError) else self._translate(exc)
                if error is None or isinstance(error, (ConfigurationError, MutationRefused)):
                    raise
                for name in names:
                    self.gaps[name] = error.describe()
                return False
        for name in names:
            value = values[name]
            if isinstance(value, Unreadable):
                self.gaps[name] = value.reason
            else:
                self.attributes[name] = value
        return True

    def requires(self, name: str, needs: Iterable[str]) -> bool:
        """Whether every attribute in ``needs`` was read; if not, ``name`` becomes a gap too."""
        missing = [need for need in needs if need in self.gaps]
        if missing:
            self.gaps[name] = f"depends on unreadable {', '.join(missing)}"
        return not missing

    def derive(self, name: str, needs: Iterable[str], compute: Callable[[], Any]) -> None:
        """Set ``name`` from other attributes, or mark it a gap if any of them is one."""
        if self.requires(name, needs):
            self.attributes[name] = compute()


@dataclass
class UnitContext:
    """What a connector gets for one work unit. Built by the collector, faked in tests."""

    run_id: str
    unit_id: str
    scope: Scope
    session: Any
    translate: Translate
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    executor: Executor | None = None
    calls: CallCounter = field(default_factory=CallCounter)
    notes: list[str] = field(default_factory=list)

    def now(self) -> datetime:
        return self.clock()

    def reads(self, *sources: str) -> Reads:
        return Reads(self.translate, sources)

    def observe(
        self,
        kind: str,
        resource_id: str,
        reads: Reads,
        *,
        region: str | None = None,
    ) -> Observation:
        scope = (
            self.scope if region is None else Scope(self.scope.provider, self.scope.account, region)
        )
        return Observation(
            kind=kind,
            resource_id=resource_id,
            scope=scope,
            attributes=reads.attributes,
            observed_at=self.now(),
            source=tuple(reads.sources),
            gaps=reads.gaps,
        )

    def note(self, message: str) -> None:
        """Record something incomplete about the unit that is not tied to one attribute."""
        self.notes.append(message)

    def attempt(self, getter: Callable[[], R]) -> R | ConnectorError:
        """``getter()``, or the taxonomy error that stopped it (so a failed listing of one
        resource type is reported, never read as an empty list). Configuration errors, guard
        refusals and unexpected exceptions propagate."""
        try:
            return getter()
        except Exception as exc:
            error = exc if isinstance(exc, ConnectorError) else self.translate(exc)
            if error is None or isinstance(error, (ConfigurationError, MutationRefused)):
                raise
            return error

    def attempt_all(
        self, label: str, getters: Mapping[str, Callable[[], R]]
    ) -> dict[str, R | ConnectorError]:
        """:meth:`attempt` each of a unit's independent listings. A failed one is noted on the
        unit ("<label> <name> not listed: <reason>") while the others are still observed; when
        every one fails, the unit fails with the first error."""
        found = {name: self.attempt(getter) for name, getter in getters.items()}
        errors = [(n, e) for n, e in found.items() if isinstance(e, ConnectorError)]
        if errors and len(errors) == len(found):
            raise errors[0][1]
        for name, error in errors:
            self.note(f"{label} {name} not listed: {error.describe()}")
        return found

    def map(self, fn: Callable[[T], R], items: Iterable[T], chunk: int = 256) -> Iterator[R]:
        """Apply ``fn`` to ``items`` using idle workers of the run's pool; yield results in order.

        The calling unit thread works through the items itself and idle pool workers join in,
        so fan-out never waits on a queue behind other units and cannot deadlock the pool.
        Results are produced chunk by chunk, keeping memory flat for large estates.
        """
        iterator = iter(items)
        while batch := list(itertools.islice(iterator, chunk)):
            yield from _run_batch(fn, batch, self.executor)


def _run_batch(fn: Callable[[T], R], batch: list[T], executor: Executor | None) -> list[R]:
    results: list[Any] = [None] * len(batch)
    errors: list[BaseException] = []
    positions = iter(range(len(batch)))
    lock = threading.Lock()

    def drain() -> None:
        while True:
            with lock:
                if errors:
                    return
                index = next(positions, None)
            if index is None:
                return
            try:
                results[index] = fn(batch[index])
            except BaseException as exc:  # noqa: BLE001 (re-raised in the calling thread)
                with lock:
                    errors.append(exc)
                return

    helpers: list[Future[None]] = []
    if executor is not None and len(batch) > 1:
        helpers = [
            executor.submit(contextvars.copy_context().run, drain)
            for _ in range(min(len(batch) - 1, 16))
        ]
    drain()
    for helper in helpers:
        if not helper.cancel():  # helpers that never started are dropped; running ones finish
            helper.result()
    if errors:
        raise errors[0]
    return results
