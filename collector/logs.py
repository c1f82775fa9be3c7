"""Logging for the daemon and the CLI: JSON lines for log pipelines, or readable text.

:func:`configure_logging` installs one handler on the root logger. Fields passed with
``logger.info("...", extra={"run_id": ..., "unit": ...})`` appear as JSON keys or as
``key=value`` pairs. Every message, exception and string field goes through the redactor first,
so that a credential quoted in an error message never reaches the logs.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import traceback
from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Literal, TextIO

from annexa.connectors.redact import DEFAULT, Redactor

Format = Literal["text", "json"]
FORMATS = ("text", "json")
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# Attributes every LogRecord has; anything else on a record came in through ``extra``.
_STANDARD = frozenset(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}
_OWN = ("time", "level", "logger", "message", "error", "traceback", "stack")


def _rfc3339(created: float) -> str:
    moment = datetime.fromtimestamp(created, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _jsonable(value: Any, depth: int = 0) -> Any:
    """A JSON-able copy of ``value``: containers walked, anything unknown turned to ``str``."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if depth < 8 and isinstance(value, Mapping):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if depth < 8 and isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v, depth + 1) for v in value]
    try:
        return str(value)
    except Exception as exc:  # noqa: BLE001 (a broken __str__ must not break logging)
        return f"<unprintable {type(value).__name__}: {type(exc).__name__}>"


class _Formatter(logging.Formatter):
    """Builds the redacted fields of a record; subclasses render them."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redactor = redactor

    def fields(self, record: logging.LogRecord) -> dict[str, Any]:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 (bad %-arguments: keep the template and the arguments)
            message = f"{record.msg} {_jsonable(record.args)}"
        fields: dict[str, Any] = {
            "time": _rfc3339(record.created),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": self.redactor.text(str(message)),
        }
        for key, value in record.__dict__.items():
            if key in _STANDARD or key.startswith("_"):
                continue
            name = f"{key}_" if key in _OWN else key
            fields[name] = self.redactor.value(_jsonable(value), key=key)
        if record.exc_info and record.exc_info[1] is not None:
            error = record.exc_info[1]
            fields["error"] = self.redactor.text(f"{type(error).__name__}: {error}")
            trace = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            fields["traceback"] = self.redactor.text(trace)
        elif record.exc_text:
            fields["traceback"] = self.redactor.text(record.exc_text)
        if record.stack_info:
            fields["stack"] = self.redactor.text(record.stack_info)
        return fields


class JsonFormatter(_Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(self.fields(record), ensure_ascii=False, default=str)


class TextFormatter(_Formatter):
    """``time LEVEL logger: message key=value ...``, then a traceback if there is one."""

    def format(self, record: logging.LogRecord) -> str:
        fields = self.fields(record)
        trace = fields.pop("traceback", None)
        stack = fields.pop("stack", None)
        head = (
            f"{fields.pop('time')} {fields.pop('level').upper():<7} "
            f"{fields.pop('logger')}: {fields.pop('message')}"
        )
        pairs = [f"{key}={_text_value(value)}" for key, value in fields.items()]
        lines = [" ".join([head, *pairs])]
        lines += [text for text in (trace, stack) if text]
        return "\n".join(lines)


def _text_value(value: Any) -> str:
    if isinstance(value, str):
        plain = value and not any(c.isspace() or c in "\"'=" for c in value)
        return value if plain else json.dumps(value, ensure_ascii=False)
    return json.dumps(value, ensure_ascii=False, default=str)


class _AnnexaHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Marks the handler this module installed, so that configuring again replaces it."""


def configure_logging(
    fmt: Format,
    level: str = "INFO",
    stream: TextIO | None = None,
    *,
    redactor: Redactor | None = None,
) -> logging.Handler:
    """Send all logging to ``stream`` as ``fmt`` at ``level``; calling again replaces the setup.

    ``stream`` defaults to the current ``sys.stderr``. ``redactor`` defaults to the built-in
    detectors; pass one built from the config's ``[redaction]`` patterns to redact those too.
    Returns the installed handler.
    """
    if fmt not in FORMATS:
        raise ValueError(f"log format {fmt!r} is not one of {', '.join(FORMATS)}")
    if level.upper() not in LEVELS:
        raise ValueError(f"log level {level!r} is not one of {', '.join(LEVELS)}")
    redactor = redactor or DEFAULT
    handler = _AnnexaHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter(redactor) if fmt == "json" else TextFormatter(redactor))
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _AnnexaHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler
