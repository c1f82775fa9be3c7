"""botocore errors map onto the taxonomy by what the runner must do with them."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from annexa.connectors.aws.errors import translate
from annexa.connectors.errors import (
    ConfigurationError,
    ConnectorError,
    NotApplicable,
    PermissionDenied,
    TransientError,
)


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} happened"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "ListThings",
    )


@pytest.mark.parametrize(
    ("error", "kind", "status"),
    [
        (client_error("AccessDenied", 403), PermissionDenied, "denied"),
        (client_error("AccessDeniedException", 400), PermissionDenied, "denied"),
        (client_error("UnauthorizedOperation", 403), PermissionDenied, "denied"),
        (client_error("ExpiredToken", 400), PermissionDenied, "denied"),
        (client_error("Throttling", 400), TransientError, "error"),
        (client_error("TooManyRequestsException", 429), TransientError, "error"),
        (client_error("InternalError", 500), TransientError, "error"),
        (client_error("ServiceUnavailable", 503), TransientError, "error"),
        (client_error("OptInRequired", 403), NotApplicable, "skipped"),
        (client_error("SubscriptionRequiredException", 400), NotApplicable, "skipped"),
        (client_error("ValidationException", 400), ConnectorError, "error"),
        (EndpointConnectionError(endpoint_url="https://x"), TransientError, "error"),
        (ReadTimeoutError(endpoint_url="https://x"), TransientError, "error"),
        (NoCredentialsError(), ConfigurationError, "error"),
    ],
)
def test_translation(error: Exception, kind: type, status: str) -> None:
    translated = translate(error)
    assert type(translated) is kind
    assert translated.status == status
    assert translated.describe().startswith(kind.__name__)


def test_unrelated_exceptions_are_not_translated() -> None:
    assert translate(KeyError("x")) is None


def test_denial_names_the_operation_and_code() -> None:
    described = translate(client_error("AccessDenied", 403)).describe()
    assert described == "PermissionDenied [AccessDenied] in ListThings: AccessDenied happened"


def test_an_html_error_page_is_reduced_to_its_title() -> None:
    """Emulators and proxies answer unknown APIs with a web page, not an AWS error body."""
    page = "<!doctype html>\n<html><head><title>404 Not Found</title></head><body>...</body></html>"
    error = ClientError(
        {"Error": {"Code": "404", "Message": page}, "ResponseMetadata": {"HTTPStatusCode": 404}},
        "ListFunctionUrlConfigs",
    )
    translated = translate(error)
    assert translated is not None
    assert "an HTML error page (404 Not Found)" in translated.describe()
    assert "<html" not in translated.describe()
