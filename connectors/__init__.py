"""Read-only connectors: the Observation record, the Connector interface, errors and registry.

Connectors read cloud and cluster state and yield :class:`Observation` records. They never touch
the database and know nothing about controls.
"""

from annexa.connectors.base import Connector, Kind, Reads, UnitContext
from annexa.connectors.errors import (
    ConfigurationError,
    ConnectorError,
    MutationRefused,
    NotApplicable,
    PermissionDenied,
    TransientError,
)
from annexa.connectors.records import Observation, Scope, canonical_json, utc_iso

__all__ = [
    "ConfigurationError",
    "Connector",
    "ConnectorError",
    "Kind",
    "MutationRefused",
    "NotApplicable",
    "Observation",
    "PermissionDenied",
    "Reads",
    "Scope",
    "TransientError",
    "UnitContext",
    "canonical_json",
    "utc_iso",
]
