"""What changed between two runs, by merging both runs' resources and evaluations in key order.

Each side arrives as iterators sorted by resource key (evaluations then by rule id), so memory
holds one resource at a time plus the changes found, never a run. Evidence gaps stay gaps: a
resource that is missing because its unit was denied, failed, was interrupted or was not
collected is *no longer observable*, never *removed*; one that appears because its unit's gap
closed is *newly observable*, not *new*.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import TypeVar

from annexa.store.history import KeyedEvaluation, ObservedResource, ResourceKey
from annexa.store.records import GAP_STATUSES, UnitRecord

OBSERVED = ("ok", "partial")  # units whose listing can be trusted to be complete
NOT_COLLECTED = "not collected"
SEVERITY = {"fail": 3, "error": 2, "pass": 1, "not_applicable": 0}  # repeats: the worst wins

T = TypeVar("T")


@dataclass(frozen=True)
class ResourceChange:
    """A resource present in one run only. ``unit_status`` is its unit's status in the other
    run (``not collected`` when that run had no such unit)."""

    provider: str
    account: str
    region: str
    kind: str
    resource_id: str
    unit_key: str
    unit_status: str


@dataclass(frozen=True)
class EvaluationChange:
    """One (rule, resource) whose outcome changed. ``before`` is None when it was not evaluated;
    ``new_resource`` is None when the resource could not have been observed in the earlier run."""

    rule_id: str
    provider: str
    account: str
    region: str
    kind: str
    resource_id: str
    before: str | None
    after: str | None
    reason: str
    controls: tuple[str, ...]
    severity: str
    new_resource: bool | None = False


@dataclass(frozen=True)
class UnitChange:
    unit_key: str
    before: str | None
    after: str
    error: str | None


@dataclass
class RunDiff:
    """The sections of a diff; ``still_failing`` is only counted."""

    new_failures: list[EvaluationChange] = field(default_factory=list)
    fixed: list[EvaluationChange] = field(default_factory=list)
    still_failing: int = 0
    new_resources: list[ResourceChange] = field(default_factory=list)
    removed_resources: list[ResourceChange] = field(default_factory=list)
    new_gap_units: list[UnitChange] = field(default_factory=list)
    new_gap_evaluations: list[EvaluationChange] = field(default_factory=list)
    unobservable_resources: list[ResourceChange] = field(default_factory=list)
    closed_gap_units: list[UnitChange] = field(default_factory=list)
    closed_gap_evaluations: list[EvaluationChange] = field(default_factory=list)
    observable_resources: list[ResourceChange] = field(default_factory=list)

    @property
    def has_new(self) -> bool:
        """New failures or new gaps (what ``--fail-on-new`` fails on)."""
        return bool(
            self.new_failures
            or self.new_gap_units
            or self.new_gap_evaluations
            or self.unobservable_resources
        )

    def summary(self) -> dict[str, int]:
        return {
            name: value if isinstance(value, int) else len(value)
            for name, value in vars(self).items()
        }


@dataclass
class _Side:
    """One run's view of one resource: where it came from and its evaluations by rule."""

    key: ResourceKey
    unit_seq: int
    evaluations: dict[str, KeyedEvaluation]


def _in_order(items: Iterable[T], what: str) -> Iterator[T]:
    """Pass items through, refusing any that breaks the key order the merge relies on."""
    previous: tuple[str, ...] | None = None
    for item in items:
        current = _order_key(item)
        if previous is not None and current < previous:
            raise ValueError(f"{what} are not in key order at {current!r}")
        previous = current
        yield item


def _order_key(item: object) -> tuple[str, ...]:
    if isinstance(item, KeyedEvaluation):
        return (*item.key, item.rule_id)
    assert isinstance(item, ObservedResource)
    return item.key


def sides(
    resources: Iterable[ObservedResource], evaluations: Iterable[KeyedEvaluation]
) -> Iterator[_Side]:
    """Group one run's sorted streams into one entry per resource key."""
    groups = groupby(_in_order(evaluations, "evaluations"), key=lambda e: e.key)
    pending = next(groups, None)
    for key, observed in groupby(_in_order(resources, "resources"), key=lambda r: r.key):
        unit_seq = next(observed).unit_seq
        by_rule: dict[str, KeyedEvaluation] = {}
        while pending is not None and pending[0] <= key:
            if pending[0] == key:
                for evaluation in pending[1]:
                    held = by_rule.get(evaluation.rule_id)
                    if held is None or SEVERITY[evaluation.status] > SEVERITY[held.status]:
                        by_rule[evaluation.rule_id] = evaluation
            pending = next(groups, None)
        yield _Side(key, unit_seq, by_rule)


