"""What an evidence export is made of: the period, the rows streamed out of the store, and the
per-control, per-day picture assembled from them.

The export reads the store once, in order, as a stream of :class:`EvidenceRow` (an evaluation
with the observation it judged). Writers of the bundle's files consume that stream without
holding it (per-control files, the OSCAL observations); the aggregates they need afterwards —
:class:`ControlPeriod` with one :class:`DayStatus` per day, :class:`GapEntry` rows, a bounded
sample of rows per control — are small: controls x days, never observations.

Period semantics: evidence counts for the UTC day on which it was observed. A control's rules
have a freshness window (days); on a day when some kind of evidence the control relies on was
last collected longer ago than its window, the control has no fresh evidence: that day is a
``gap``, never a pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from annexa.mappings.catalogue import Control
from annexa.store.evidence import EvidenceRow, RunRef

# Day and period statuses, worst first: a period's status is its worst day's.
STATUS_ORDER = ("fail", "gap", "pass", "n/a", "no evidence", "attached", "manual")

__all__ = [
    "STATUS_ORDER",
    "AttachmentRef",
    "ControlPeriod",
    "DayStatus",
    "EvidenceRow",
    "ExportMeta",
    "ExportScope",
    "GapEntry",
    "Period",
    "RunRef",
    "worst",
]


def worst(statuses: list[str]) -> str:
    """The worst of several statuses in :data:`STATUS_ORDER` ("no evidence" for none)."""
    ranked = [STATUS_ORDER.index(s) for s in statuses if s in STATUS_ORDER]
    return STATUS_ORDER[min(ranked)] if ranked else "no evidence"


@dataclass(frozen=True)
class Period:
    """An audit period: whole UTC days from ``start`` to ``end``, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")

    @property
    def start_at(self) -> datetime:
        return datetime.combine(self.start, time(), UTC)

    @property
    def end_at(self) -> datetime:
        """The first moment after the period (exclusive bound)."""
        return datetime.combine(self.end + timedelta(days=1), time(), UTC)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]

    def contains(self, moment: datetime) -> bool:
        return self.start_at <= moment < self.end_at


@dataclass(frozen=True)
class ExportScope:
    """What an export covers: a period, optionally narrowed to controls and targets."""

    period: Period
    controls: tuple[str, ...] = ()  # empty: all 93
    targets: tuple[str, ...] = ()  # empty: all


@dataclass
class DayStatus:
    """A control on one day of the period."""

    day: date
    status: str  # one of STATUS_ORDER
    passed: int = 0
    failed: int = 0
    gaps: int = 0
    not_applicable: int = 0
    evidence_day: date | None = None  # the collection day the counts come from (fresh evidence)
    reason: str | None = None  # why the day is a gap or has no evidence


@dataclass(frozen=True)
class AttachmentRef:
    """Manual evidence attached to a control and effective during (part of) the period."""

    control: str
    file_name: str
    media_type: str
    size: int
    sha256: str
    effective_from: date
    effective_to: date | None  # None: open-ended
    note: str
    added_at: datetime
    path: str  # where the file is in the bundle, e.g. "controls/A.5.1/manual/<sha256>-policy.pdf"


@dataclass
class ControlPeriod:
    """One control over the period: totals, one status per day, manual evidence."""

    control: Control
    rules: int  # rules that evidence it
    applicable: bool = True
    days: list[DayStatus] = field(default_factory=list)
    passed: int = 0
    failed: int = 0
    gaps: int = 0
    not_applicable: int = 0
    latest: datetime | None = None  # latest evidence observed in the period
    gap_reasons: list[str] = field(default_factory=list)
    attachments: list[AttachmentRef] = field(default_factory=list)

    @property
    def evaluations(self) -> int:
        return self.passed + self.failed + self.gaps + self.not_applicable

    @property
    def status(self) -> str:
        """The period's status: its worst day. A control without rules is 'manual' (manual
        evidence needed) or 'attached' (manual evidence effective on the period's last day): the
        auditor, not annexa, judges a document."""
        if self.rules == 0:
            return "attached" if self.manual_covers_end else "manual"
        return worst([d.status for d in self.days])

    @property
    def end_status(self) -> str:
        """The status on the period's last day (for a control without rules, its status)."""
        if self.rules == 0 or not self.days:
            return self.status
        return self.days[-1].status

    @property
    def manual_covers_end(self) -> bool:
        if not self.days or not self.attachments:
            return False
        last = self.days[-1].day
        return any(
            a.effective_from <= last and (a.effective_to is None or last <= a.effective_to)
            for a in self.attachments
        )


@dataclass(frozen=True)
class GapEntry:
    """A row of gaps.csv: a unit that did not deliver, or a control-day without fresh evidence."""

    day: date
    type: str  # "unit" (denied / error / interrupted / skipped) or "stale" (no fresh evidence)
    control: str  # "" for unit rows (they name the kinds instead)
    run_id: str
    unit: str  # unit key, or "" for stale rows
    status: str  # the unit's status, or "gap"
    reason: str


@dataclass(frozen=True)
class ExportMeta:
    """The bundle's identity: what, when, by whom. ``generated_at`` is derived from the
    evidence (the latest run's end), never the wall clock, so exports are reproducible."""

    scope: ExportScope
    generated_at: datetime
    agent_version: str
    catalogue_version: str
    ruleset_digests: tuple[str, ...]
    runs: tuple[RunRef, ...]
    key_id: str
    freshness_hours: dict[str, int] = field(default_factory=dict)  # rule id -> window
