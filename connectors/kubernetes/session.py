"""A guarded session for one Kubernetes cluster: typed API objects, paging and shared reads.

Every API object comes from :meth:`KubeSession.api`, built on one :class:`GuardedApiClient`, so
every request is a named, counted, read-only ``GET``. Listings go through :meth:`list_all`, which
pages with ``limit`` / ``continue`` so that a cluster with tens of thousands of pods is read a
page at a time and never held in memory at once.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from kubernetes.client.exceptions import ApiException

from annexa.connectors.kubernetes.guard import GuardedApiClient
from annexa.connectors.memo import Memo

T = TypeVar("T")
DEFAULT_PAGE_SIZE = 500


def _page(result: Any) -> tuple[list[Any], str | None]:
    """Items and continue token of a typed list or of a custom-objects (dict) list."""
    if isinstance(result, dict):
        metadata = result.get("metadata") or {}
        return list(result.get("items") or []), metadata.get("continue") or None
    metadata = result.metadata
    token = getattr(metadata, "_continue", None) if metadata is not None else None
    return list(result.items or []), token or None


class KubeSession:
    """Read-only access to one cluster, named by ``account`` in every observation's scope."""

    def __init__(
        self, api_client: GuardedApiClient, account: str, page_size: int = DEFAULT_PAGE_SIZE
    ) -> None:
        self.api_client = api_client
        self._account = account
        self.page_size = page_size
        self._apis: dict[type[Any], Any] = {}
        self._lock = threading.Lock()
        self.memo = Memo()

    @property
    def account(self) -> str:
        return self._account

    def api(self, api_class: type[T]) -> T:
        """A cached ``CoreV1Api``, ``RbacAuthorizationV1Api``, ``CustomObjectsApi``, ..."""
        with self._lock:
            if api_class not in self._apis:
                self._apis[api_class] = api_class(self.api_client)  # type: ignore[call-arg]
            return self._apis[api_class]  # type: ignore[no-any-return]

    def list_all(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Iterator[Any]:
        """Yield every item of a listing, one page of ``page_size`` at a time.

        ``method`` is a typed list call (``CoreV1Api().list_pod_for_all_namespaces``) or
        ``CustomObjectsApi().list_cluster_custom_object`` with its positional arguments.
        """
        token: str | None = None
        while True:
            page = {"_continue": token} if token else {}
            result = method(*args, limit=self.page_size, **page, **kwargs)
            items, token = _page(result)
            yield from items
            if not token:
                return

    def get_raw(self, path: str, query: list[tuple[str, str]] | None = None) -> str:
        """GET a non-resource path (``/healthz``, ``/version``) and return its body as text."""
        request = self.api_client.param_serialize(
            method="GET",
            resource_path=path,
            query_params=query or [],
            auth_settings=["BearerToken"],
        )
        response = self.api_client.call_api(*request)
        response.read()
        text = (response.data or b"").decode("utf-8", "replace")
        if not 200 <= response.status <= 299:
            raise ApiException(status=response.status, reason=response.reason, body=text)
        return str(text)

    def version(self) -> dict[str, Any]:
        """The server's ``/version`` document, read once per session (shared by the units)."""
        return self.memo(  # type: ignore[no-any-return]
            "version", lambda: json.loads(self.get_raw("/version"))
        )