def _merge(before: Iterator[_Side], after: Iterator[_Side]) -> Iterator[tuple[_Side | None, ...]]:
    left, right = next(before, None), next(after, None)
    while left is not None or right is not None:
        if right is None or (left is not None and left.key < right.key):
            yield left, None
            left = next(before, None)
        elif left is None or right.key < left.key:
            yield None, right
            right = next(after, None)
        else:
            yield left, right
            left, right = next(before, None), next(after, None)


def _change(
    evaluation: KeyedEvaluation, before: str | None, after: str | None, new: bool | None = False
) -> EvaluationChange:
    provider, account, region, kind, resource_id = evaluation.key
    return EvaluationChange(
        evaluation.rule_id,
        provider,
        account,
        region,
        kind,
        resource_id,
        before,
        after,
        evaluation.reason,
        evaluation.controls,
        evaluation.severity,
        new,
    )


def _resource(side: _Side, unit_key: str, other_status: str) -> ResourceChange:
    return ResourceChange(*side.key, unit_key=unit_key, unit_status=other_status)


class _Units:
    """Both runs' unit records: which unit made a resource, and that unit's fate in the other."""

    def __init__(self, units: Sequence[UnitRecord]) -> None:
        self.by_seq = {u.seq: u.unit_key for u in units}
        self.status = {u.unit_key: u.status for u in units}


def diff_runs(
    before_units: Sequence[UnitRecord],
    after_units: Sequence[UnitRecord],
    before: tuple[Iterable[ObservedResource], Iterable[KeyedEvaluation]],
    after: tuple[Iterable[ObservedResource], Iterable[KeyedEvaluation]],
) -> RunDiff:
    """Compare two runs. ``before`` and ``after`` are each (resources, evaluations) in key order."""
    result = RunDiff()
    old, new = _Units(before_units), _Units(after_units)
    for unit in after_units:
        was = old.status.get(unit.unit_key)
        if unit.status in GAP_STATUSES and was not in GAP_STATUSES:
            result.new_gap_units.append(
                UnitChange(unit.unit_key, was, unit.status, unit.error_message)
            )
        elif unit.status in OBSERVED and was in GAP_STATUSES:
            result.closed_gap_units.append(UnitChange(unit.unit_key, was, unit.status, None))
    for left, right in _merge(sides(*before), sides(*after)):
        if right is None:
            assert left is not None
            unit_key = old.by_seq.get(left.unit_seq, "?")
            now = new.status.get(unit_key, NOT_COLLECTED)
            target = result.removed_resources if now in OBSERVED else result.unobservable_resources
            target.append(_resource(left, unit_key, now))
        elif left is None:
            unit_key = new.by_seq.get(right.unit_seq, "?")
            was = old.status.get(unit_key, NOT_COLLECTED)
            is_new = was in OBSERVED
            target = result.new_resources if is_new else result.observable_resources
            target.append(_resource(right, unit_key, was))
            for evaluation in right.evaluations.values():
                if evaluation.status == "fail":
                    result.new_failures.append(_change(evaluation, None, "fail", is_new or None))
        else:
            _compare(result, left, right)
    return result


def _compare(result: RunDiff, left: _Side, right: _Side) -> None:
    """The same resource in both runs: compare rule by rule."""
    for rule_id in sorted(left.evaluations.keys() | right.evaluations.keys()):
        old, new = left.evaluations.get(rule_id), right.evaluations.get(rule_id)
        was = old.status if old else None
        now = new.status if new else None
        if now == "fail" and was == "fail":
            result.still_failing += 1
        elif new is not None and now == "fail":
            result.new_failures.append(_change(new, was, now))
        elif new is not None and was == "fail" and now == "pass":
            result.fixed.append(_change(new, was, now))
        if new is not None and now == "error" and was in ("pass", "fail"):
            result.new_gap_evaluations.append(_change(new, was, now))
        elif new is not None and was == "error" and now in ("pass", "fail"):
            result.closed_gap_evaluations.append(_change(new, was, now))
