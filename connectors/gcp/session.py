"""A guarded session for one Google Cloud project: credentials, cached clients, endpoints.

Every client comes from :meth:`GcpSession.client`, which builds it with the target's
credentials, the REST transport where the library has one, the endpoint override configured for
its service (private endpoints, tests), and the read-only guard mounted on its HTTP session.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from google.api_core.client_options import ClientOptions

from annexa.connectors.gcp import guard
from annexa.connectors.memo import Memo


def _http_session(client: Any) -> Any:
    """The ``requests`` session a Google client sends through (GAPIC REST or google-cloud-*)."""
    transport = getattr(client, "_transport", None)
    if transport is not None and hasattr(transport, "_session"):
        return transport._session
    if hasattr(client, "_http"):
        return client._http
    raise TypeError(f"{type(client).__name__}: no HTTP session to guard (gRPC-only client?)")


class GcpSession:
    """Read-only access to one project (``account``) with shared credentials."""

    def __init__(
        self,
        project: str,
        credentials: Any,
        endpoints: Mapping[str, str] | None = None,
        memo: Memo | None = None,
    ) -> None:
        self.project = project
        self.credentials = credentials
        self.endpoints = dict(endpoints or {})
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self.memo = memo or Memo()

    @property
    def account(self) -> str:
        return self.project

    def options(self, service: str) -> ClientOptions:
        endpoint = (
            self.endpoints.get(service)
            or self.endpoints.get(service.split("-")[0])
            or self.endpoints.get("*")
        )
        return ClientOptions(api_endpoint=endpoint) if endpoint else ClientOptions()

    def client(self, service: str, factory: Callable[..., Any], **kwargs: Any) -> Any:
        """A guarded, cached client: ``session.client("kms", kms_v1.KeyManagementServiceClient)``.

        GAPIC clients get ``transport="rest"``; pass ``transport=None`` for libraries that have
        no such argument (google-cloud-storage)."""
        with self._lock:
            if service not in self._clients:
                arguments: dict[str, Any] = {
                    "credentials": self.credentials,
                    "client_options": self.options(service),
                    "transport": "rest",
                    **kwargs,
                }
                if arguments["transport"] is None:
                    del arguments["transport"]
                client = factory(**arguments)
                guard.install(_http_session(client))
                self._clients[service] = client
            return self._clients[service]
