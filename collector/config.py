"""Configuration: one TOML file, validated with errors that name the key and the problem.

The file is found at ``--config``, else ``$ANNEXA_CONFIG``, else ``./annexa.toml``. Each
``[[targets]]`` entry is validated by the provider it names (``provider = "aws"``), so provider
keys live with their connectors. Relative paths are relative to the config file. The store URL
can come from ``$ANNEXA_STORE_URL`` instead, which keeps database passwords out of the file.
"""

from __future__ import annotations

import difflib
import os
import re
import tomllib
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from annexa.connectors.provider import RuntimeSettings, TargetConfig
from annexa.connectors.records import canonical_json, sha256_hex
from annexa.connectors.registry import EntryPointRegistry, PluginError, provider_registry
from annexa.store.database import redact_url

DEFAULT_PATH = Path("annexa.toml")
ENV_CONFIG = "ANNEXA_CONFIG"
ENV_STORE_URL = "ANNEXA_STORE_URL"


class ConfigError(Exception):
    """The configuration is unusable. ``problems`` lists each problem as 'key: what is wrong'."""

    def __init__(self, source: str, problems: Sequence[str]) -> None:
        self.source = source
        self.problems = list(problems)
        super().__init__("\n".join(f"{source}: {problem}" for problem in self.problems))


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StoreSection(Section):
    url: str = Field(default="sqlite:///annexa.db", description="SQLAlchemy URL of the store")

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, url: str) -> str:
        if not re.match(r"^(sqlite|postgresql(\+psycopg)?|postgres)://", url):
            raise ValueError("must start with sqlite://, postgresql:// or postgresql+psycopg://")
        return url


class SigningSection(Section):
    key_path: Path = Field(default=Path("annexa-signing.key"), description="Ed25519 key (PEM)")
    trusted_public_keys: tuple[Path, ...] = Field(
        default=(), description="older public keys (PEM) whose signatures still verify"
    )


class CollectorSection(Section):
    max_workers: int = Field(default=8, ge=1, le=256)
    max_attempts: int = Field(default=5, ge=1, le=20)
    connect_timeout: float = Field(default=10.0, gt=0, le=300)
    read_timeout: float = Field(default=60.0, gt=0, le=900)


class RulesSection(Section):
    paths: tuple[Path, ...] = Field(default=(), description="extra rule files or folders")
    disabled: dict[str, str] = Field(default_factory=dict, description="rule id -> justification")
    params: dict[str, dict[str, Any]] = Field(default_factory=dict)

    @field_validator("disabled")
    @classmethod
    def _justified(cls, disabled: dict[str, str]) -> dict[str, str]:
        for rule_id, why in disabled.items():
            if not why.strip():
                raise ValueError(f"disabling {rule_id!r} needs a justification")
        return disabled


class RedactionSection(Section):
    patterns: tuple[str, ...] = Field(default=(), description="extra regexes of secret values")

    @field_validator("patterns")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from exc
        return patterns


class SoaSection(Section):
    excluded: dict[str, str] = Field(
        default_factory=dict, description="control id -> justification for excluding it"
    )

    @field_validator("excluded")
    @classmethod
    def _known_and_justified(cls, excluded: dict[str, str]) -> dict[str, str]:
        from annexa.mappings.catalogue import load_catalogue

        catalogue = load_catalogue()
        for control, why in excluded.items():
            if control not in catalogue:
                raise ValueError(f"{control!r} is not an Annex A control (like 'A.7.4')")
            if not why.strip():
                raise ValueError(f"excluding {control} needs a justification")
        return excluded


class ScheduleSpec(Section):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$", description="schedule name")
    cron: str = Field(
        description="cron expression: minute hour day month day-of-week (a sixth, leading "
        "field is seconds)"
    )
    timezone: str = Field(default="UTC", description="IANA time zone the cron is read in")
    targets: tuple[str, ...] = Field(default=(), description="targets to collect (default: all)")

    @field_validator("timezone")
    @classmethod
    def _zone(cls, zone: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"{zone!r} is not an IANA time zone (like 'Europe/Berlin')") from exc
        return zone

    @field_validator("cron")
    @classmethod
    def _cron(cls, cron: str) -> str:
        from annexa.collector.daemon.jobs import cron_trigger

        try:
            cron_trigger(cron)
        except ValueError as exc:
            raise ValueError(f"{cron!r} is not a cron expression: {exc}") from exc
        return cron


class DaemonSection(Section):
    schedules: tuple[ScheduleSpec, ...] = Field(default=(), description="when to collect what")
    run_at_start: bool = Field(default=False, description="collect every schedule at start")
    grace_seconds: float = Field(
        default=300.0, ge=0, le=86_400, description="on SIGTERM, how long running units may finish"
    )
    misfire_grace_seconds: int = Field(
        default=3600, ge=1, description="how late a missed run may still start"
    )
    http_address: str = Field(default="0.0.0.0", description="health and metrics address")  # noqa: S104
    http_port: int = Field(default=9464, ge=0, le=65535, description="0: no HTTP endpoints")
    log_format: Literal["text", "json"] = Field(default="text", description="log line format")

    @field_validator("schedules")
    @classmethod
    def _unique(cls, schedules: tuple[ScheduleSpec, ...]) -> tuple[ScheduleSpec, ...]:
        names = [s.name for s in schedules]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f"schedule {name!r} is defined twice")
        return schedules


