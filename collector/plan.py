"""Planning: targets x connectors x scopes -> an ordered list of work units."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from annexa.collector.config import Config, ConfigError
from annexa.connectors.base import Connector
from annexa.connectors.errors import ConnectorError
from annexa.connectors.provider import Provider, TargetConfig
from annexa.connectors.registry import EntryPointRegistry, PluginError


@dataclass(frozen=True)
class WorkUnit:
    """One (target, connector, scope) to collect.

    A unit that could not even be planned — its plugin is broken, or discovering the accounts of
    an organization failed — carries that ``failure``; the runner records it as the unit's status,
    so it is reported as an evidence gap like any other failure.
    """

    seq: int
    target: TargetConfig
    provider: Provider
    connector_name: str
    connector: type[Connector] | None
    scope: str
    failure: BaseException | None = None

    @property
    def key(self) -> str:
        return f"{self.target.name}/{self.connector_name}/{self.scope}"

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(k.name for k in self.connector.kinds) if self.connector else ()


@dataclass(frozen=True)
class Plan:
    units: tuple[WorkUnit, ...]

    def __len__(self) -> int:
        return len(self.units)


def _provider_connectors(registry: EntryPointRegistry[Connector], provider: str) -> list[str]:
    return [name for name in registry.names() if name.startswith(f"{provider}.")]


def make_plan(
    config: Config,
    providers: EntryPointRegistry[Any],
    connectors: EntryPointRegistry[Connector],
    *,
    only_targets: Sequence[str] = (),
    only_connectors: Sequence[str] = (),
) -> Plan:
    """Every unit of the run, in a stable order (targets, accounts, connectors, scopes).

    Targets that stand for many accounts (an AWS organization) are expanded here, through their
    provider; a failed expansion becomes a unit of its own that records the failure.
    """
    problems = []
    unknown_targets = set(only_targets) - {t.name for t in config.targets}
    if unknown_targets:
        problems.append(f"--target: no target named {', '.join(sorted(unknown_targets))}")
    unknown = set(only_connectors) - set(connectors.names())
    if unknown:
        problems.append(f"--connector: no connector named {', '.join(sorted(unknown))}")
    selected = []
    for index, target in enumerate(config.targets):
        if only_targets and target.name not in only_targets:
            continue
        names, target_problems = _select(
            index, target, _provider_connectors(connectors, target.provider)
        )
        problems += target_problems
        selected.append((target, [n for n in names if not only_connectors or n in only_connectors]))
    if problems:
        raise ConfigError(str(config.source or "<config>"), problems)
    units: list[WorkUnit] = []
    for target, names in selected:
        provider = providers.load(target.provider)()
        try:
            members = provider.expand(target, config.runtime)
        except Exception as exc:  # noqa: BLE001 (recorded as the discovery unit's status)
            units.append(
                WorkUnit(len(units) + 1, target, provider, "discovery", None, "accounts", exc)
            )
            continue
        for member in members:
            for name in names:
                units += _units_for(len(units), member, provider, name, connectors)
    return Plan(tuple(units))


def _select(
    index: int, target: TargetConfig, available: Iterable[str]
) -> tuple[list[str], list[str]]:
    available = list(available)
    problems = []
    for key, names in (
        ("connectors", target.connectors or ()),
        ("exclude_connectors", target.exclude_connectors),
    ):
        for name in names:
            if name not in available:
                problems.append(
                    f"targets[{index}].{key}: no {target.provider} connector named {name!r} "
                    f"(available: {', '.join(available)})"
                )
    chosen = list(target.connectors) if target.connectors is not None else available
    return [n for n in chosen if n not in target.exclude_connectors], problems


def _units_for(
    start: int,
    target: TargetConfig,
    provider: Provider,
    name: str,
    registry: EntryPointRegistry[Connector],
) -> list[WorkUnit]:
    try:
        connector = registry.load(name)
    except PluginError as exc:
        # A broken plugin is reported as a gap of its own; the other connectors still run.
        failure = ConnectorError(f"plugin failed to load: {exc}")
        return [WorkUnit(start + 1, target, provider, name, None, "plugin", failure)]
    return [
        WorkUnit(start + offset, target, provider, name, connector, scope)
        for offset, scope in enumerate(provider.scopes(target, connector), start=1)
    ]
