"""The records every part of annexa speaks: scopes, observations and their canonical form.

An :class:`Observation` is one fact about one resource at one moment. It is immutable, stamped
in UTC, and hashes to the same SHA-256 wherever it is recomputed, because hashing goes through
:func:`canonical_json` (sorted keys, no insignificant whitespace, UTF-8; identical to RFC 8785 for
the integers, strings, booleans and nulls that observations hold).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

KIND_PATTERN = re.compile(r"^[a-z0-9]+(\.[a-z0-9_]+)+$")


def utc_iso(moment: datetime) -> str:
    """Format an aware datetime as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (always microseconds)."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: annexa only handles timezone-aware times")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return utc_iso(value)
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    raise TypeError(f"{type(value).__name__} is not JSON-serialisable evidence")


def canonical_json(value: Any) -> bytes:
    """Serialise ``value`` canonically: the input to every hash and signature in annexa."""
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    ).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Scope:
    """Where an observation was made: provider, account (project, subscription, cluster), region."""

    provider: str
    account: str
    region: str = "global"

    def as_dict(self) -> dict[str, str]:
        return {"provider": self.provider, "account": self.account, "region": self.region}


@dataclass(frozen=True, slots=True)
class Observation:
    """One fact about one resource at one moment.

    ``attributes`` holds the observed state as JSON-able values. ``gaps`` names the attributes
    that could not be read (attribute name -> reason): a rule that needs one of them evaluates to
    an evidence gap, never to a pass. ``source`` lists the API operations that produced it.
    """

    kind: str
    resource_id: str
    scope: Scope
    attributes: Mapping[str, Any]
    observed_at: datetime
    source: tuple[str, ...] = ()
    gaps: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not KIND_PATTERN.match(self.kind):
            raise ValueError(f"observation kind {self.kind!r} is not of the form 'provider.family'")
        if not self.resource_id:
            raise ValueError(f"{self.kind}: empty resource_id")
        if self.observed_at.tzinfo is None:
            raise ValueError(f"{self.kind} {self.resource_id}: observed_at must be timezone-aware")
        object.__setattr__(self, "observed_at", self.observed_at.astimezone(UTC))
        object.__setattr__(self, "source", tuple(sorted(set(self.source))))
        overlap = set(self.gaps) & set(self.attributes)
        if overlap:
            raise ValueError(f"{self.kind}: {sorted(overlap)} both read and unreadable")

    def payload(self) -> dict[str, Any]:
        """The content-addressed part: what was seen, independent of when and by which run."""
        return {"attributes": dict(self.attributes), "gaps": dict(self.gaps)}

    def payload_json(self) -> bytes:
        return canonical_json(self.payload())