class FileModel(Section):
    """The top level of the file; targets are validated separately, by their provider."""

    store: StoreSection = StoreSection()
    signing: SigningSection = SigningSection()
    collector: CollectorSection = CollectorSection()
    rules: RulesSection = RulesSection()
    redaction: RedactionSection = RedactionSection()
    soa: SoaSection = SoaSection()
    daemon: DaemonSection = DaemonSection()
    targets: list[dict[str, Any]] = Field(default_factory=list)


class Config:
    """A validated configuration."""

    def __init__(self, model: FileModel, targets: list[TargetConfig], source: Path | None) -> None:
        self.model = model
        self.targets = targets
        self.source = source
        base = source.parent if source else Path.cwd()
        self.store_url = os.environ.get(ENV_STORE_URL) or model.store.url
        self.key_path = _resolve(base, model.signing.key_path)
        self.trusted_public_keys = tuple(
            _resolve(base, p) for p in model.signing.trusted_public_keys
        )
        self.rule_paths = tuple(_resolve(base, p) for p in model.rules.paths)

    @property
    def runtime(self) -> RuntimeSettings:
        c = self.model.collector
        return RuntimeSettings(c.max_workers, c.max_attempts, c.connect_timeout, c.read_timeout)

    def digest(self) -> str:
        """SHA-256 of the effective configuration (store password masked)."""
        data = self.model.model_dump(mode="json", exclude={"targets"})
        data["store"]["url"] = redact_url(self.store_url)
        data["targets"] = [t.model_dump(mode="json") for t in self.targets]
        return sha256_hex(canonical_json(data))


def _resolve(base: Path, path: Path) -> Path:
    path = path.expanduser()
    return path if path.is_absolute() else base / path


def find_config_path(explicit: Path | None) -> Path:
    if explicit is not None:
        return explicit
    env = os.environ.get(ENV_CONFIG)
    return Path(env) if env else DEFAULT_PATH


def load_config(path: Path, providers: EntryPointRegistry[Any] | None = None) -> Config:
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            source,
            [f"config file not found (pass --config, set ${ENV_CONFIG}, or try `annexa demo`)"],
        ) from None
    except OSError as exc:
        raise ConfigError(source, [f"cannot read the config file: {exc.strerror}"]) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [f"not valid TOML: {exc}"]) from exc
    return parse_config(data, path, providers)


def parse_config(
    data: Mapping[str, Any], path: Path | None, providers: EntryPointRegistry[Any] | None = None
) -> Config:
    source = str(path) if path else "<config>"
    try:
        model = FileModel.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(source, describe_errors(exc, FileModel)) from None
    providers = providers or provider_registry()
    problems: list[str] = []
    targets: list[TargetConfig] = []
    for index, raw in enumerate(model.targets):
        where = f"targets[{index}]"
        name = raw.get("provider")
        if not isinstance(name, str):
            problems.append(
                f"{where}.provider: required key is missing (one of {', '.join(providers.names())})"
            )
            continue
        try:
            provider = providers.load(name)
        except PluginError as exc:
            problems.append(f"{where}.provider: {exc}")
            continue
        try:
            targets.append(provider.target_model.model_validate(raw))
        except ValidationError as exc:
            problems += describe_errors(exc, provider.target_model, prefix=where)
    seen: set[str] = set()
    for index, target in enumerate(targets):
        if target.name in seen:
            problems.append(f"targets[{index}].name: {target.name!r} is used by another target")
        seen.add(target.name)
    for index, schedule in enumerate(model.daemon.schedules):
        for name in schedule.targets:
            if name not in seen:
                problems.append(f"daemon.schedules[{index}].targets: no target named {name!r}")
    if problems:
        raise ConfigError(source, problems)
    return Config(model, targets, path)


def _location(loc: Sequence[Any]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _model_at(model: type[BaseModel], loc: Sequence[Any]) -> type[BaseModel] | None:
    """The model whose keys are valid at ``loc`` (to suggest a key for a misspelt one)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(part)
        if field is None:
            return None
        current = field.annotation
        for arg in (*typing.get_args(current), current):
            if isinstance(arg, type) and issubclass(arg, BaseModel):
                current = arg
                break
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def describe_errors(exc: ValidationError, model: type[BaseModel], prefix: str = "") -> list[str]:
    """Turn pydantic's errors into 'key: what is wrong' lines."""
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        key = _location(loc)
        key = f"{prefix}.{key}" if prefix and key else (prefix or key)
        kind = error["type"]
        if kind == "extra_forbidden":
            parent = _model_at(model, loc[:-1])
            known = sorted(parent.model_fields) if parent else []
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            hint = (
                f" (did you mean {close[0]!r}?)"
                if close
                else (f" (known keys: {', '.join(known)})" if known else "")
            )
            lines.append(f"{key}: unknown key{hint}")
        elif kind == "missing":
            lines.append(f"{key}: required key is missing")
        else:
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"{key}: {message} (got {error['input']!r})")
    return lines
