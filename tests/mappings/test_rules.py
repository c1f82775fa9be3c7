"""Registry-wide meta-tests over the shipped rules."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from annexa.connectors.records import Observation, Scope
from annexa.connectors.registry import connector_registry
from annexa.mappings.catalogue import load_catalogue
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import RuleError, load_rules, parse_rules_file, ports_in


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


def test_ports_in_covers_all_traffic_and_tcp_ranges_only() -> None:
    ranges = [
        {"protocol": "tcp", "from_port": 20, "to_port": 23, "source": "0.0.0.0/0"},
        {"protocol": "6", "from_port": 5000, "to_port": 6000, "source": "::/0"},
        {"protocol": "udp", "from_port": 0, "to_port": 65535, "source": "0.0.0.0/0"},
        {"protocol": "icmp", "from_port": -1, "to_port": -1, "source": "0.0.0.0/0"},
    ]
    assert ports_in(ranges, [3389, 22, 5432, 22, 53, 6001]) == [22, 5432]
    assert ports_in([{"protocol": "-1", "from_port": None, "to_port": None}], [443, 22]) == [
        22,
        443,
    ]
    assert ports_in([{"protocol": "tcp", "from_port": None, "to_port": None}], [22]) == []
    assert ports_in([], [22]) == []
    assert ports_in(ranges, []) == []


def test_rules_call_ports_in_in_checks_and_reasons(tmp_path) -> None:
    (tmp_path / "ports.toml").write_text(
        '[[rule]]\nid = "acme.sg.admin"\nkind = "aws.ec2.security_group"\ntitle = "t"\n'
        'controls = ["A.8.20"]\nparams = { ports = [22, 3389] }\n'
        'check = "length(ports_in(world, ${ports})) == `0`"\n'
        'pass = "none of ${ports}"\nfail = "open: {ports_in(world, ${ports})}"\n'
    )
    [rule] = [r for r in load_rules([tmp_path]) if r.id == "acme.sg.admin"]
    assert rule.fields == {"world"}
    engine = RuleEngine([rule])

    def judge(world: object) -> tuple[str, str]:
        obs = Observation(
            rule.kind, "sg", Scope("aws", "1", "eu-west-1"), {"world": world}, datetime.now(UTC)
        )
        [evaluation] = engine.evaluate(obs)
        return evaluation.status, evaluation.reason

    open_all = [{"protocol": "-1", "from_port": None, "to_port": None}]
    assert judge(open_all) == ("fail", "open: 22, 3389")
    assert judge([{"protocol": "tcp", "from_port": 443, "to_port": 443}]) == (
        "pass",
        "none of [22, 3389]",
    )
    status, reason = judge("not a list")
    assert status == "error" and "ports_in" in reason


def test_unknown_functions_are_refused_when_rules_load(tmp_path) -> None:
    (tmp_path / "typo.toml").write_text(
        '[[rule]]\nid = "acme.sg.typo"\nkind = "aws.ec2.security_group"\ntitle = "t"\n'
        'controls = ["A.8.20"]\ncheck = "length(port_in(world, `[22]`)) == `0`"\n'
        'pass = "p"\nfail = "f"\n'
    )
    with pytest.raises(RuleError, match=r"typo.toml: rule acme.sg.typo: .*unknown function"):
        load_rules([tmp_path])


def test_titles_show_the_effective_parameters() -> None:
    rules = load_rules(params={"aws.acm.certificate.not-expiring": {"min_days_left": 45}})
    assert not [r.id for r in rules if "${" in r.title]
    [acm] = [r for r in rules if r.id == "aws.acm.certificate.not-expiring"]
    assert "45" in acm.title
