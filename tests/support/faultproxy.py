"""An HTTP proxy in front of the moto server that answers some requests the way AWS refuses them.

Requests are matched by the service and region of their SigV4 credential scope (and optionally
the API operation), so a test can deny S3, or everything in eu-west-1, or throttle one call, and
the real boto3 client receives a real AWS-shaped error over HTTP.
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")
QUERY_SERVICES = {
    "iam",
    "sts",
    "ec2",
    "rds",
    "elasticloadbalancing",
    "autoscaling",
    "sns",
    "sqs",
    "cloudformation",
}
REST_XML_SERVICES = {"s3", "s3control", "cloudfront", "route53"}


@dataclass
class Seen:
    service: str
    region: str
    operation: str
    method: str
    path: str
    body: str = ""


@dataclass
class Rule:
    service: str | None = None
    region: str | None = None
    operation: str | None = None
    status: int = 403
    code: str = "AccessDenied"
    message: str = "User is not authorized to perform this action"
    times: int | None = None  # None: always
    body_contains: str | None = None  # only requests whose body contains this text
    delay: float = 0.0  # seconds to wait before answering
    forward: bool = False  # after the delay, pass the request on instead of failing it

    def matches(self, seen: Seen) -> bool:
        return (
            (self.service is None or self.service == seen.service)
            and (self.region is None or self.region == seen.region)
            and (self.operation is None or self.operation == seen.operation)
            and (self.times is None or self.times > 0)
            and (self.body_contains is None or self.body_contains in seen.body)
        )


def _operation(service: str, method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    target = headers.get("x-amz-target")
    if target:
        return target.rsplit(".", 1)[-1]
    if service in QUERY_SERVICES:
        action = parse_qs(body.decode("utf-8", "replace")).get("Action") or parse_qs(
            urlsplit(path).query
        ).get("Action")
        return action[0] if action else "?"
    query = urlsplit(path).query
    return f"{method} {urlsplit(path).path}?{query.split('=')[0] if query else ''}"


def error_response(service: str, rule: Rule) -> tuple[int, dict[str, str], bytes]:
    if service in REST_XML_SERVICES:
        body = f"<Error><Code>{rule.code}</Code><Message>{rule.message}</Message><RequestId>1</RequestId></Error>"
        return rule.status, {"Content-Type": "application/xml"}, body.encode()
    if service in QUERY_SERVICES:
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{rule.code}</Code>"
            f"<Message>{rule.message}</Message></Error><RequestId>1</RequestId></ErrorResponse>"
        )
        return rule.status, {"Content-Type": "text/xml"}, body.encode()
    body = json.dumps({"__type": rule.code, "message": rule.message})
    status = 400 if rule.status == 403 else rule.status  # JSON protocols deny with HTTP 400
    return (
        status,
        {"Content-Type": "application/x-amz-json-1.1", "x-amzn-ErrorType": rule.code},
        body.encode(),
    )


@dataclass
class FaultProxy:
    upstream: str
    rules: list[Rule] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)
    on_request: Callable[[Seen], None] | None = None

    def __post_init__(self) -> None:
        upstream = urlsplit(self.upstream)
        proxy = self
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k.lower(): v for k, v in self.headers.items()}
                match = SCOPE.search(headers.get("authorization", ""))
                region, service = (match.group(1), match.group(2)) if match else ("?", "?")
                seen = Seen(
                    service,
                    region,
                    _operation(service, self.command, self.path, headers, body),
                    self.command,
                    self.path,
                    body.decode("utf-8", "replace"),
                )
                with lock:
                    proxy.seen.append(seen)
                    rule = next((r for r in proxy.rules if r.matches(seen)), None)
                    if rule is not None and rule.times is not None:
                        rule.times -= 1
                if rule is not None and rule.delay:
                    time.sleep(rule.delay)
                if rule is not None and not rule.forward:
                    status, out_headers, payload = error_response(service, rule)
                else:
                    connection = http.client.HTTPConnection(
                        upstream.hostname, upstream.port, timeout=60
                    )
                    forwarded = {k: v for k, v in self.headers.items() if k.lower() != "connection"}
                    connection.request(self.command, self.path, body=body, headers=forwarded)
                    response = connection.getresponse()
                    payload = response.read()
                    status = response.status
                    out_headers = {
                        k: v
                        for k, v in response.getheaders()
                        if k.lower() not in ("transfer-encoding", "connection", "content-length")
                    }
                    connection.close()
                self.send_response(status)
                for key, value in out_headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def deny(self, **match: Any) -> Rule:
        rule = Rule(**match)
        self.rules.append(rule)
        return rule

    def fail(self, status: int, code: str, message: str = "injected", **match: object) -> Rule:
        rule = Rule(status=status, code=code, message=message, **match)  # type: ignore[arg-type]
        self.rules.append(rule)
        return rule

    def slow(self, seconds: float, **match: str) -> Rule:
        rule = Rule(delay=seconds, forward=True, **match)
        self.rules.append(rule)
        return rule

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
