"""Providers: per-source knowledge of targets, sessions and how a target splits into units.

The collector holds no per-provider logic. For each ``[[targets]]`` entry it asks the provider
named by ``provider = "..."`` to validate the entry (:attr:`Provider.target_model`), to open a
session for it, and to say which scopes (regions, namespaces, ...) each connector runs in.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field

from annexa.connectors.base import Connector
from annexa.connectors.errors import ConnectorError

TARGET_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$"


def user_agent() -> str:
    """What annexa calls itself in API requests (``annexa/<version>``), for the audit logs."""
    try:
        return f"annexa/{version('annexa')}"
    except PackageNotFoundError:  # running from a source tree without installing
        return "annexa/dev"


class TargetConfig(BaseModel):
    """Keys shared by every target. Providers subclass it with their own keys."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=TARGET_NAME_PATTERN, description="unique name of the target")
    provider: str = Field(description="which provider collects this target")
    connectors: tuple[str, ...] | None = Field(
        default=None, description="connectors to run (default: all of the provider's)"
    )
    exclude_connectors: tuple[str, ...] = Field(default=(), description="connectors to skip")


@dataclass(frozen=True)
class RuntimeSettings:
    """Collector-wide settings that shape provider sessions."""

    max_workers: int = 8
    max_attempts: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0


class ProviderSession(Protocol):
    """What a unit needs from an opened target: at least which account it resolved to."""

    @property
    def account(self) -> str: ...


class Provider(ABC):
    """One evidence source (aws, gcp, azure, kubernetes)."""

    name: ClassVar[str]
    target_model: ClassVar[type[TargetConfig]]

    @abstractmethod
    def open_session(self, target: Any, settings: RuntimeSettings) -> ProviderSession:
        """Authenticate and resolve the target's identity. Raise taxonomy errors on failure."""

    def expand(self, target: Any, settings: RuntimeSettings) -> list[Any]:
        """The targets a configured target stands for (e.g. every account of an organization).

        Called once per run while planning; a failure is recorded as the target's discovery gap.
        """
        return [target]

    @abstractmethod
    def scopes(self, target: Any, connector: type[Connector]) -> tuple[str, ...]:
        """The scopes (regions, ...) in which ``connector`` runs for ``target``."""

    def describe_scope(self, connector: type[Connector]) -> str:
        """How ``connector``'s units split, for listings: "per region", "global", ..."""
        return "per region" if connector.regional else "global"

    @abstractmethod
    def translate_error(self, exc: BaseException) -> ConnectorError | None:
        """Map an SDK exception onto the taxonomy, or ``None`` if it is not an SDK error."""

    def least_privilege(self, connectors: list[type[Connector]]) -> str | None:
        """The provider's least-privilege policy document for these connectors, if it has one."""
        return None

    def placeholder_account(self, target: Any) -> str:
        """The account to record for units whose session could not be opened."""
        return f"unresolved:{target.name}"
