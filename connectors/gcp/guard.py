"""The read-only guard for Google clients, at their HTTP session.

Every Google client annexa creates sends its requests through a ``requests`` session; annexa
mounts :class:`GuardedAdapter` on it, which names each request (``GET v1/projects/*/keyRings``,
``POST v3/projects/*:getIamPolicy``), counts it, and refuses it before it is sent unless it is a
read: a ``GET``, or a ``POST`` to one of the few RPCs that only read (``getIamPolicy``,
``testIamPermissions``, searches). Reads that return data rather than configuration are refused
too: object downloads (``alt=media``) and secret versions (``:access``).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter

from annexa.connectors.calls import count_request, note_operation
from annexa.connectors.errors import MutationRefused

READ_VERBS = frozenset(
    {"getIamPolicy", "testIamPermissions", "search", "searchAllResources", "searchAllIamPolicies"}
)
REFUSED_VERBS = frozenset({"access", "accessSecretVersion", "generateAccessToken", "signBlob"})


VERSION = re.compile(r"^v\d+(alpha\d*|beta\d*)?$")
NO_ID = frozenset({"global", "aggregated"})  # compute path words not followed by an id


def operation(method: str, path: str) -> str:
    """``POST /v3/projects/p1:getIamPolicy`` -> ``POST v3/projects/*:getIamPolicy``: ids out,
    collections and custom verbs kept, so one operation names one kind of request."""
    parts = [p for p in path.split("/") if p]
    named: list[str] = []
    after_version, expect_id = False, False
    for part in parts:
        head, _, verb = part.partition(":")
        if not after_version:
            named.append(part)
            after_version = bool(VERSION.match(head))
        elif expect_id:
            named.append("*" + (f":{verb}" if verb else ""))
            expect_id = False
        else:
            named.append(part)
            expect_id = head not in NO_ID and not verb
    return f"{method.upper()} {'/'.join(named)}"


def check(method: str, url: str) -> str:
    """The request's operation name, or :class:`MutationRefused` if annexa must not send it."""
    parts = urlsplit(url)
    name = operation(method, parts.path)
    verb = parts.path.rsplit("/", 1)[-1].partition(":")[2]
    reads = method.upper() == "GET" or (method.upper() == "POST" and verb in READ_VERBS)
    media = "media" in parse_qs(parts.query).get("alt", [])
    if not reads or verb in REFUSED_VERBS or media:
        raise MutationRefused(f"read-only guard refused {name}; annexa only reads", operation=name)
    return name


class GuardedAdapter(HTTPAdapter):
    """Refuses non-reads before they are sent; counts and names the reads."""

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        name = check(request.method or "GET", request.url or "")
        note_operation(name)
        count_request()
        return super().send(request, *args, **kwargs)


def install(session: Any) -> None:
    """Mount the guard on a client's ``requests`` session, for http and https."""
    adapter = GuardedAdapter()
    session.mount("https://", adapter)
    session.mount("http://", adapter)
