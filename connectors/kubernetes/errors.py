"""Map Kubernetes client exceptions onto annexa's error taxonomy."""

from __future__ import annotations

import json

import urllib3.exceptions
from kubernetes.client.exceptions import ApiException, ApiValueError
from kubernetes.config.config_exception import ConfigException

from annexa.connectors.errors import (
    ConfigurationError,
    ConnectorError,
    NotApplicable,
    PermissionDenied,
    TransientError,
)


def status_message(exc: ApiException) -> str:
    """The ``message`` of the API server's Status body, or the HTTP reason."""
    try:
        body = json.loads(exc.body or "")
    except (TypeError, ValueError):
        body = None
    if isinstance(body, dict) and body.get("message"):
        return " ".join(str(body["message"]).split())[:300]
    return str(exc.reason or f"HTTP {exc.status}")


def translate(exc: BaseException) -> ConnectorError | None:
    """The taxonomy error for a Kubernetes client exception, or ``None`` for anything else.

    A 404 on a listing means the API server does not serve that resource type (an API group or
    CRD that is not installed): not applicable, and recorded as such. A 410 is an expired
    pagination token that outlasted a restart of the listing.
    """
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, ApiException):
        status = int(exc.status or 0)
        message = status_message(exc)
        code = str(status)
        if status in (401, 403):
            return PermissionDenied(message, code=code)
        if status == 404:
            return NotApplicable(f"not served by this API server: {message}", code=code)
        if status == 429 or status >= 500:
            return TransientError(f"HTTP {status} after retries: {message}", code=code)
        if status == 410:
            return TransientError(f"pagination token expired: {message}", code=code)
        return ConnectorError(f"unexpected API error: {message}", code=code)
    if isinstance(exc, ConfigException):
        return ConfigurationError(f"kubeconfig: {exc}", code="ConfigException")
    if isinstance(exc, urllib3.exceptions.SSLError):
        return ConfigurationError(f"TLS: {exc}", code="SSLError")
    if isinstance(exc, urllib3.exceptions.HTTPError):
        return TransientError(f"network: {exc}", code=type(exc).__name__)
    if isinstance(exc, ApiValueError | ValueError) and "Invalid value for" in str(exc):
        # the client validates responses: a malformed object is the server's fault, not ours
        return ConnectorError(f"malformed API response: {exc}", code="MalformedResponse")
    return None
