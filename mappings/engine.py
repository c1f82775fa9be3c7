"""The rule engine: observations in, evaluations linked to Annex A controls out.

For each rule of an observation's kind:

1. if the rule reads an attribute that the observation lists as a gap -> ``error`` (an evidence
   gap, with the reason the attribute could not be read) — never a pass;
2. if ``applies`` is falsy -> ``not_applicable``;
3. if ``check`` is truthy -> ``pass``, else ``fail``;
4. if an expression cannot be evaluated -> ``error``.

Every expression (``applies``, ``check`` and those in reason templates) is evaluated with
:data:`~annexa.mappings.rules.JMESPATH_OPTIONS`, so rules may call annexa's custom functions.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import jmespath
from jmespath.exceptions import JMESPathError

from annexa.connectors.records import Observation
from annexa.mappings.rules import JMESPATH_OPTIONS, TEMPLATE, Rule, ruleset_digest

Status = Literal["pass", "fail", "not_applicable", "error"]
STATUSES: tuple[Status, ...] = ("pass", "fail", "not_applicable", "error")


@dataclass(frozen=True)
class Evaluation:
    """One rule applied to one observation."""

    rule_id: str
    status: Status
    reason: str
    controls: tuple[str, ...]
    severity: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule_id": self.rule_id,
            "status": self.status,
            "reason": self.reason,
            "controls": list(self.controls),
            "severity": self.severity,
        }


def _truthy(value: Any) -> bool:
    """JMESPath truthiness: false, null, empty strings, lists and objects are false."""
    return value not in (None, False, "", [], {})


def _render(template: str, data: Mapping[str, Any]) -> str:
    def render(match: Any) -> str:
        value = jmespath.search(match.group(1), data, options=JMESPATH_OPTIONS)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value) if value else "none"
        return "none" if value is None else str(value)

    try:
        return str(TEMPLATE.sub(render, template))
    except (JMESPathError, TypeError, ValueError):
        return template


class RuleEngine:
    """Evaluates every rule that applies to an observation's kind."""

    def __init__(self, rules: Sequence[Rule]) -> None:
        self.rules = tuple(rules)
        self._by_kind: dict[str, list[Rule]] = defaultdict(list)
        for rule in self.rules:
            self._by_kind[rule.kind].append(rule)
        self.digest = ruleset_digest(self.rules)

    def kinds(self) -> set[str]:
        return set(self._by_kind)

    def rules_for(self, kind: str) -> list[Rule]:
        return list(self._by_kind.get(kind, ()))

    def controls_for_kinds(self, kinds: Iterable[str]) -> set[str]:
        """Controls that rules over these kinds evidence (what a failed unit leaves uncovered)."""
        return {c for kind in kinds for rule in self._by_kind.get(kind, ()) for c in rule.controls}

    def evaluate(self, observation: Observation) -> list[Evaluation]:
        data = dict(observation.attributes)
        return [
            self._apply(rule, observation, data) for rule in self._by_kind.get(observation.kind, ())
        ]

    def _apply(self, rule: Rule, observation: Observation, data: dict[str, Any]) -> Evaluation:
        def result(status: Status, reason: str) -> Evaluation:
            return Evaluation(rule.id, status, reason, rule.controls, rule.severity)

        unreadable = sorted(rule.fields & set(observation.gaps))
        if unreadable:
            reasons = "; ".join(f"{name}: {observation.gaps[name]}" for name in unreadable)
            return result("error", f"evidence gap: could not read {reasons}")
        assert rule.check_expr is not None, "rules are built by build_rule"
        try:
            applies = rule.applies_expr
            if applies is not None and not _truthy(applies.search(data, JMESPATH_OPTIONS)):
                return result("not_applicable", _render(rule.not_applicable_reason, data))
            passed = _truthy(rule.check_expr.search(data, JMESPATH_OPTIONS))
        except (JMESPathError, TypeError, ValueError) as exc:
            return result("error", f"rule could not be evaluated: {exc}")
        if passed:
            return result("pass", _render(rule.pass_reason, data))
        return result("fail", _render(rule.fail_reason, data))
