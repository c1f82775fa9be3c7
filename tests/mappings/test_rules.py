"""Registry-wide meta-tests over the shipped rules."""

from __future__ import annotations

import pytest

from annexa.connectors.registry import connector_registry
from annexa.mappings.catalogue import load_catalogue
from annexa.mappings.rules import RuleError, load_rules, parse_rules_file


def declared_kinds() -> dict[str, set[str]]:
    loaded, failures = connector_registry().load_all()
    assert not failures
    return {kind.name: set(kind.attributes) for cls in loaded.values() for kind in cls.kinds}


RULES = load_rules()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.id)
def test_rule_names_real_controls_kinds_and_attributes(rule) -> None:
    catalogue = load_catalogue()
    kinds = declared_kinds()
    for control in rule.controls:
        assert control in catalogue, f"{rule.id}: {control} is not an Annex A 2022 control"
    assert rule.kind in kinds, f"{rule.id}: no connector emits {rule.kind}"
    undeclared = rule.fields - kinds[rule.kind]
    assert not undeclared, f"{rule.id} reads undeclared attribute(s) {sorted(undeclared)}"
    assert rule.title and rule.pass_reason and rule.fail_reason


def test_every_automated_control_has_rules() -> None:
    covered = {c for rule in RULES for c in rule.controls}
    automated = [c.id for c in load_catalogue() if c.automation == "automated"]
    assert automated and not set(automated) - covered


def test_manual_controls_have_no_rules() -> None:
    covered = {c for rule in RULES for c in rule.controls}
    manual = {c.id for c in load_catalogue() if c.automation == "manual"}
    assert not manual & covered, "a control with rules is not manual: reclassify it"


def test_every_observation_kind_is_judged() -> None:
    judged = {rule.kind for rule in RULES}
    assert set(declared_kinds()) <= judged, "an observation kind without rules evidences nothing"


def test_ids_are_unique() -> None:
    ids = [rule.id for rule in RULES]
    assert len(ids) == len(set(ids))


def test_errors_name_file_and_rule(tmp_path) -> None:
    bad = '[[rule]]\nid = "x.y.z"\nkind = "aws.s3.bucket"\ntitle = "t"\ncontrols = ["A.8.24"]\ncheck = "a[?"\npass = "p"\nfail = "f"\n'
    path = tmp_path / "bad.toml"
    path.write_text(bad)
    with pytest.raises(RuleError, match=r"bad.toml: rule x.y.z: invalid JMESPath"):
        load_rules([path])
    with pytest.raises(RuleError, match=r"rule #1 \(x.y.z\): severity"):
        parse_rules_file(
            bad.replace('check = "a[?"', 'check = "a"\nseverity = "extreme"'), "inline.toml"
        )
    with pytest.raises(RuleError, match="unknown top-level key"):
        parse_rules_file("[rules]\n", "typo.toml")


def test_overrides_and_disabling() -> None:
    rules = {
        r.id: r
        for r in load_rules(params={"aws.iam.user.access-key-rotation": {"max_age_days": 30}})
    }
    assert "`30`" in rules["aws.iam.user.access-key-rotation"].check
    assert (
        "30 days" in rules["aws.iam.user.access-key-rotation"].title
        or "30" in rules["aws.iam.user.access-key-rotation"].fail_reason
    )
    disabled = {r.id for r in load_rules(disabled=["aws.s3.bucket.access-logging"])}
    assert "aws.s3.bucket.access-logging" not in disabled
    with pytest.raises(RuleError, match=r"no rule with id 'aws\.nope'"):
        load_rules(disabled=["aws.nope"])
    with pytest.raises(RuleError, match="unknown parameter"):
        load_rules(params={"aws.iam.user.access-key-rotation": {"max_days": 1}})


def test_extra_rules_folder(tmp_path) -> None:
    (tmp_path / "custom.toml").write_text(
        '[[rule]]\nid = "acme.s3.tagged"\nkind = "aws.s3.bucket"\ntitle = "Buckets carry an owner tag"\n'
        'controls = ["A.5.9"]\ncheck = "tags.owner != `null`"\npass = "Owner {tags.owner}"\nfail = "No owner tag"\n'
    )
    assert "acme.s3.tagged" in {r.id for r in load_rules([tmp_path])}
    with pytest.raises(RuleError, match="already defined"):
        load_rules([tmp_path, tmp_path / "custom.toml"])
