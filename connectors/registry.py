"""Name -> class registries read lazily from entry points.

Connectors register under the entry-point group ``annexa.connectors`` and providers under
``annexa.providers``. Listing names imports nothing; a class is imported the first time it is
asked for. A plugin that fails to import or declares broken metadata is reported as a
:class:`PluginFailure` and skipped: it never takes the other connectors down with it.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Generic, TypeVar

from annexa.connectors.base import AI_ASSET_CATEGORIES, Connector
from annexa.connectors.provider import Provider
from annexa.connectors.records import KIND_PATTERN

CONNECTOR_GROUP = "annexa.connectors"
PROVIDER_GROUP = "annexa.providers"

T = TypeVar("T")

# How each provider's connectors name the permissions they need ("*": cloud IAM actions).
PERMISSION_FORMS = {
    "*": (re.compile(r"^[\w.-]+:\S+$"), "service:Action"),
    "gcp": (re.compile(r"^[a-z]+\.[A-Za-z]+\.[A-Za-z]+$"), "service.resource.verb"),
    "kubernetes": (
        re.compile(r"^(get|list) (/\S*|[\w*-]+(\.[\w.-]+)?(/[\w-]+)?)$"),
        "get|list <resource>[.<group>] or get /<url>",
    ),
}


class PluginError(Exception):
    """A plugin could not be loaded or declares metadata annexa cannot use."""


@dataclass(frozen=True)
class PluginFailure:
    name: str
    target: str
    error: str


class EntryPointRegistry(Generic[T]):
    """A lazily loading registry of classes published through one entry-point group."""

    def __init__(
        self,
        group: str,
        check: Callable[[str, object], type[T]],
        points: Iterable[EntryPoint] | None = None,
    ) -> None:
        found = entry_points(group=group) if points is None else points
        self._points = {point.name: point for point in found}
        self._check = check
        self._loaded: dict[str, type[T]] = {}
        self._failed: dict[str, PluginFailure] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return sorted(self._points)

    def load(self, name: str) -> type[T]:
        """Import and validate one plugin; raise :class:`PluginError` naming what is wrong."""
        with self._lock:
            if name in self._loaded:
                return self._loaded[name]
            if name in self._failed:
                raise PluginError(self._failed[name].error)
            point = self._points.get(name)
            if point is None:
                known = ", ".join(self.names()) or "none"
                raise PluginError(f"no plugin named {name!r} (registered: {known})")
            try:
                cls = self._check(name, point.load())
            except Exception as exc:
                failure = PluginFailure(name, point.value, f"{type(exc).__name__}: {exc}")
                self._failed[name] = failure
                raise PluginError(failure.error) from exc
            self._loaded[name] = cls
            return cls

    def load_all(self) -> tuple[dict[str, type[T]], list[PluginFailure]]:
        """Load every plugin; return the good ones and a report of the broken ones."""
        loaded: dict[str, type[T]] = {}
        for name in self.names():
            try:
                loaded[name] = self.load(name)
            except PluginError:
                continue
        return loaded, [self._failed[name] for name in sorted(self._failed)]


def _check_connector(name: str, obj: object) -> type[Connector]:
    if not (isinstance(obj, type) and issubclass(obj, Connector)):
        raise PluginError(f"{obj!r} is not a Connector subclass")
    for attribute in ("name", "provider", "description", "kinds", "permissions"):
        if not hasattr(obj, attribute):
            raise PluginError(f"{obj.__name__} does not declare {attribute!r}")
    if obj.name != name:
        raise PluginError(f"{obj.__name__}.name is {obj.name!r} but it is registered as {name!r}")
    if not name.startswith(f"{obj.provider}."):
        raise PluginError(f"connector {name!r} must be named '{obj.provider}.<family>'")
    if not obj.kinds:
        raise PluginError(f"connector {name!r} declares no observation kinds")
    for kind in obj.kinds:
        if not KIND_PATTERN.match(kind.name) or not kind.name.startswith(f"{obj.provider}."):
            raise PluginError(f"connector {name!r}: bad observation kind {kind.name!r}")
        if not kind.attributes:
            raise PluginError(f"connector {name!r}: kind {kind.name!r} declares no attributes")
        if kind.asset is not None and (
            kind.asset not in AI_ASSET_CATEGORIES or "name" not in kind.attributes
        ):
            raise PluginError(
                f"connector {name!r}: AI asset kind {kind.name!r} needs a category from "
                f"{AI_ASSET_CATEGORIES} and a 'name' attribute"
            )
    form, example = PERMISSION_FORMS.get(obj.provider, PERMISSION_FORMS["*"])
    if not obj.permissions or not all(form.match(p) for p in obj.permissions):
        raise PluginError(f"connector {name!r} must declare permissions as {example!r}")
    return obj


def _check_provider(name: str, obj: object) -> type[Provider]:
    if not (isinstance(obj, type) and issubclass(obj, Provider)):
        raise PluginError(f"{obj!r} is not a Provider subclass")
    if getattr(obj, "name", None) != name:
        raise PluginError(f"{obj.__name__}.name must be {name!r}")
    return obj


def connector_registry(points: Iterable[EntryPoint] | None = None) -> EntryPointRegistry[Connector]:
    return EntryPointRegistry(CONNECTOR_GROUP, _check_connector, points)


def provider_registry(points: Iterable[EntryPoint] | None = None) -> EntryPointRegistry[Provider]:
    return EntryPointRegistry(PROVIDER_GROUP, _check_provider, points)
