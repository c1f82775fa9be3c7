"""A fake Google Cloud API server for the real Google client libraries, and helpers.

One HTTP server answers every API (clients get it as their ``api_endpoint``): routes map a
method and a path pattern to a JSON body; list routes page with ``pageToken`` /
``nextPageToken`` the way Google APIs do (``maxResults`` or ``pageSize`` honoured, else
``page_size`` items per page). It also serves an OAuth token endpoint, so tests authenticate with
a real service-account key file whose ``token_uri`` points here. Tests can deny a path for one
project (403 with Google's error body), and read the log of every request.
"""

from __future__ import annotations

import json
import re
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from annexa.connectors.calls import CallCounter
from annexa.connectors.gcp.permissions import undeclared
from annexa.connectors.gcp.provider import GcpProvider, GcpTarget
from annexa.connectors.gcp.session import GcpSession
from annexa.connectors.provider import RuntimeSettings
from annexa.connectors.records import Observation, Scope
from tests.support.units import collect_unit

SETTINGS = RuntimeSettings(max_workers=4, max_attempts=1, connect_timeout=5, read_timeout=30)


@dataclass
class Route:
    method: str
    pattern: re.Pattern[str]
    body: Any  # a dict, or for lists: (items key, [items])
    status: int = 200


@dataclass
class FakeGoogle:
    """Register routes, then use :meth:`running`; ``url`` is every client's endpoint."""

    page_size: int = 2
    routes: list[Route] = field(default_factory=list)
    denied: list[re.Pattern[str]] = field(default_factory=list)
    requests: list[tuple[str, str, str]] = field(default_factory=list)
    url: str = ""

    def get(self, path: str, body: Any) -> None:
        """``path`` is a regex over the URL path (anchored); ``body`` a dict or (key, items)."""
        self.routes.append(Route("GET", re.compile(f"^{path}$"), body))

    def post(self, path: str, body: Any) -> None:
        self.routes.append(Route("POST", re.compile(f"^{path}$"), body))

    def deny(self, path: str) -> None:
        """403 PERMISSION_DENIED for every request whose path matches ``path`` (a regex)."""
        self.denied.append(re.compile(path))

    def handle(self, method: str, target: str, body: bytes) -> tuple[int, dict[str, Any]]:
        parts = urlsplit(target)
        self.requests.append((method, parts.path, parts.query))
        if parts.path == "/token":
            return 200, {"access_token": "fake-token", "expires_in": 3600, "token_type": "Bearer"}
        if any(p.search(parts.path) for p in self.denied):
            return 403, _error(403, "PERMISSION_DENIED", f"Permission denied on {parts.path}")
        for route in self.routes:
            if route.method == method and route.pattern.match(parts.path):
                return route.status, self._page(route.body, parse_qs(parts.query))
        return 404, _error(404, "NOT_FOUND", f"no route for {method} {parts.path}")

    def _page(self, body: Any, query: dict[str, list[str]]) -> dict[str, Any]:
        if not isinstance(body, tuple):
            return dict(body)
        key, items = body
        size = int((query.get("pageSize") or query.get("maxResults") or [self.page_size])[0])
        start = int((query.get("pageToken") or ["0"])[0])
        page: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            page["nextPageToken"] = str(start + size)
        return page

    @contextmanager
    def running(self) -> Iterator[FakeGoogle]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                status, payload = fake.handle(method, self.path, data)
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self.url = f"http://127.0.0.1:{server.server_address[1]}"
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()

    def key_file(self, directory: Path | None = None) -> Path:
        """A service-account key file (a fresh RSA key) whose token_uri is this server."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        document = {
            "type": "service_account",
            "project_id": "annexa-tests",
            "private_key_id": "0123456789abcdef",
            "private_key": pem,
            "client_email": "annexa-reader@annexa-tests.iam.gserviceaccount.com",
            "client_id": "1234567890",
            "token_uri": f"{self.url}/token",
        }
        directory = directory or Path(tempfile.mkdtemp(prefix="annexa-gcp-"))
        path = directory / "key.json"
        path.write_text(json.dumps(document))
        return path


def _error(code: int, status: str, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "status": status, "errors": []}}


def target(server: FakeGoogle, **scope: Any) -> GcpTarget:
    scope = scope or {"project": "acme-prod"}
    return GcpTarget(
        name="gcp-test",
        credentials_file=str(server.key_file()),
        endpoints={"*": server.url},
        **scope,
    )


def open_session(server: FakeGoogle, project: str = "acme-prod") -> GcpSession:
    return GcpProvider().open_session(target(server, project=project), SETTINGS)


def run_unit(
    connector: Any,
    server: FakeGoogle,
    session: GcpSession | None = None,
    counter: CallCounter | None = None,
    notes: list[str] | None = None,
) -> tuple[list[Observation], CallCounter]:
    """Collect one unit of a GCP connector against the fake server, as the runner would."""
    session = session or open_session(server)
    scope = Scope("gcp", session.account, "global")
    counter = counter if counter is not None else CallCounter()
    try:
        return collect_unit(connector, GcpProvider(), session, scope, counter, notes)
    finally:  # every request sent, even by a unit that failed, must be declared
        missing = undeclared(connector, counter.operations)
        assert not missing, (
            f"{connector.name} sent requests its permissions do not cover: {missing}"
        )
