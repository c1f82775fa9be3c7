"""Pure helpers shared by the AWS resource modules: time, tags, paging and policy analysis."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from annexa.connectors.aws.errors import error_code
from annexa.connectors.records import utc_iso

# Condition keys that confine a "Principal": "*" statement to known callers.
RESTRICTING_CONDITION_KEYS = frozenset(
    key.lower()
    for key in (
        "aws:SourceArn",
        "aws:SourceAccount",
        "aws:SourceOwner",
        "aws:PrincipalOrgID",
        "aws:PrincipalOrgPaths",
        "aws:PrincipalAccount",
        "aws:PrincipalArn",
        "aws:SourceVpc",
        "aws:SourceVpce",
        "aws:SourceIp",
        "aws:userid",
        "aws:ResourceOrgID",
        "kms:CallerAccount",
    )
)


def iso(value: datetime | None) -> str | None:
    return utc_iso(value) if value is not None else None


def days_between(earlier: datetime, later: datetime) -> int:
    return max(0, (later.astimezone(UTC) - earlier.astimezone(UTC)).days)


def has_code(exc: BaseException, *codes: str) -> bool:
    return isinstance(exc, ClientError) and error_code(exc) in codes


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[Any]:
    """Yield the items under ``key`` from every page of ``operation``."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**kwargs):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**kwargs).get(key, [])


def tags_dict(tags: Iterable[Mapping[str, Any]] | None) -> dict[str, str]:
    """``[{"Key": k, "Value": v}]`` (any capitalisation) to ``{k: v}``."""
    result: dict[str, str] = {}
    for tag in tags or ():
        key = tag.get("Key", tag.get("TagKey", tag.get("key")))
        value = tag.get("Value", tag.get("TagValue", tag.get("value", "")))
        if key is not None:
            result[str(key)] = str(value)
    return result


def policy_document(raw: str | Mapping[str, Any] | None) -> dict[str, Any]:
    """Parse a policy that boto3 hands back either as a JSON string or as a dict."""
    if raw is None:
        return {}
    if isinstance(raw, Mapping):
        return dict(raw)
    return dict(json.loads(raw))


def statements(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    found = document.get("Statement", [])
    return [dict(s) for s in (found if isinstance(found, list) else [found])]


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _principal_is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, Mapping):
        return any(p == "*" for p in _as_list(principal.get("AWS")))
    return False


def _condition_keys(statement: Mapping[str, Any]) -> set[str]:
    keys: set[str] = set()
    for operator_block in (statement.get("Condition") or {}).values():
        if isinstance(operator_block, Mapping):
            keys.update(str(k).lower() for k in operator_block)
    return keys


def public_statements(document: Mapping[str, Any]) -> list[str]:
    """Sids (or indexes) of Allow statements open to everyone without a restricting condition."""
    found = []
    for index, statement in enumerate(statements(document)):
        if statement.get("Effect") != "Allow" or not _principal_is_everyone(
            statement.get("Principal")
        ):
            continue
        if _condition_keys(statement) & RESTRICTING_CONDITION_KEYS:
            continue
        found.append(str(statement.get("Sid") or f"#{index}"))
    return found


def denies_insecure_transport(document: Mapping[str, Any]) -> bool:
    """Whether a Deny statement refuses requests made without TLS (aws:SecureTransport false)."""
    for statement in statements(document):
        if statement.get("Effect") != "Deny":
            continue
        for operator, block in (statement.get("Condition") or {}).items():
            if not operator.lower().startswith("bool") or not isinstance(block, Mapping):
                continue
            for key, value in block.items():
                values = {str(v).lower() for v in _as_list(value)}
                if key.lower() == "aws:securetransport" and "false" in values:
                    return True
    return False


def grants_full_admin(document: Mapping[str, Any]) -> bool:
    """Whether a policy allows every action on every resource (``"Action": "*"``)."""
    for statement in statements(document):
        if statement.get("Effect") != "Allow" or "NotAction" in statement:
            continue
        actions = _as_list(statement.get("Action"))
        resources = _as_list(statement.get("Resource"))
        if any(a in ("*", "*:*") for a in actions) and "*" in resources:
            return True
    return False
