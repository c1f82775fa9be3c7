"""The connector error taxonomy, grouped by what the runner does with each error.

=====================  ============  ==============================================================
class                  unit status   what the runner does
=====================  ============  ==============================================================
ConfigurationError     error         stop that unit and explain what to fix (bad option, no creds)
PermissionDenied       denied        record an evidence gap: the caller may not read this
TransientError         error         botocore/SDK retries already happened: record a gap
NotApplicable          skipped       the service or region does not apply here: recorded, no gap
MutationRefused        error         the read-only guard stopped a non-read call: a bug, recorded
=====================  ============  ==============================================================

Anything else that escapes a connector is caught once, at the unit boundary, and recorded with
its traceback as an ``error``. No error is ever read as "nothing there".
"""

from __future__ import annotations

from typing import ClassVar


class ConnectorError(Exception):
    """Base of the taxonomy. ``operation`` is the API call (``s3:GetBucketPolicy``) if known."""

    status: ClassVar[str] = "error"
    is_gap: ClassVar[bool] = True

    def __init__(
        self, message: str, *, operation: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.code = code

    def describe(self) -> str:
        """One line for unit statuses and evidence gaps: class, code, operation and message."""
        parts = [type(self).__name__]
        if self.code:
            parts.append(f"[{self.code}]")
        if self.operation:
            parts.append(f"in {self.operation}")
        return f"{' '.join(parts)}: {self.message}"


class ConfigurationError(ConnectorError):
    """The connector or target is misconfigured (bad option, missing credentials, bad profile)."""


class PermissionDenied(ConnectorError):
    """The credentials may not perform a read: an evidence gap."""

    status = "denied"


class TransientError(ConnectorError):
    """Throttling, timeouts or server errors that outlasted the SDK's retries: an evidence gap."""


class NotApplicable(ConnectorError):
    """The service is not available or not enabled in this scope (e.g. a region not opted in)."""

    status = "skipped"
    is_gap = False


class MutationRefused(ConnectorError):
    """The read-only guard refused an operation that is not a read. It never reached the server."""
