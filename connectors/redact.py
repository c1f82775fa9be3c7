"""Redaction of secret-looking values before anything is stored, logged or exported.

Two detectors run over every string in an observation (values and mapping keys alike):

* **value patterns** recognise credentials by their shape wherever they appear: AWS access key
  ids and secret keys, private keys, JWTs, GitHub/Slack/Google/OpenAI/Anthropic/Stripe/Hugging
  Face tokens, passwords inside URLs and ``key=value`` connection strings, Azure storage keys;
* **key names**: a string stored under a key that names a secret (``password``, ``db_token``,
  ``client_secret``, ...) is replaced whatever it looks like. Key/value pair lists such as AWS
  tags (``{"Key": ..., "Value": ...}``) and Kubernetes env vars (``{"name": ..., "value": ...}``)
  are understood as pairs.

A redacted value becomes ``[REDACTED:<detector>]``: the evidence shows that a secret was there
and what kind it looked like, never the value, its length or a hash of it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from annexa.connectors.records import Observation


def marker(reason: str) -> str:
    return f"[REDACTED:{reason}]"


_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")

VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "private-key",
        re.compile(
            r"-----BEGIN[A-Z ]*PRIVATE KEY-----.*?(?:-----END[A-Z ]*PRIVATE KEY-----|\Z)", re.S
        ),
    ),
    ("aws-access-key-id", re.compile(r"\b(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z2-7]{16}\b")),
    ("jwt", re.compile(r"\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}")),
    ("github-token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_\w{40,})")),
    ("slack-token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    ("api-key", re.compile(r"\bsk-(?:proj-|ant-(?:api\d\d-)?|svcacct-)?[A-Za-z0-9_-]{20,}")),
    ("stripe-key", re.compile(r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{16,}")),
    ("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{30,}")),
    ("azure-storage-key", re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{86}==")),
)

# Secrets embedded in a larger string: keep the surrounding text, replace only the secret part.
_URL_PASSWORD = re.compile(r"([a-z][a-z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)(@)", re.I)
_KEY_EQUALS = re.compile(
    r"(?i)\b([\w-]*?(?:password|passwd|pwd|accountkey|sharedaccesskey|secret|token|api_?key|sig))"
    r"(\s*[=:]\s*)([^;&\s,\"']+)"
)

# A key names a secret if, lower-cased without punctuation, it ends with one of these words...
SECRET_KEY_SUFFIXES = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "secretkey",
    "token",
    "apikey",
    "privatekey",
    "accesskey",
    "credentials",
    "connectionstring",
)
# ...or is exactly one of these (too short to match as suffixes: "bypass", "sharedcredential").
SECRET_KEY_EXACT = ("pwd", "pass", "credential", "auth", "sig")
_PAIR_KEYS = (("Key", "Value"), ("key", "value"), ("name", "value"), ("Name", "Value"))
_HEX = re.compile(r"^[0-9a-fA-F]+$")


def _normalise(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def is_secret_key(key: str) -> bool:
    """Whether a mapping key names a secret (``DB_PASSWORD``, ``clientSecret``, ``api-token``)."""
    norm = _normalise(key)
    return norm in SECRET_KEY_EXACT or norm.endswith(SECRET_KEY_SUFFIXES)


def _looks_like_aws_secret(candidate: str) -> bool:
    return (
        not _HEX.match(candidate)
        and any(c.isupper() for c in candidate)
        and any(c.islower() for c in candidate)
        and any(c.isdigit() for c in candidate)
    )


class Redactor:
    """Applies the detectors; ``extra_patterns`` come from the ``[redaction]`` config table."""

    def __init__(self, extra_patterns: Iterable[str] = ()) -> None:
        self.patterns = VALUE_PATTERNS + tuple(
            ("custom", re.compile(pattern)) for pattern in extra_patterns
        )

    def text(self, value: str) -> str:
        """Redact secret-shaped substrings of a free-text value."""
        for name, pattern in self.patterns:
            value = pattern.sub(marker(name), value)
        value = _URL_PASSWORD.sub(lambda m: m.group(1) + marker("url-password") + m.group(3), value)
        value = _KEY_EQUALS.sub(
            lambda m: m.group(1) + m.group(2) + marker(m.group(1).lower()), value
        )
        return _AWS_SECRET.sub(
            lambda m: (
                marker("aws-secret-access-key")
                if _looks_like_aws_secret(m.group(0))
                else m.group(0)
            ),
            value,
        )

    def value(self, value: Any, key: str | None = None) -> Any:
        """Redact a JSON-able value; ``key`` is the mapping key it was stored under, if any."""
        if isinstance(value, str):
            if (
                key is not None
                and is_secret_key(key)
                and value
                and not value.startswith("[REDACTED")
            ):
                return marker("secret-key-name")
            return self.text(value)
        if isinstance(value, Mapping):
            pair = _as_pair(value)
            if pair is not None:
                pair_key, pair_value = pair
                return {
                    pair_key: self.text(value[pair_key]),
                    pair_value: self.value(value[pair_value], key=value[pair_key]),
                }
            return {self.text(str(k)): self.value(v, key=str(k)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.value(item, key=key) for item in value]
        return value

    def observation(self, obs: Observation) -> Observation:
        """A copy of ``obs`` with every secret-looking value redacted."""
        attributes = self.value(dict(obs.attributes))
        gaps = {name: self.text(reason) for name, reason in obs.gaps.items()}
        resource_id = self.text(obs.resource_id)
        if attributes == obs.attributes and gaps == obs.gaps and resource_id == obs.resource_id:
            return obs
        return replace(obs, attributes=attributes, gaps=gaps, resource_id=resource_id)


def _as_pair(value: Mapping[str, Any]) -> tuple[str, str] | None:
    if len(value) != 2:
        return None
    for key_field, value_field in _PAIR_KEYS:
        if key_field in value and value_field in value and isinstance(value[key_field], str):
            return key_field, value_field
    return None


DEFAULT = Redactor()
