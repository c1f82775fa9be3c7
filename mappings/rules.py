"""Rules as data: TOML files that turn observations into evaluations linked to controls.

A rules file holds ``[[rule]]`` tables::

    [[rule]]
    id = "aws.s3.bucket.default-encryption"
    kind = "aws.s3.bucket"                  # the observation kind it applies to
    title = "S3 buckets encrypt new objects by default"
    controls = ["A.8.24"]
    severity = "medium"                     # low | medium | high | critical
    applies = "..."                         # optional JMESPath: falsy -> not_applicable
    check = "default_encryption.configured" # JMESPath over the attributes: truthy -> pass
    pass = "Default encryption {default_encryption.algorithm}"
    fail = "No default encryption configuration"
    params = { max_age_days = 90 }          # ${max_age_days} in expressions and texts

``{expr}`` in ``pass`` / ``fail`` / ``not_applicable`` is a JMESPath expression rendered into
the reason. ``${name}`` is replaced by a parameter, which ``[rules.params]`` in the config can
override per rule: a JSON literal in expressions, a key name inside a quoted identifier
(``tags."${owner_tag}"``), plain text in titles and reasons.

Besides JMESPath's standard functions, expressions may call the functions of
:class:`RuleFunctions`; the engine evaluates every expression with :data:`JMESPATH_OPTIONS`:

``ports_in(ranges, ports)``
    The sorted, distinct numbers of ``ports`` that any of ``ranges`` lets through, for checks
    such as ``length(ports_in(world_ingress, ${admin_ports})) == `0```. A range is an object with
    ``protocol``, ``from_port`` and ``to_port``: protocol ``"-1"`` (all traffic) covers every
    port; ``"tcp"`` (or its number ``"6"``) covers ``from_port`` to ``to_port`` inclusive. Other
    protocols (UDP, ICMP, ...) cover no port here, since the port lists rules name are TCP
    services (SSH, RDP, databases).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any, Literal

import jmespath
from jmespath import functions
from jmespath.exceptions import JMESPathError
from jmespath.parser import ParsedResult
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from annexa.connectors.records import canonical_json, sha256_hex

Severity = Literal["low", "medium", "high", "critical"]
PARAM = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
TEMPLATE = re.compile(r"(?<!\$)\{((?:\$\{\w+\}|[^{}])+)\}")


ALL_TRAFFIC = "-1"
TCP = ("tcp", "6")


def ports_in(ranges: Iterable[Mapping[str, Any]], ports: Iterable[int]) -> list[int]:
    """The sorted, distinct ``ports`` covered by any of ``ranges`` (all traffic or TCP)."""
    wanted, covered = list(ports), set[int]()
    for entry in ranges:
        protocol = str(entry.get("protocol"))
        low, high = entry.get("from_port"), entry.get("to_port")
        for port in wanted:
            if protocol == ALL_TRAFFIC or (
                protocol in TCP
                and isinstance(low, int)
                and isinstance(high, int)
                and low <= port <= high
            ):
                covered.add(int(port))
    return sorted(covered)


# jmespath ships no type hints: its base class and decorator are Any to mypy.
class RuleFunctions(functions.Functions):  # type: ignore[misc]
    """JMESPath functions available to rule expressions besides the standard ones."""

    @functions.signature(  # type: ignore[untyped-decorator]
        {"types": ["array-object"]}, {"types": ["array-number"]}
    )
    def _func_ports_in(self, ranges: list[dict[str, Any]], ports: list[int]) -> list[int]:
        return ports_in(ranges, ports)


JMESPATH_OPTIONS = jmespath.Options(custom_functions=RuleFunctions())
FUNCTIONS = frozenset(RuleFunctions.FUNCTION_TABLE)


class RuleError(ValueError):
    """A rules file or override is invalid; the message names the file, rule and problem."""


class RuleSpec(BaseModel):
    """The schema of one ``[[rule]]`` table."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=r"^[a-z0-9]+(\.[a-z0-9_-]+)+$")
    kind: str
    title: str
    controls: list[str] = Field(min_length=1)
    severity: Severity = "medium"
    check: str
    applies: str | None = None
    pass_: str = Field(alias="pass")
    fail: str
    not_applicable: str = "Not applicable"
    params: dict[str, Any] = Field(default_factory=dict)
    freshness_hours: int = Field(default=48, ge=1)
    description: str = ""


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    title: str
    controls: tuple[str, ...]
    severity: Severity
    check: str
    applies: str | None
    pass_reason: str
    fail_reason: str
    not_applicable_reason: str
    params: Mapping[str, Any]
    freshness_hours: int
    description: str
    origin: str
    fields: frozenset[str] = field(default=frozenset())
    check_expr: ParsedResult | None = field(default=None, compare=False, repr=False)
    applies_expr: ParsedResult | None = field(default=None, compare=False, repr=False)

    def definition(self) -> dict[str, Any]:
        """The effective rule as data (parameters resolved), for digests and exports."""
        return {
            "id": self.id,
            "kind": self.kind,
            "controls": list(self.controls),
            "severity": self.severity,
            "check": self.check,
            "applies": self.applies,
            "pass": self.pass_reason,
            "fail": self.fail_reason,
            "not_applicable": self.not_applicable_reason,
            "freshness_hours": self.freshness_hours,
        }


