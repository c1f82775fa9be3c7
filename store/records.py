"""Plain records the store takes in and hands out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

GAP_STATUSES = ("denied", "error", "interrupted")


@dataclass(frozen=True)
class UnitRecord:
    """The outcome of one work unit: written by the collector, read back by reports."""

    seq: int
    unit_key: str
    target: str
    connector: str
    provider: str
    account: str
    region: str
    status: str
    error_class: str | None
    error_message: str | None
    started_at: datetime
    finished_at: datetime
    api_calls: int
    observations: int
    kinds: tuple[str, ...]

    @property
    def is_gap(self) -> bool:
        """Denied, failed or interrupted: evidence that should exist and does not."""
        return self.status in GAP_STATUSES
