"""Map botocore exceptions onto annexa's error taxonomy."""

from __future__ import annotations

import re

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
    UnknownServiceError,
)

from annexa.connectors.errors import (
    ConfigurationError,
    ConnectorError,
    NotApplicable,
    PermissionDenied,
    TransientError,
)

DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthFailure",
        "AuthorizationError",
        "AuthorizationErrorException",
        "ExpiredToken",
        "ExpiredTokenException",
        "Forbidden",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnauthorizedAccess",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "AccessDeniedForDependencyException",
    }
)

THROTTLING_CODES = frozenset(
    {
        "BandwidthLimitExceeded",
        "EC2ThrottledException",
        "PriorRequestNotComplete",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "ThrottledException",
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
    }
)

NOT_APPLICABLE_CODES = frozenset(
    {
        "OptInRequired",
        "SubscriptionRequiredException",
        "UnsupportedOperation",
        "UnsupportedOperationException",
        "InvalidAction",
        "UnknownOperationException",
        "AWSOrganizationsNotInUseException",
    }
)


def error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _operation(exc: ClientError) -> str | None:
    name = getattr(exc, "operation_name", None)
    return str(name) if name else None


def translate(exc: BaseException) -> ConnectorError | None:
    """The taxonomy error for a botocore exception, or ``None`` for anything else."""
    if isinstance(exc, ConnectorError):
        return exc
    if isinstance(exc, ClientError):
        code = error_code(exc)
        status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
        message = str(exc.response.get("Error", {}).get("Message") or exc)
        operation = _operation(exc)
        if code in NOT_APPLICABLE_CODES:  # before 403: a region not opted in answers 403
            return NotApplicable(message, operation=operation, code=code)
        if code in DENIED_CODES or status in (401, 403):
            return PermissionDenied(message, operation=operation, code=code or str(status))
        if code in THROTTLING_CODES or status == 429:
            return TransientError(
                f"throttled after the SDK's retries: {message}", operation=operation, code=code
            )
        if status == 501:
            return NotApplicable(message, operation=operation, code=code or str(status))
        if status >= 500:
            return TransientError(
                f"HTTP {status} after the SDK's retries: {_first_line(message)}",
                operation=operation,
                code=code or str(status),
            )
        # Any other API error (a validation error, an unexpected 404) is still an evidence gap.
        return ConnectorError(
            f"unexpected API error: {_first_line(message)}", operation=operation, code=code
        )
    if isinstance(exc, (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)):
        return TransientError(f"network: {exc}", code=type(exc).__name__)
    if isinstance(exc, ConnectionClosedError):
        return TransientError(f"network: {exc}", code=type(exc).__name__)
    if isinstance(
        exc,
        (
            NoCredentialsError,
            PartialCredentialsError,
            ProfileNotFound,
            NoRegionError,
            CredentialRetrievalError,
        ),
    ):
        return ConfigurationError(str(exc), code=type(exc).__name__)
    if isinstance(exc, UnknownServiceError):
        return NotApplicable(str(exc), code=type(exc).__name__)
    if isinstance(exc, BotoCoreError):
        return TransientError(str(exc), code=type(exc).__name__)
    return None


def _first_line(message: str) -> str:
    """One short line; an HTML error page (a proxy's, or an emulator's) is reduced to its title."""
    if re.match(r"\s*<(!doctype|html)", message, re.IGNORECASE):
        title = re.search(r"<title>(.*?)</title>", message, re.IGNORECASE | re.DOTALL)
        message = f"an HTML error page ({title.group(1) if title else 'untitled'})"
    text = " ".join(message.split())
    return text[:200]
