"""Daemon logging: JSON lines and text, extras, exceptions, redaction, idempotence."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from annexa.collector.logs import configure_logging
from annexa.connectors.redact import Redactor

SECRET_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY"  # 40 characters, as AWS issues them
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


@pytest.fixture(autouse=True)
def restore_root() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_json_lines_with_extras() -> None:
    stream = io.StringIO()
    configure_logging("json", "INFO", stream)
    log = logging.getLogger("annexa.test")
    log.info(
        "run %s finished",
        "r-1",
        extra={"run_id": "r-1", "schedule": "nightly", "event": "run_finished", "units": 12},
    )
    log.debug("not shown at INFO")
    (record,) = lines(stream)
    assert RFC3339.match(str(record.pop("time")))
    assert record == {
        "level": "info",
        "logger": "annexa.test",
        "message": "run r-1 finished",
        "run_id": "r-1",
        "schedule": "nightly",
        "event": "run_finished",
        "units": 12,
    }


def test_odd_extras_never_crash() -> None:
    class Opaque:
        def __str__(self) -> str:
            return "opaque-thing"

    class Broken:
        def __str__(self) -> str:
            raise RuntimeError("no")

    stream = io.StringIO()
    handler = configure_logging("json", stream=stream)
    logging.getLogger("annexa.test").warning(
        "odd",
        extra={
            "target": Opaque(),
            "when": datetime(2026, 3, 1, 2, tzinfo=UTC),
            "path": Path("/tmp/x"),
            "ratio": float("nan"),
            "nested": {"kinds": ("a", "b"), 3: {Opaque()}},
            "broken": Broken(),
            "time": "collides with a field",
        },
    )
    bad_args = logging.makeLogRecord({"msg": "bad args %d", "args": ("not a number",)})
    second = json.loads(handler.format(bad_args))
    (first,) = lines(stream)
    assert first["target"] == "opaque-thing"
    assert first["when"] == "2026-03-01T02:00:00Z"
    assert first["path"] == "/tmp/x"
    assert first["ratio"] == "nan"
    assert first["nested"] == {"kinds": ["a", "b"], "3": ["opaque-thing"]}
    assert first["broken"] == "<unprintable Broken: RuntimeError>"
    assert first["time_"] == "collides with a field"
    assert RFC3339.match(str(first["time"]))
    assert second["message"] == "bad args %d ['not a number']"


def test_exceptions_are_redacted() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream)
    try:
        raise PermissionError(f"signature mismatch for secret {SECRET_KEY} (AKIAIOSFODNN7EXAMPLE)")
    except PermissionError:
        logging.getLogger("annexa.test").exception(
            "unit failed: key %s",
            SECRET_KEY,
            extra={"unit": "acme/aws.s3/global", "db_password": "hunter2", "url": "pg://u:pw@h/d"},
        )
    raw = stream.getvalue()
    assert SECRET_KEY not in raw
    assert "AKIAIOSFODNN7EXAMPLE" not in raw
    assert "hunter2" not in raw
    (record,) = lines(stream)
    assert record["message"] == "unit failed: key [REDACTED:aws-secret-access-key]"
    assert record["error"] == (
        "PermissionError: signature mismatch for secret [REDACTED:aws-secret-access-key] "
        "([REDACTED:aws-access-key-id])"
    )
    trace = str(record["traceback"])
    assert trace.startswith("Traceback (most recent call last):")
    assert "[REDACTED:aws-secret-access-key]" in trace
    assert record["unit"] == "acme/aws.s3/global"
    assert record["db_password"] == "[REDACTED:secret-key-name]"
    assert record["url"] == "pg://u:[REDACTED:url-password]@h/d"


def test_custom_redaction_patterns() -> None:
    stream = io.StringIO()
    configure_logging("json", stream=stream, redactor=Redactor([r"acme-internal-\d+"]))
    logging.getLogger("annexa.test").info("host acme-internal-42 is down")
    assert lines(stream)[0]["message"] == "host [REDACTED:custom] is down"


def test_text_format() -> None:
    stream = io.StringIO()
    configure_logging("text", "DEBUG", stream)
    log = logging.getLogger("annexa.daemon")
    log.debug("tick", extra={"schedule": "nightly", "reason": "two words", "units": 3})
    try:
        raise ValueError(f"bad {SECRET_KEY}")
    except ValueError:
        log.error("failed", exc_info=True, extra={"run_id": "r-2"})
    first, second, *trace = stream.getvalue().splitlines()
    assert re.fullmatch(
        r"\S+Z DEBUG   annexa\.daemon: tick schedule=nightly reason=\"two words\" units=3", first
    )
    assert second.endswith(
        'ERROR   annexa.daemon: failed run_id=r-2 error="ValueError: bad '
        '[REDACTED:aws-secret-access-key]"'
    )
    assert trace[0] == "Traceback (most recent call last):"
    assert trace[-1] == "ValueError: bad [REDACTED:aws-secret-access-key]"
    assert SECRET_KEY not in stream.getvalue()


def test_configuring_twice_replaces_the_handler() -> None:
    first, second = io.StringIO(), io.StringIO()
    root = logging.getLogger()
    before = len(root.handlers)
    configure_logging("text", stream=first)
    configure_logging("json", "WARNING", stream=second)
    assert len(root.handlers) == before + 1
    assert root.level == logging.WARNING
    logging.getLogger("annexa.test").warning("once")
    assert first.getvalue() == ""
    assert [r["message"] for r in lines(second)] == ["once"]


def test_bad_format_or_level_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="log format 'yaml' is not one of text, json"):
        configure_logging("yaml", stream=io.StringIO())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="log level 'LOUD' is not one of DEBUG"):
        configure_logging("json", "LOUD", io.StringIO())
