"""Every shipped rule can pass and can fail: a pass and a fail example for each, evaluated.

Examples live in ``tests/mappings/examples/<family>.py`` as ``EXAMPLES = {rule id: (passing
attributes, failing attributes)}``. A rule without both fails this test, so no check that cannot
fail ships unnoticed.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import UTC, datetime

import pytest

from annexa.connectors.records import Observation, Scope
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.mappings import examples


def all_examples() -> dict[str, tuple[dict, dict]]:
    found: dict[str, tuple[dict, dict]] = {}
    for module in pkgutil.iter_modules(examples.__path__):
        family = importlib.import_module(f"{examples.__name__}.{module.name}")
        duplicated = set(found) & set(family.EXAMPLES)
        assert not duplicated, f"examples for {sorted(duplicated)} appear twice"
        found.update(family.EXAMPLES)
    return found


EXAMPLES = all_examples()

RULES = load_rules()


def test_every_rule_has_examples() -> None:
    missing = sorted({r.id for r in RULES} - set(EXAMPLES))
    assert not missing, f"add pass and fail examples for {missing}"


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_passes_and_fails(rule) -> None:
    engine = RuleEngine([rule])
    passing, failing = EXAMPLES[rule.id]
    for attributes, expected in ((passing, "pass"), (failing, "fail")):
        obs = Observation(
            rule.kind, "arn:example", Scope("aws", "1", "eu-west-1"), attributes, datetime.now(UTC)
        )
        [evaluation] = engine.evaluate(obs)
        assert evaluation.status == expected, (
            f"{rule.id} on {attributes}: {evaluation.status} ({evaluation.reason})"
        )
        assert "{" not in evaluation.reason and "${" not in evaluation.reason
