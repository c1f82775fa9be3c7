"""Redaction: secrets never survive into evidence, whatever shape they come in."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from annexa.connectors.records import Observation, Scope
from annexa.connectors.redact import DEFAULT, Redactor, is_secret_key

SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("key AKIAIOSFODNN7EXAMPLE in a note", "AKIAIOSFODNN7EXAMPLE"),
        (f"aws_secret={SECRET_ACCESS_KEY}", SECRET_ACCESS_KEY),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", "MIIEow"),
        ("postgresql://app:hunter2@db.internal:5432/prod", "hunter2"),
        ("Server=db;User Id=sa;Password=Sup3rS3cret;", "Sup3rS3cret"),
        (
            "DefaultEndpointsProtocol=https;AccountName=x;AccountKey=abc123def456==;",
            "abc123def456==",
        ),
        ("token ghp_" + "a1B2c3D4e5" * 4, "ghp_" + "a1B2c3D4e5" * 4),
        ("xoxb-1234567890-abcdefghij", "xoxb-1234567890-abcdefghij"),
        ("AIza" + "Sy" + "A" * 33, "AIza" + "Sy" + "A" * 33),
        ("sk-proj-" + "Ab3" * 10, "sk-proj-" + "Ab3" * 10),
        ("sk-ant-api03-" + "Zz9" * 10, "sk-ant-api03-" + "Zz9" * 10),
        ("hf_" + "abcdEFGH" * 5, "hf_" + "abcdEFGH" * 5),
        (
            "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
            "dozjgNryP4J3",
        ),
        ("https://acct.blob.core.windows.net/c?sv=2022&sig=AbCdEf123%2B%3D", "AbCdEf123"),
    ],
)
def test_value_patterns(value: str, secret: str) -> None:
    redacted = DEFAULT.text(value)
    assert secret not in redacted
    assert "[REDACTED:" in redacted


@pytest.mark.parametrize(
    "harmless",
    [
        "arn:aws:iam::123456789012:role/deploy",
        "d41d8cd98f00b204e9800998ecf8427e",  # md5 hex
        "da39a3ee5e6b4b0d3255bfef95601890afd80709",  # sha1 hex, 40 chars
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "AKIA…MPLE",
        "eu-west-1",
        "2026-11-23T01:02:03.000000Z",
    ],
)
def test_harmless_values_survive(harmless: str) -> None:
    assert DEFAULT.text(harmless) == harmless


@pytest.mark.parametrize(
    "key",
    [
        "password",
        "DB_PASSWORD",
        "clientSecret",
        "api-token",
        "apiKey",
        "private_key",
        "pwd",
        "connectionString",
    ],
)
def test_secret_key_names(key: str) -> None:
    assert is_secret_key(key)


@pytest.mark.parametrize(
    "key",
    [
        "password_last_used",
        "password_enabled",
        "bypass",
        "token_count_limit",
        "secrets_encryption",
        "kms_key_id",
    ],
)
def test_ordinary_key_names(key: str) -> None:
    assert not is_secret_key(key)


def test_structures_tags_and_env_pairs() -> None:
    value = {
        "tags": {"db_password": "hunter2", "owner": "team"},
        "aws_tags": [
            {"Key": "api_token", "Value": "plain-looking"},
            {"Key": "env", "Value": "prod"},
        ],
        "env": [
            {"name": "DATABASE_PASSWORD", "value": "letmein"},
            {"name": "LOG_LEVEL", "value": "debug"},
        ],
        "password_enabled": True,
        "nested": [{"client_secret": "abc"}],
    }
    redacted = DEFAULT.value(value)
    flat = str(redacted)
    for secret in ("hunter2", "plain-looking", "letmein", "'abc'"):
        assert secret not in flat
    assert redacted["tags"]["owner"] == "team"
    assert redacted["aws_tags"][1] == {"Key": "env", "Value": "prod"}
    assert redacted["aws_tags"][0]["Key"] == "api_token"
    assert redacted["env"][1]["value"] == "debug"
    assert redacted["password_enabled"] is True


def test_observation_redaction_covers_attributes_gaps_and_ids() -> None:
    obs = Observation(
        "aws.s3.bucket",
        "arn:aws:s3:::bucket",
        Scope("aws", "1"),
        {"tags": {"note": "AKIAIOSFODNN7EXAMPLE"}},
        datetime.now(UTC),
        gaps={"policy": "error mentioning password=hunter2"},
    )
    clean = DEFAULT.observation(obs)
    assert "AKIAIOSFODNN7EXAMPLE" not in str(clean.attributes) and "hunter2" not in str(clean.gaps)
    unchanged = Observation(
        "aws.s3.bucket", "arn:aws:s3:::b", Scope("aws", "1"), {"a": 1}, datetime.now(UTC)
    )
    assert DEFAULT.observation(unchanged) is unchanged


def test_custom_patterns() -> None:
    assert "ACME-" not in Redactor([r"ACME-[0-9]{6}"]).text("ticket ACME-123456")
