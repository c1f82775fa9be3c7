"""One collection run, from a validated config to a signed run in the store."""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Sequence
from importlib.metadata import PackageNotFoundError, version

from annexa.collector.config import Config, ConfigError
from annexa.collector.plan import Plan, make_plan
from annexa.collector.runner import Runner, RunResult
from annexa.connectors.redact import Redactor
from annexa.connectors.registry import connector_registry, provider_registry
from annexa.mappings.catalogue import CATALOGUE_VERSION
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import RuleError, load_rules
from annexa.store import Signer, Store, UnitRecord
from annexa.store.locks import TargetLocks


class TargetsLocked(Exception):
    """Every target of the run is being collected by another run; nothing was started."""

    def __init__(self, holders: dict[str, str]) -> None:
        self.holders = holders
        busy = ", ".join(f"{t} (by {owner})" for t, owner in sorted(holders.items()))
        super().__init__(f"every target is being collected elsewhere: {busy}")


def agent_version() -> str:
    try:
        return version("annexa")
    except PackageNotFoundError:
        return "0+unknown"


def rule_engine(config: Config) -> RuleEngine:
    rules = config.model.rules
    try:
        return RuleEngine(load_rules(config.rule_paths, rules.params, rules.disabled))
    except RuleError as exc:
        raise ConfigError(str(config.source or "<config>"), [f"rules: {exc}"]) from exc


def plan_collection(
    config: Config, only_targets: Sequence[str] = (), only_connectors: Sequence[str] = ()
) -> Plan:
    plan = make_plan(
        config,
        provider_registry(),
        connector_registry(),
        only_targets=only_targets,
        only_connectors=only_connectors,
    )
    if not plan.units:
        raise ConfigError(
            str(config.source or "<config>"),
            [
                "targets: nothing to collect "
                "(add a [[targets]] table, or check --target/--connector)"
            ],
        )
    return plan


def collect(
    config: Config,
    *,
    trigger: str = "manual",
    only_targets: Sequence[str] = (),
    only_connectors: Sequence[str] = (),
    on_start: Callable[[Plan, str], None] | None = None,
    on_unit: Callable[[UnitRecord, int, int], None] | None = None,
    stop: threading.Event | None = None,
) -> RunResult:
    """Plan, run and sign one collection; raise ConfigError/StoreError before anything runs.

    Each configured target (an organization is one) is then locked in the store, a try-lock
    (see :mod:`annexa.store.locks`): targets that another run is collecting are left out and
    returned in ``RunResult.skipped_targets``; if that is every target, :class:`TargetsLocked`
    is raised and no run is created. The locks are released when the run ends. Planning comes
    first so that a bad config never touches the store; it is repeated for the targets left.
    """
    engine = rule_engine(config)
    plan = plan_collection(config, only_targets, only_connectors)
    signer = Signer.load_or_create(config.key_path)
    store = Store.open(config.store_url)
    locks = TargetLocks(store, lock_owner(trigger))
    try:
        acquired, skipped = locks.acquire(only_targets or [t.name for t in config.targets])
        if not acquired:
            raise TargetsLocked(skipped)
        if skipped:
            plan = plan_collection(config, sorted(acquired), only_connectors)
        writer = store.begin_run(
            signer,
            trigger=trigger,
            agent_version=agent_version(),
            config_digest=config.digest(),
            ruleset_digest=engine.digest,
            catalogue_version=CATALOGUE_VERSION,
        )
        if on_start:
            on_start(plan, writer.run_id)
        runner = Runner(
            writer,
            engine,
            Redactor(config.model.redaction.patterns),
            config.runtime,
            on_unit=on_unit,
            stop=stop,
        )
        result = runner.execute(plan)
        result.skipped_targets = skipped
        return result
    finally:
        locks.release()
        store.close()


def lock_owner(trigger: str) -> str:
    """Who holds a run's target locks, as other runs report it: host, process, trigger."""
    return f"{socket.gethostname()} pid {os.getpid()} ({trigger} {uuid.uuid4().hex[:6]})"
