"""The engine's semantics: gaps are errors, applicability, pass/fail, broken expressions."""

from __future__ import annotations

from datetime import UTC, datetime

from annexa.connectors.records import Observation, Scope
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import build_rule, parse_rules_file

RULES = """
[[rule]]
id = "t.key.rotation"
kind = "aws.kms.key"
title = "rotation"
controls = ["A.8.24"]
applies = "rotation_applicable"
check = "rotation_enabled"
pass = "rotates every {rotation_period_days} days"
fail = "no rotation"
not_applicable = "cannot rotate {key_spec}"

[[rule]]
id = "t.key.age"
kind = "aws.kms.key"
title = "age"
controls = ["A.8.24", "A.5.17"]
params = { limit = 90 }
check = "age_days <= ${limit}"
pass = "{age_days} <= ${limit}"
fail = "{age_days} > ${limit}"
"""


def engine() -> RuleEngine:
    return RuleEngine([build_rule(spec, "inline") for spec in parse_rules_file(RULES, "inline")])


def key(attributes: dict, gaps: dict | None = None) -> Observation:
    return Observation(
        "aws.kms.key",
        "arn:k",
        Scope("aws", "1", "eu-west-1"),
        attributes,
        datetime.now(UTC),
        gaps=gaps or {},
    )


def results(obs: Observation) -> dict[str, tuple[str, str]]:
    return {e.rule_id: (e.status, e.reason) for e in engine().evaluate(obs)}


def test_pass_fail_and_reasons() -> None:
    found = results(
        key(
            {
                "rotation_applicable": True,
                "rotation_enabled": True,
                "rotation_period_days": 365,
                "age_days": 10,
            }
        )
    )
    assert found == {
        "t.key.rotation": ("pass", "rotates every 365 days"),
        "t.key.age": ("pass", "10 <= 90"),
    }
    found = results(key({"rotation_applicable": True, "rotation_enabled": False, "age_days": 400}))
    assert found["t.key.rotation"] == ("fail", "no rotation") and found["t.key.age"] == (
        "fail",
        "400 > 90",
    )


def test_not_applicable() -> None:
    found = results(key({"rotation_applicable": False, "key_spec": "RSA_2048", "age_days": 1}))
    assert found["t.key.rotation"] == ("not_applicable", "cannot rotate RSA_2048")


def test_unreadable_attribute_is_an_evidence_gap_never_a_pass() -> None:
    found = results(
        key(
            {"rotation_applicable": True, "age_days": 1},
            gaps={"rotation_enabled": "PermissionDenied: no"},
        )
    )
    status, reason = found["t.key.rotation"]
    assert status == "error" and "evidence gap" in reason and "rotation_enabled" in reason
    assert found["t.key.age"][0] == "pass"  # rules that do not need the missing attribute still run


def test_missing_attribute_fails_rather_than_passes() -> None:
    assert results(key({"rotation_applicable": True}))["t.key.age"][0] in ("fail", "error")


def test_broken_expression_is_an_error() -> None:
    found = results(key({"rotation_applicable": True, "rotation_enabled": True, "age_days": "old"}))
    assert found["t.key.age"][0] == "error" and "could not be evaluated" in found["t.key.age"][1]


def test_controls_and_digest() -> None:
    e = engine()
    assert e.controls_for_kinds(["aws.kms.key"]) == {"A.8.24", "A.5.17"}
    assert e.controls_for_kinds(["aws.s3.bucket"]) == set()
    assert len(e.digest) == 64 and e.digest == engine().digest
