"""The daemon's health and metrics endpoints, on a small threaded HTTP server.

``GET /healthz`` answers 200 while the process serves requests (a liveness probe);
``GET /readyz`` answers 200 or 503 with the reason from the daemon's readiness callback (a
readiness probe: it must be cheap, the daemon caches its store check); ``GET /metrics`` serves
the Prometheus exposition. Other paths are 404, other methods 405. Requests are logged at debug
level through :mod:`logging`, never written to stderr.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from prometheus_client import CONTENT_TYPE_LATEST

from annexa.collector.daemon.metrics import DaemonMetrics
from annexa.connectors.redact import DEFAULT as REDACTOR

log = logging.getLogger(__name__)

Readiness = Callable[[], tuple[bool, str]]
TEXT = "text/plain; charset=utf-8"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(
        self, address: tuple[str, int], metrics: DaemonMetrics, readiness: Readiness
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.metrics = metrics
        self.readiness = readiness
        super().__init__(address, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("health server: error serving %s", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "annexa"
    sys_version = ""

    def do_GET(self) -> None:
        path = urlsplit(self.path).path
        if path == "/healthz":
            self._send(200, b"ok\n")
        elif path == "/readyz":
            ready, reason = self._readiness()
            self._send(200 if ready else 503, f"{reason}\n".encode())
        elif path == "/metrics":
            self._send(200, self.server.metrics.exposition(), CONTENT_TYPE_LATEST)
        else:
            self._send(404, b"not found: try /healthz, /readyz or /metrics\n")

    def _not_allowed(self) -> None:
        self._send(405, b"method not allowed: GET only\n", headers={"Allow": "GET"})

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_TRACE = _not_allowed

    def _readiness(self) -> tuple[bool, str]:
        try:
            ready, reason = self.server.readiness()
        except Exception as exc:  # noqa: BLE001 (a failing check means not ready, never a crash)
            return False, REDACTOR.text(f"readiness check failed: {type(exc).__name__}: {exc}")
        return bool(ready), REDACTOR.text(str(reason))

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = TEXT,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug(
            "%s %s -> %s",
            self.command,
            self.path,
            code,
            extra={"event": "http_request", "method": self.command, "status": code},
        )

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("health server: " + format, *args)


class HealthServer:
    """``/healthz``, ``/readyz`` and ``/metrics`` on ``address:port`` (port 0: a free port)."""

    def __init__(
        self, address: str, port: int, metrics: DaemonMetrics, readiness: Readiness
    ) -> None:
        self.address = address
        self._port = port
        self.metrics = metrics
        self.readiness = readiness
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port listened on: the one picked by the system once started with port 0."""
        return self._port

    def start(self) -> None:
        """Bind and serve in a daemon thread; an address in use is a one-line ``OSError``."""
        if self._server is not None:
            return
        try:
            server = _Server((self.address, self._port), self.metrics, self.readiness)
        except OSError as exc:
            raise OSError(
                exc.errno,
                f"health server cannot listen on {self.address}:{self._port}: "
                f"{exc.strerror or exc}",
            ) from exc
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="annexa-http",
            daemon=True,
        )
        self._thread.start()
        log.info(
            "health server listening on %s:%d",
            self.address,
            self.port,
            extra={"event": "http_listening", "port": self.port},
        )

    def stop(self) -> None:
        """Stop serving and close the socket; safe to call twice or before :meth:`start`."""
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
