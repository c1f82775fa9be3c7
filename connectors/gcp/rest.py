"""A minimal read-only JSON client for Google APIs without a REST-capable Python library.

Cloud SQL Admin, the IAM admin API, Vertex AI and Workbench are read through their documented
REST APIs with the target's credentials: GETs with ``nextPageToken`` paging, transient errors
retried, HTTP errors raised as the same ``google.api_core`` exceptions the client libraries
raise (so a SERVICE_DISABLED 403 is "not applicable" and another 403 a gap). Built through
:meth:`GcpSession.client`, which mounts the read-only guard on its session.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from google.api_core import exceptions as api
from google.api_core import retry as retries
from google.api_core.client_options import ClientOptions
from google.auth.transport.requests import AuthorizedSession


class RestApi:
    """``RestApi(credentials, options, default_endpoint)``; ``get`` one document, ``list`` pages."""

    def __init__(
        self, credentials: Any, client_options: ClientOptions, default_endpoint: str
    ) -> None:
        self._http = AuthorizedSession(credentials)
        self.endpoint = (client_options.api_endpoint or default_endpoint).rstrip("/")
        self._retry = retries.Retry(predicate=retries.if_transient_error, timeout=60)

    def _fetch(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        response = self._http.get(f"{self.endpoint}/{path.lstrip('/')}", params=params, timeout=60)
        if response.status_code >= 400:
            raise api.from_http_response(response)
        body: dict[str, Any] = response.json()
        return body

    def get(self, path: str, **params: str) -> dict[str, Any]:
        """One JSON document (``v1/projects/p/instances/i``)."""
        body: dict[str, Any] = self._retry(self._fetch)(path, params)
        return body

    def list(self, path: str, key: str, **params: str) -> Iterator[dict[str, Any]]:
        """Every item under ``key`` of a paged list, following ``nextPageToken``."""
        token = ""
        while True:
            query = {**params, **({"pageToken": token} if token else {})}
            page = self.get(path, **query)
            yield from page.get(key, [])
            token = page.get("nextPageToken", "")
            if not token:
                return


def rest_factory(default_endpoint: str) -> Any:
    """A factory for :meth:`GcpSession.client` (``transport=None``) bound to an API's endpoint."""

    def build(credentials: Any, client_options: ClientOptions) -> RestApi:
        return RestApi(credentials, client_options, default_endpoint)

    return build