def _substitute(text: str, params: Mapping[str, Any], literal: bool, where: str) -> str:
    """Insert parameters: as JSON literals in expressions (``${n}`` -> `` `90` ``), as a name
    inside a quoted identifier (``tags."${tag}"`` -> ``tags."owner"``), as plain text elsewhere."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in params:
            raise RuleError(f"{where}: ${{{name}}} is not a parameter of the rule")
        value = params[name]
        if not literal:
            return str(value)
        quoted = (
            match.start() > 0
            and text[match.start() - 1] == '"'
            and text[match.end() : match.end() + 1] == '"'
        )
        if quoted:
            return canonical_json(str(value)).decode()[1:-1]
        return f"`{canonical_json(value).decode()}`"

    return PARAM.sub(replace, text)


def _template(text: str, params: Mapping[str, Any], where: str) -> str:
    """Parameters become literals inside ``{expressions}`` and plain text outside them."""
    inner = TEMPLATE.sub(lambda m: "{" + _substitute(m.group(1), params, True, where) + "}", text)
    return _substitute(inner, params, False, where)


def root_fields(node: Mapping[str, Any], at_root: bool = True) -> set[str]:
    """Attribute names an expression reads from the observation's top level."""
    kind, children = node["type"], node.get("children", [])
    if kind == "field":
        return {node["value"]} if at_root else set()
    if kind == "expref":
        return set()
    if kind in (
        "subexpression",
        "index_expression",
        "projection",
        "value_projection",
        "filter_projection",
        "pipe",
        "flatten",
    ):
        found = root_fields(children[0], at_root) if children else set()
        for child in children[1:]:
            found |= root_fields(child, False)
        return found
    found = set()
    for child in children:
        found |= root_fields(child, at_root)
    return found


def _functions(node: Mapping[str, Any]) -> set[str]:
    """Names of the functions an expression calls."""
    found = {node["value"]} if node["type"] == "function_expression" else set()
    for child in node.get("children", []):
        found |= _functions(child)
    return found


def _compile(expression: str, where: str) -> ParsedResult:
    try:
        compiled = jmespath.compile(expression)
    except JMESPathError as exc:
        raise RuleError(f"{where}: invalid JMESPath {expression!r}: {exc}") from exc
    unknown = _functions(compiled.parsed) - FUNCTIONS
    if unknown:
        raise RuleError(f"{where}: {expression!r} calls unknown function(s) {sorted(unknown)}")
    return compiled


