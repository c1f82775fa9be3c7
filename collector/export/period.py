"""The period picture: per control and per day, what the evidence says and whether it is fresh.

:class:`PeriodAggregator` consumes the evidence stream once (counts per control and day, totals,
a bounded sample per control) and, with the units of the period's runs, decides each day:

* a unit that was denied, failed or was interrupted is a gap for every control that rules over
  its observation kinds evidence, on the day it ran (and a row of gaps.csv; skipped units are
  listed there too, as not applicable);
* a kind of evidence is *fresh* at a moment if a unit collected it successfully (ok, partial or
  skipped as not applicable) within the freshness window of its rules (``freshness_hours``, the
  smallest of the rules over that kind) before that moment. A day on which some kind a control
  relies on is not fresh at the day's end is a ``gap`` for that control, never a pass;
* otherwise the day shows the counts of the latest collection day: fail > gap > pass > n/a, or
  ``no evidence`` when the fresh collections found nothing to evaluate.

Only kinds that some unit of the exported runs was meant to collect count: a cluster-only
installation is not stale for AWS kinds it never collects.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from annexa.collector.export.model import (
    ControlPeriod,
    DayStatus,
    EvidenceRow,
    ExportScope,
    GapEntry,
    worst,
)
from annexa.mappings.catalogue import Catalogue
from annexa.mappings.rules import Rule
from annexa.store.evidence import UnitRef

SUCCESS = ("ok", "partial", "skipped")
COUNTED = {"pass": "passed", "fail": "failed", "not_applicable": "not_applicable"}
SAMPLE = 50


class PeriodAggregator:
    """Consumes :class:`EvidenceRow` s; then builds the per-control, per-day picture."""

    def __init__(self, scope: ExportScope, catalogue: Catalogue, rules: Iterable[Rule]) -> None:
        self.scope = scope
        self.catalogue = catalogue
        self.rules = list(rules)
        self.in_scope = set(scope.controls) if scope.controls else {c.id for c in catalogue}
        self.counts: dict[tuple[str, date], Counter[str]] = defaultdict(Counter)
        self.latest: dict[str, datetime] = {}
        self.bad: dict[str, list[EvidenceRow]] = defaultdict(list)
        self.good: dict[str, list[EvidenceRow]] = defaultdict(list)

    def add(self, row: EvidenceRow) -> None:
        field = COUNTED.get(row.status, "gaps")
        for control in row.controls:
            if control not in self.in_scope:
                continue
            self.counts[(control, row.day)][field] += 1
            if control not in self.latest or row.observed_at > self.latest[control]:
                self.latest[control] = row.observed_at
            sample = self.bad if row.status not in ("pass", "not_applicable") else self.good
            if len(sample[control]) < SAMPLE:
                sample[control].append(row)

    def samples(self) -> dict[str, list[EvidenceRow]]:
        """Per control, failures and gaps first, then passes, at most :data:`SAMPLE` rows."""
        return {
            control: (self.bad.get(control, []) + self.good.get(control, []))[:SAMPLE]
            for control in sorted(set(self.bad) | set(self.good))
        }

    def build(self, units: list[UnitRef]) -> tuple[list[ControlPeriod], list[GapEntry]]:
        """Every control in scope with its days, and the rows of gaps.csv."""
        days = self.scope.period.days()
        rules_by_control: dict[str, list[Rule]] = defaultdict(list)
        window: dict[str, int] = {}
        for rule in self.rules:
            window[rule.kind] = min(
                window.get(rule.kind, rule.freshness_hours), rule.freshness_hours
            )
            for control_id in rule.controls:
                rules_by_control[control_id].append(rule)
        collected: dict[str, list[datetime]] = defaultdict(list)  # kind -> successful collections
        attempted: set[str] = set()
        gaps: list[GapEntry] = []
        unit_gaps: dict[tuple[str, date], list[str]] = defaultdict(list)
        for ref in units:
            unit = ref.record
            attempted.update(unit.kinds)
            if unit.status in SUCCESS:
                for kind in unit.kinds:
                    collected[kind].append(unit.finished_at)
            if unit.status in SUCCESS and unit.status != "skipped":
                continue
            day = unit.started_at.date()
            reason = f"{unit.error_class}: {unit.error_message}" if unit.error_class else ""
            gaps.append(GapEntry(day, "unit", "", ref.run_id, unit.unit_key, unit.status, reason))
            if unit.status == "skipped":
                continue
            for control_id in {c for r in self.rules if r.kind in unit.kinds for c in r.controls}:
                unit_gaps[(control_id, day)].append(f"{unit.unit_key}: {unit.status}")
        for times in collected.values():
            times.sort()
        period = self.scope.period
        last = {  # kind, day -> its latest successful collection before the day's end
            (kind, day): _before(times, period.start_at + timedelta(days=n + 1))
            for kind, times in collected.items()
            for n, day in enumerate(days)
        }
        controls: list[ControlPeriod] = []
        for control in self.catalogue:
            if control.id not in self.in_scope:
                continue
            rules = rules_by_control.get(control.id, [])
            kinds = sorted({r.kind for r in rules} & attempted)
            entry = ControlPeriod(control, len(rules), latest=self.latest.get(control.id))
            evidence_day: date | None = None  # the latest day so far with evaluations
            for n, day in enumerate(days):
                counts = self.counts.get((control.id, day))
                if counts is not None:
                    evidence_day = day
                    for name in ("passed", "failed", "gaps", "not_applicable"):
                        setattr(entry, name, getattr(entry, name) + counts[name])
                end = period.start_at + timedelta(days=n + 1)
                status = self._day(
                    control.id, day, end, rules, kinds, last, window, unit_gaps, evidence_day
                )
                entry.days.append(status)
                if status.status == "gap" and rules:
                    gaps.append(
                        GapEntry(day, "stale", control.id, "", "", "gap", status.reason or "")
                    )
                entry.gap_reasons.extend(unit_gaps.get((control.id, day), []))
            entry.gaps += sum(len(unit_gaps.get((control.id, d), [])) for d in days)
            controls.append(entry)
        gaps.sort(key=lambda g: (g.day, g.type, g.control, g.run_id, g.unit))
        return controls, gaps

    def _day(
        self,
        control: str,
        day: date,
        end: datetime,
        rules: list[Rule],
        kinds: list[str],
        last: Mapping[tuple[str, date], datetime | None],
        window: dict[str, int],
        unit_gaps: dict[tuple[str, date], list[str]],
        evidence_day: date | None,
    ) -> DayStatus:
        if not rules:
            return DayStatus(day, "manual")
        if not kinds:
            return DayStatus(day, "no evidence", reason="nothing in scope collects its evidence")
        stale, since = [], []
        for kind in kinds:
            collected = last.get((kind, day))
            if collected is None or end - collected > timedelta(hours=window[kind]):
                when = collected.date().isoformat() if collected else "never in the period"
                stale.append(f"{kind} (last collected {when}, window {window[kind]} h)")
            else:
                since.append(collected.date())
        if stale:
            return DayStatus(day, "gap", reason="no fresh evidence: " + "; ".join(stale))
        extra_gaps = len(unit_gaps.get((control, day), []))
        if evidence_day is None or evidence_day < min(since):  # no evaluations since then
            if extra_gaps:
                return DayStatus(day, "gap", gaps=extra_gaps, reason="units failed")
            return DayStatus(day, "no evidence", reason="collected; nothing to evaluate")
        counts = self.counts[(control, evidence_day)]
        status = DayStatus(
            day,
            "no evidence",
            passed=counts["passed"],
            failed=counts["failed"],
            gaps=counts["gaps"] + extra_gaps,
            not_applicable=counts["not_applicable"],
            evidence_day=evidence_day,
        )
        flags = [
            ("fail", status.failed),
            ("gap", status.gaps),
            ("pass", status.passed),
            ("n/a", status.not_applicable),
        ]
        status.status = worst([name for name, n in flags if n])  # none: "no evidence"
        if status.status == "gap":
            status.reason = "; ".join(unit_gaps.get((control, day), [])) or "unreadable attributes"
        return status


def _before(times: list[datetime], end: datetime) -> datetime | None:
    """The latest of the sorted ``times`` strictly before ``end``."""
    index = bisect_left(times, end)
    return times[index - 1] if index else None
