"""Sharding targets across replicas: shard ``i`` of ``N`` owns the targets whose name hashes to i.

The hash is SHA-256 of the target name, so every replica, every restart and every Python version
agrees on the split (Python's ``hash()`` of a string changes from one process to the next). An
organization target is one name: all its member accounts go to the same shard.

A shard comes from ``--shard i/N``, from ``ANNEXA_SHARD=i/N``, or from a Kubernetes Indexed Job:
``JOB_COMPLETION_INDEX`` (set by Kubernetes) with ``ANNEXA_SHARD_COUNT`` (set in the manifest).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

SHARD = re.compile(r"\s*(\d+)\s*/\s*(\d+)\s*")


class ShardError(ValueError):
    """A shard specification that cannot be used; the message names where it came from."""


def shard_of(name: str, count: int) -> int:
    """The 0-based shard that owns ``name`` among ``count`` shards."""
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


@dataclass(frozen=True)
class Shard:
    """Shard ``index`` (0-based) of ``count``; ``Shard(0, 1)`` owns everything."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ShardError(f"shard count must be at least 1, got {self.count}")
        if not 0 <= self.index < self.count:
            raise ShardError(
                f"shard index must be 0..{self.count - 1} for {self.count} shard(s) "
                f"(0-based), got {self.index}"
            )

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    @classmethod
    def parse(cls, text: str, *, source: str = "shard") -> Shard:
        """Parse ``"i/N"``: 0-based index ``i`` of ``N`` shards (``"0/3"``, ``"2/3"``)."""
        match = SHARD.fullmatch(text)
        if not match:
            raise ShardError(f"{source}: expected i/N (e.g. 0/3, 0-based), got {text!r}")
        try:
            return cls(int(match[1]), int(match[2]))
        except ShardError as exc:
            raise ShardError(f"{source}: {exc}") from None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Shard | None:
        """``ANNEXA_SHARD=i/N``, or ``JOB_COMPLETION_INDEX`` with ``ANNEXA_SHARD_COUNT``.

        Returns None when neither is set. ``JOB_COMPLETION_INDEX`` alone is not enough: a Job
        does not tell its pods how many completions it has, so the count must be set too.
        """
        spec = environ.get("ANNEXA_SHARD", "").strip()
        if spec:
            return cls.parse(spec, source="ANNEXA_SHARD")
        index = environ.get("JOB_COMPLETION_INDEX", "").strip()
        count = environ.get("ANNEXA_SHARD_COUNT", "").strip()
        if not count:
            return None
        if not index:
            raise ShardError("ANNEXA_SHARD_COUNT is set but JOB_COMPLETION_INDEX is not")
        return cls.parse(f"{index}/{count}", source="JOB_COMPLETION_INDEX and ANNEXA_SHARD_COUNT")

    def owns(self, target_name: str) -> bool:
        """Whether this shard collects ``target_name``."""
        return shard_of(target_name, self.count) == self.index

    def select(self, names: Iterable[str]) -> list[str]:
        """The names this shard owns, in their original order."""
        return [name for name in names if self.owns(name)]


def resolve_shard(option: str | None, environ: Mapping[str, str]) -> Shard | None:
    """The ``--shard`` option if given, else the environment, else None (collect everything)."""
    if option is not None:
        return Shard.parse(option, source="--shard")
    return Shard.from_env(environ)
