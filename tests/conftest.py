"""Shared fixtures: fake AWS credentials, a moto server over HTTP, a fault proxy, PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.faultproxy import FaultProxy
from tests.support.kube import FakeApiServer

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"


@pytest.fixture(autouse=True)
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may find real credentials, profiles or kubeconfigs, and none reaches a cloud."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "ANNEXA_", "KUBECONFIG", "KUBERNETES_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", os.devnull)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def no_google_regional_access_boundary_lookup(monkeypatch: pytest.MonkeyPatch) -> None:
    """google-auth looks up a service account's regional access boundary at
    iamcredentials.googleapis.com in the background after a token refresh; no test reaches the
    internet, so the lookup is off (it decides where tokens may be used, not what annexa reads)."""
    from google.auth import credentials

    monkeypatch.setattr(
        credentials.CredentialsWithRegionalAccessBoundary,
        "_is_regional_access_boundary_lookup_required",
        lambda self: False,
    )


@pytest.fixture
def kube_api() -> Iterator[FakeApiServer]:
    """A fresh fake Kubernetes API server over HTTP (add objects before collecting)."""
    with FakeApiServer().running() as server:
        yield server


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    """One moto server for the session, in server mode on 127.0.0.1 (reset per test)."""
    os.environ["MOTO_EC2_LOAD_DEFAULT_AMIS"] = "false"
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").disabled = True
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def moto(moto_server: str) -> str:
    """The moto server's URL, with all state cleared."""
    import requests

    requests.post(f"{moto_server}/moto-api/reset", timeout=10).raise_for_status()
    return moto_server


@pytest.fixture
def proxy(moto: str) -> Iterator[FaultProxy]:
    """A fault-injecting proxy in front of a clean moto server."""
    fault_proxy = FaultProxy(moto)
    yield fault_proxy
    fault_proxy.close()


def _postgres_available() -> str | None:
    try:
        import psycopg

        with psycopg.connect(
            "host=127.0.0.1 port=5432 user=postgres dbname=test", connect_timeout=3
        ):
            return None
    except Exception as exc:
        return f"PostgreSQL at 127.0.0.1:5432 is not reachable: {exc}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    reason = _postgres_available()
    if reason:
        pytest.skip(reason)
    import psycopg

    name = f"annexa_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True
    ) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(
        "host=127.0.0.1 port=5432 user=postgres dbname=test", autocommit=True
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'annexa.db'}"
    return str(request.getfixturevalue("postgres_url"))