def build_rule(spec: RuleSpec, origin: str, overrides: Mapping[str, Any] | None = None) -> Rule:
    unknown = set(overrides or {}) - set(spec.params)
    where = f"{origin}: rule {spec.id}"
    if unknown:
        raise RuleError(
            f"{where}: unknown parameter(s) {sorted(unknown)}; it has {sorted(spec.params)}"
        )
    params = {**spec.params, **(overrides or {})}
    check = _substitute(spec.check, params, True, where)
    applies = _substitute(spec.applies, params, True, where) if spec.applies else None
    compiled_check = _compile(check, where)
    compiled_applies = _compile(applies, where) if applies else None
    fields = root_fields(compiled_check.parsed)
    if compiled_applies is not None:
        fields |= root_fields(compiled_applies.parsed)
    texts = [_template(t, params, where) for t in (spec.pass_, spec.fail, spec.not_applicable)]
    for text in texts:
        for expression in TEMPLATE.findall(text):
            fields |= root_fields(_compile(expression, where).parsed)
    return Rule(
        id=spec.id,
        kind=spec.kind,
        title=_substitute(spec.title, params, False, where),
        controls=tuple(spec.controls),
        severity=spec.severity,
        check=check,
        applies=applies,
        pass_reason=texts[0],
        fail_reason=texts[1],
        not_applicable_reason=texts[2],
        params=params,
        freshness_hours=spec.freshness_hours,
        description=spec.description,
        origin=origin,
        fields=frozenset(fields),
        check_expr=compiled_check,
        applies_expr=compiled_applies,
    )


def parse_rules_file(text: str, origin: str) -> list[RuleSpec]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{origin}: not valid TOML: {exc}") from exc
    extra = set(data) - {"rule"}
    if extra:
        raise RuleError(f"{origin}: unknown top-level key(s) {sorted(extra)}; expected [[rule]]")
    specs = []
    for index, raw in enumerate(data.get("rule", [])):
        try:
            specs.append(RuleSpec.model_validate(raw))
        except ValidationError as exc:
            problem = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise RuleError(
                f"{origin}: rule #{index + 1} ({raw.get('id', '?')}): {problem}"
            ) from exc
    return specs


def builtin_rule_files() -> list[tuple[str, str]]:
    """(origin, text) of every rules file shipped with annexa, in a stable order."""
    root = files("annexa.mappings").joinpath("rulesets")
    found: list[tuple[str, str]] = []

    def walk(node: Any, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            elif child.name.endswith(".toml"):
                found.append((f"rulesets/{prefix}{child.name}", child.read_text(encoding="utf-8")))

    walk(root, "")
    return found


def load_rules(
    extra_paths: Iterable[Path] = (),
    params: Mapping[str, Mapping[str, Any]] | None = None,
    disabled: Iterable[str] = (),
) -> list[Rule]:
    """Built-in rules plus any rule files or folders in ``extra_paths``, with overrides applied."""
    sources = builtin_rule_files()
    for path in extra_paths:
        candidates = sorted(path.rglob("*.toml")) if path.is_dir() else [path]
        if not candidates or not all(p.is_file() for p in candidates):
            raise RuleError(f"{path}: no rules file found there")
        sources += [(str(p), p.read_text(encoding="utf-8")) for p in candidates]
    specs = [(origin, spec) for origin, text in sources for spec in parse_rules_file(text, origin)]
    seen: dict[str, str] = {}
    for origin, spec in specs:
        if spec.id in seen:
            raise RuleError(f"{origin}: rule {spec.id} is already defined in {seen[spec.id]}")
        seen[spec.id] = origin
    params = params or {}
    disabled = set(disabled)
    for rule_id in sorted((set(params) | disabled) - set(seen)):
        raise RuleError(f"rules: no rule with id {rule_id!r} to override")
    return [
        build_rule(spec, origin, params.get(spec.id))
        for origin, spec in specs
        if spec.id not in disabled
    ]


def ruleset_digest(rules: Iterable[Rule]) -> str:
    """SHA-256 over the effective rule definitions: which rules judged a run."""
    return sha256_hex(
        canonical_json(sorted((r.definition() for r in rules), key=lambda d: d["id"]))
    )
