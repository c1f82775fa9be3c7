"""The runner with fake connectors: interruption, broken plugins, contract violations, errors."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from annexa.collector.plan import Plan, WorkUnit
from annexa.collector.runner import Runner
from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.errors import ConnectorError, PermissionDenied
from annexa.connectors.provider import Provider, RuntimeSettings, TargetConfig
from annexa.connectors.records import Observation
from annexa.connectors.redact import Redactor
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import build_rule, parse_rules_file
from annexa.store import Signer, Store

KIND = Kind("fake.thing", "a thing", {"ok": "whether it is ok"})
RULES = '[[rule]]\nid = "fake.thing.ok"\nkind = "fake.thing"\ntitle = "ok"\ncontrols = ["A.8.9"]\ncheck = "ok"\npass = "ok"\nfail = "not ok"\n'


class Session:
    account = "acct"


class FakeProvider(Provider):
    name = "fake"
    target_model = TargetConfig

    def open_session(self, target: Any, settings: RuntimeSettings) -> Session:
        return Session()

    def scopes(self, target: Any, connector: type[Connector]) -> tuple[str, ...]:
        return ("r1",)

    def translate_error(self, exc: BaseException) -> ConnectorError | None:
        return PermissionDenied("denied by fake") if isinstance(exc, PermissionError) else None


def connector(name: str, body) -> type[Connector]:
    class Fake(Connector):
        provider = "fake"
        description = "fake"
        kinds = (KIND,)
        permissions = ("fake:Read",)

        def collect(self, ctx: UnitContext) -> Iterator[Observation]:
            yield from body(ctx)

    Fake.name = name
    return Fake


def thing(ctx: UnitContext, n: int, **attributes: Any) -> Observation:
    reads = ctx.reads("fake:Read")
    for key, value in (attributes or {"ok": n % 2 == 0}).items():
        reads.set(key, value)
    return ctx.observe("fake.thing", f"thing/{n}", reads)


def plan(*connectors: type[Connector] | tuple[str, str]) -> Plan:
    target = TargetConfig(name="t", provider="fake")
    units = []
    for seq, entry in enumerate(connectors, start=1):
        if isinstance(entry, tuple):
            units.append(
                WorkUnit(
                    seq,
                    target,
                    FakeProvider(),
                    entry[0],
                    None,
                    "plugin",
                    ConnectorError(f"plugin failed to load: {entry[1]}"),
                )
            )
        else:
            units.append(WorkUnit(seq, target, FakeProvider(), entry.name, entry, "r1"))
    return Plan(tuple(units))


@pytest.fixture
def store(tmp_path: Path) -> tuple[Store, Signer]:
    return Store.open(f"sqlite:///{tmp_path / 'e.db'}"), Signer.load_or_create(tmp_path / "k.key")


def runner(store: tuple[Store, Signer], **kwargs: Any) -> Runner:
    writer = store[0].begin_run(
        store[1],
        trigger="manual",
        agent_version="t",
        config_digest="c" * 64,
        ruleset_digest="r" * 64,
        catalogue_version="x",
    )
    engine = RuleEngine([build_rule(s, "inline") for s in parse_rules_file(RULES, "inline")])
    return Runner(writer, engine, Redactor(), RuntimeSettings(max_workers=2), **kwargs)


def test_statuses_for_every_kind_of_outcome(store) -> None:
    def many(ctx):
        for n in range(5):
            yield thing(ctx, n)

    def denied(ctx):
        yield thing(ctx, 1)
        raise PermissionError("nope")

    def crash(ctx):
        raise RuntimeError("bug in connector")
        yield

    def undeclared(ctx):
        yield thing(ctx, 1, ok=True, extra=1)

    def gap(ctx):
        reads = ctx.reads()
        reads.gaps["ok"] = "PermissionDenied: no"
        yield ctx.observe("fake.thing", "thing/gap", reads)

    result = runner(store).execute(
        plan(
            connector("fake.many", many),
            connector("fake.denied", denied),
            connector("fake.crash", crash),
            connector("fake.undeclared", undeclared),
            connector("fake.gap", gap),
            ("fake.broken", "ModuleNotFoundError: No module named 'x'"),
        )
    )
    units = {u.connector: u for u in store[0].units(result.closed.run_id)}
    assert units["fake.many"].status == "ok" and units["fake.many"].observations == 5
    assert units["fake.denied"].status == "denied" and units["fake.denied"].observations == 1
    assert (
        units["fake.crash"].status == "error" and "RuntimeError" in units["fake.crash"].error_class
    )
    assert (
        "bug in connector" in units["fake.crash"].error_message
        and "Traceback" in units["fake.crash"].error_message
    )
    assert (
        units["fake.undeclared"].status == "error"
        and "undeclared attribute" in units["fake.undeclared"].error_message
    )
    assert (
        units["fake.gap"].status == "partial"
        and "could not read fake.thing.ok" in units["fake.gap"].error_message
    )
    assert (
        units["fake.broken"].status == "error"
        and "plugin failed to load" in units["fake.broken"].error_message
    )
    findings = {f.resource_id: f.status for f in store[0].findings(result.closed.run_id)}
    assert findings["thing/gap"] == "error"
    assert result.gaps == 4 and result.closed.status == "complete"
    assert store[0].verify({store[1].key_id: store[1].public_key}).ok


@pytest.mark.parametrize("how", ["stop flag", "KeyboardInterrupt"])
def test_interrupt_marks_unfinished_units_and_signs_the_run(store, how: str) -> None:
    release = threading.Event()

    def slow(ctx):
        for n in range(100):
            release.wait(0.05)
            yield thing(ctx, n)

    def fast(ctx):
        yield thing(ctx, 0)

    calls = []
    stop = threading.Event()

    def on_unit(record, done, total):
        calls.append(record.unit_key)
        if len(calls) == 1:
            if how == "stop flag":
                stop.set()  # what the CLI's SIGINT/SIGTERM handler does
            else:
                raise KeyboardInterrupt

    connectors = [connector("fake.fast", fast)] + [
        connector(f"fake.slow{i}", slow) for i in range(4)
    ]
    start = time.monotonic()
    result = runner(store, on_unit=on_unit, stop=stop).execute(plan(*connectors))
    assert time.monotonic() - start < 10
    assert result.closed.status == "interrupted"
    units = store[0].units(result.closed.run_id)
    assert len(units) == 5
    statuses = {u.connector: u.status for u in units}
    assert statuses["fake.fast"] == "ok"
    assert all(statuses[f"fake.slow{i}"] == "interrupted" for i in range(4))
    assert store[0].verify({store[1].key_id: store[1].public_key}).ok


def test_secret_in_an_error_message_is_redacted(store) -> None:
    def leaky(ctx):
        raise RuntimeError("connect failed for postgresql://app:Sup3r-secret@db/prod")
        yield

    result = runner(store).execute(plan(connector("fake.leaky", leaky)))
    [unit] = store[0].units(result.closed.run_id)
    assert (
        "Sup3r-secret" not in unit.error_message and "[REDACTED:url-password]" in unit.error_message
    )
