"""Map Google client exceptions onto annexa's error taxonomy."""

from __future__ import annotations

import google.auth.exceptions
import requests
from google.api_core import exceptions as api

from annexa.connectors.errors import (
    ConfigurationError,
    ConnectorError,
    NotApplicable,
    PermissionDenied,
    TransientError,
)


def _message(exc: api.GoogleAPICallError) -> str:
    return " ".join(str(exc.message or exc).split())[:300]


def _disabled(exc: api.GoogleAPICallError) -> bool:
    """A 403 because the API is not enabled in the project: nothing of it can exist there."""
    reasons = {getattr(exc, "reason", None)} | {
        detail.get("reason") if isinstance(detail, dict) else getattr(detail, "reason", None)
        for detail in exc.details or []
    }
    text = str(exc.message or "")
    return "SERVICE_DISABLED" in reasons or "has not been used in project" in text


def translate(exc: BaseException) -> ConnectorError | None:
    """The taxonomy error for a Google client exception, or ``None`` for anything else."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, api.GoogleAPICallError):
        code = str(exc.code or "")
        if isinstance(exc, api.Forbidden | api.PermissionDenied) and _disabled(exc):
            return NotApplicable(f"API not enabled: {_message(exc)}", code=code)
        if isinstance(exc, api.Forbidden | api.PermissionDenied | api.Unauthorized):
            return PermissionDenied(_message(exc), code=code)
        if isinstance(exc, api.NotFound):
            return NotApplicable(f"not found: {_message(exc)}", code=code)
        if isinstance(exc, api.TooManyRequests | api.ServerError | api.ServiceUnavailable):
            return TransientError(f"after the client's retries: {_message(exc)}", code=code)
        return ConnectorError(f"unexpected API error: {_message(exc)}", code=code)
    if isinstance(exc, api.RetryError):
        return TransientError(f"retries exhausted: {exc}", code="RetryError")
    if isinstance(exc, google.auth.exceptions.DefaultCredentialsError):
        return ConfigurationError(f"credentials: {exc}", code="DefaultCredentialsError")
    if isinstance(exc, google.auth.exceptions.RefreshError):
        return PermissionDenied(f"credentials refused: {exc}", code="RefreshError")
    if isinstance(exc, google.auth.exceptions.TransportError | requests.ConnectionError):
        return TransientError(f"network: {exc}", code=type(exc).__name__)
    return None
