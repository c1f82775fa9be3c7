"""Per-control summaries built from a run's evaluations and unit statuses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from annexa.mappings.catalogue import Catalogue, Control
from annexa.mappings.engine import RuleEngine
from annexa.store import Finding, UnitRecord


@dataclass
class ControlStatus:
    control: Control
    rules: int
    passed: int = 0
    failed: int = 0
    not_applicable: int = 0
    gaps: int = 0
    latest: datetime | None = None
    gap_reasons: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """fail > gap > pass > no evidence; manual controls without rules say so."""
        if self.failed:
            return "fail"
        if self.gaps:
            return "gap"
        if self.passed:
            return "pass"
        if self.not_applicable:
            return "n/a"
        return "manual" if self.control.automation == "manual" and not self.rules else "no evidence"


def control_summary(
    catalogue: Catalogue,
    engine: RuleEngine,
    findings: Iterable[Finding],
    units: Iterable[UnitRecord],
) -> list[ControlStatus]:
    """Pass / fail / gap counts per control. A unit that failed is a gap for every control that
    rules over its observation kinds evidence: missing evidence never reads as a pass."""
    rule_count: dict[str, int] = {}
    for rule in engine.rules:
        for control_id in rule.controls:
            rule_count[control_id] = rule_count.get(control_id, 0) + 1
    summary = {c.id: ControlStatus(c, rule_count.get(c.id, 0)) for c in catalogue}
    for finding in findings:
        for control_id in finding.controls:
            entry = summary.get(control_id)
            if entry is None:
                continue
            if finding.status == "pass":
                entry.passed += 1
            elif finding.status == "fail":
                entry.failed += 1
            elif finding.status == "not_applicable":
                entry.not_applicable += 1
            else:
                entry.gaps += 1
            if entry.latest is None or finding.observed_at > entry.latest:
                entry.latest = finding.observed_at
    for unit in units:
        if not unit.is_gap:
            continue
        for control_id in engine.controls_for_kinds(unit.kinds):
            entry = summary[control_id]
            entry.gaps += 1
            entry.gap_reasons.append(f"{unit.unit_key}: {unit.status} ({unit.error_class})")
    return list(summary.values())
