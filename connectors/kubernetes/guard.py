"""The read-only guard at the Kubernetes client boundary, and request -> permission naming.

Every request annexa sends to an API server goes through :meth:`GuardedApiClient.call_api`. It
names the request as the RBAC permission that authorises it (``list pods``, ``get
clusterroles.rbac.authorization.k8s.io``, ``get /healthz``) and refuses it before it is sent
unless it is a ``GET`` that reads configuration: no writes, no watches, and none of the reads
that return secrets or workload data (Secrets, pod logs, exec/attach/port-forward, proxies,
service-account tokens). Refused requests raise :class:`MutationRefused`.

Requests that the server throttles (429) or fails (5xx), and connection errors, are retried
with exponential backoff, honouring ``Retry-After``; every attempt is counted.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import urllib3.exceptions
from kubernetes.client import ApiClient

from annexa.connectors.calls import count_request, note_operation
from annexa.connectors.errors import MutationRefused

# Resources (and subresources) whose reads return secrets or workload data, never configuration.
REFUSED_RESOURCES = frozenset(
    {
        "secrets",
        "pods/log",
        "pods/exec",
        "pods/attach",
        "pods/portforward",
        "pods/proxy",
        "services/proxy",
        "nodes/proxy",
        "serviceaccounts/token",
    }
)

RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_BACKOFF = 20.0


@dataclass(frozen=True)
class Request:
    """One API request, named as the RBAC permission that authorises it."""

    verb: str  # get, list, watch (resource requests) or the HTTP method (non-resource URLs)
    resource: str = ""  # "pods", "clusterroles", "pods/log"; empty for non-resource URLs
    group: str = ""  # API group ("" is the core group)
    url: str = ""  # the non-resource URL ("/healthz", "/apis/*")

    @property
    def permission(self) -> str:
        """``list pods``, ``get clusterroles.rbac.authorization.k8s.io``, ``get /healthz``."""
        if self.url:
            return f"{self.verb} {self.url}"
        name, _, sub = self.resource.partition("/")
        qualified = f"{name}.{self.group}" if self.group else name
        return f"{self.verb} {qualified}{'/' + sub if sub else ''}"


def classify(method: str, path: str, query: str = "") -> Request:
    """Name a request ``method path?query`` the way the API server's authorizer sees it."""
    parts = [p for p in path.split("/") if p]
    verb = method.lower()
    if parts[:1] == ["api"] and len(parts) >= 2:
        group, rest = "", parts[2:]
    elif parts[:1] == ["apis"] and len(parts) >= 3:
        group, rest = parts[1], parts[3:]
    else:
        return Request(verb, url="/" + "/".join(parts))
    if not rest:  # the discovery document of a group version
        return Request(verb, url="/" + "/".join(parts))
    if rest[0] == "namespaces" and len(rest) >= 3:
        rest = rest[2:]  # a namespaced request: /namespaces/{ns}/{resource}[/{name}[/{sub}]]
    resource = rest[0]
    if len(rest) == 1:
        watching = parse_qs(query).get("watch", [""])[0] in ("true", "1")
        verb = "watch" if watching else "list"
    elif len(rest) >= 3:
        resource = f"{resource}/{rest[2]}"
    return Request(verb, resource, group)


def check(method: str, path: str, query: str = "") -> Request:
    """The request's permission name, or :class:`MutationRefused` if annexa must not send it."""
    request = classify(method, path, query)
    name = request.resource.partition("/")[0]
    refused = (
        method.upper() != "GET"
        or request.verb == "watch"
        or (
            not request.group
            and (name in REFUSED_RESOURCES or request.resource in REFUSED_RESOURCES)
        )
        or request.resource.endswith("/proxy")
    )
    if refused:
        raise MutationRefused(
            f"read-only guard refused {method.upper()} {path}; annexa only reads configuration",
            operation=request.permission,
        )
    return request


def _retry_after(response: Any, attempt: int) -> float:
    header = response.headers.get("Retry-After") if response is not None else None
    try:
        delay = float(header) if header is not None else 0.0
    except ValueError:
        delay = 0.0
    backoff = min(MAX_BACKOFF, 0.2 * 2**attempt) * (0.5 + random.random() / 2)  # noqa: S311
    return float(min(MAX_BACKOFF, max(delay, backoff)))


class GuardedApiClient(ApiClient):
    """An :class:`ApiClient` that only sends reads, counts them, and retries transient failures."""

    def __init__(
        self, configuration: Any, *, max_attempts: int = 5, timeout: tuple[float, float] = (10, 60)
    ) -> None:
        super().__init__(configuration)
        self.max_attempts = max(1, max_attempts)
        self.timeout = timeout
        self._base_path = urlsplit(configuration.host).path.rstrip("/")

    def call_api(
        self,
        method: str,
        url: str,
        header_params: Any = None,
        body: Any = None,
        post_params: Any = None,
        _request_timeout: Any = None,
    ) -> Any:
        parts = urlsplit(url)
        path = parts.path[len(self._base_path) :] if parts.path.startswith(self._base_path) else ""
        request = check(method, path or parts.path, parts.query)
        note_operation(request.permission)
        attempt = 0
        while True:
            attempt += 1
            count_request()
            try:
                response = super().call_api(
                    method,
                    url,
                    header_params,
                    body,
                    post_params,
                    _request_timeout=_request_timeout or self.timeout,
                )
            except urllib3.exceptions.HTTPError as exc:
                if attempt >= self.max_attempts or isinstance(exc, urllib3.exceptions.SSLError):
                    raise
                time.sleep(_retry_after(None, attempt))
                continue
            if response.status not in RETRIED_STATUSES or attempt >= self.max_attempts:
                return response
            response.read()  # release the connection before sleeping
            time.sleep(_retry_after(response, attempt))
