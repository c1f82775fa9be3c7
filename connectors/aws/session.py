"""A guarded boto3 session for one AWS account.

Every client comes from :meth:`AwsSession.client`, which caches one client per
(service, region), configures adaptive retries, timeouts and a connection pool sized to the
collector's thread pool, and inherits the read-only guard and request counter from the session.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import NoCredentialsError

from annexa.connectors.aws import guard
from annexa.connectors.memo import Memo


@dataclass(frozen=True)
class ClientSettings:
    """How clients talk to AWS: endpoint override, retries, timeouts, pool size."""

    endpoint_url: str | None = None
    max_attempts: int = 5
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    max_pool_connections: int = 10
    user_agent: str = "annexa"

    def botocore_config(self) -> Config:
        config = Config(
            retries={"mode": "adaptive", "max_attempts": self.max_attempts},
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
            max_pool_connections=self.max_pool_connections,
            user_agent_extra=self.user_agent,
        )
        if self.endpoint():
            # Local endpoints (moto, LocalStack, VPC endpoints by IP) need path-style S3 URLs.
            config = config.merge(Config(s3={"addressing_style": "path"}))
        return config

    def endpoint(self) -> str | None:
        return self.endpoint_url or os.environ.get("AWS_ENDPOINT_URL") or None


def strip_account_host(request: Any, **kwargs: Any) -> None:
    """s3control prefixes the account id to the host name; a custom endpoint has no such host."""
    parts = urlsplit(request.url)
    host = parts.hostname or ""
    head, _dot, rest = host.partition(".")
    if head.isdigit() and len(head) == 12 and rest:
        request.url = request.url.replace(f"{head}.{rest}", rest, 1)


class AwsSession:
    """Read-only access to one account: cached guarded clients and the resolved identity."""

    def __init__(
        self,
        boto: boto3.Session,
        settings: ClientSettings,
        home_region: str,
    ) -> None:
        self._boto = boto
        self._settings = settings
        self._config = settings.botocore_config()
        self.home_region = home_region
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()
        self._memo = Memo()
        guard.install(boto.events)
        identity = self.client("sts").get_caller_identity()
        self._account = str(identity["Account"])
        self.caller_arn = str(identity["Arn"])
        self.partition = (
            self.caller_arn.split(":")[1] if self.caller_arn.startswith("arn:") else "aws"
        )

    @property
    def account(self) -> str:
        return self._account

    @classmethod
    def open(
        cls,
        settings: ClientSettings,
        home_region: str,
        *,
        profile: str | None = None,
        role_arn: str | None = None,
        external_id: str | None = None,
        session_name: str = "annexa",
    ) -> AwsSession:
        base = boto3.Session(profile_name=profile, region_name=home_region)
        session = cls(base, settings, home_region)
        if role_arn:
            return session.assume(role_arn, external_id=external_id, session_name=session_name)
        return session

    def assume(
        self, role_arn: str, *, external_id: str | None = None, session_name: str = "annexa"
    ) -> AwsSession:
        """A session in the role's account; credentials refresh themselves before expiry."""
        extra: dict[str, Any] = {"RoleSessionName": session_name}
        if external_id:
            extra["ExternalId"] = external_id
        source = self._boto.get_credentials()
        if source is None:
            raise NoCredentialsError()

        def create_sts(service: str, **kwargs: Any) -> Any:
            kwargs.pop("config", None)
            return self._boto.client(
                service,
                region_name=self.home_region,
                endpoint_url=self._settings.endpoint(),
                config=self._config,
                **kwargs,
            )

        fetcher = AssumeRoleCredentialFetcher(
            client_creator=create_sts,
            source_credentials=source,
            role_arn=role_arn,
            extra_args=extra,
        )
        core = botocore.session.Session()
        core._credentials = DeferredRefreshableCredentials(
            method="assume-role", refresh_using=fetcher.fetch_credentials
        )
        assumed = boto3.Session(botocore_session=core, region_name=self.home_region)
        return AwsSession(assumed, self._settings, self.home_region)

    def client(self, service: str, region: str | None = None) -> Any:
        """A guarded, cached client for ``service`` in ``region`` (default: the home region)."""
        key = (service, region or self.home_region)
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = self._boto.client(
                    service,
                    region_name=key[1],
                    endpoint_url=self._settings.endpoint(),
                    config=self._config,
                )
                guard.install(client.meta.events)
                if service == "s3control" and self._settings.endpoint():
                    client.meta.events.register("before-send.s3-control", strip_account_host)
                self._clients[key] = client
            return client

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Compute an account-wide read once for all units of the run (its error too).

        A multi-region trail, for instance, is visible from every region; its status is read
        once, not once per region.
        """
        return self._memo(key, compute)
