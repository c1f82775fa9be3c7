"""Running one AWS connector unit against an endpoint, as the collector would."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import boto3
from botocore.config import Config

from annexa.connectors.aws.provider import AwsProvider, AwsTarget
from annexa.connectors.aws.session import AwsSession, strip_account_host
from annexa.connectors.base import Connector
from annexa.connectors.calls import CallCounter
from annexa.connectors.provider import RuntimeSettings
from annexa.connectors.records import Observation, Scope
from tests.support.units import collect_unit

ACCOUNT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")
SETTINGS = RuntimeSettings(max_workers=4, max_attempts=1, connect_timeout=5, read_timeout=30)


def client(endpoint: str, service: str, region: str = "us-east-1") -> Any:
    """A plain (unguarded) boto3 client for seeding the fake estate."""
    seeded = boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
    )
    if service == "s3control":
        seeded.meta.events.register("before-send.s3-control", strip_account_host)
    return seeded


def open_session(endpoint: str, regions: Iterable[str] = REGIONS) -> AwsSession:
    target = AwsTarget(name="test", regions=tuple(regions), endpoint_url=endpoint)
    return AwsProvider().open_session(target, SETTINGS)


def run_unit(
    connector: type[Connector],
    endpoint: str,
    scope: str,
    session: AwsSession | None = None,
    counter: CallCounter | None = None,
    notes: list[str] | None = None,
) -> tuple[list[Observation], CallCounter]:
    """Collect one unit and check every observation against the connector's declarations.

    Pass ``counter`` to keep the API calls of a unit that raises, ``notes`` to get its notes."""
    session = session or open_session(endpoint)
    scoped = Scope("aws", session.account, scope)
    return collect_unit(connector, AwsProvider(), session, scoped, counter, notes)


def by_id(observations: Iterable[Observation], kind: str) -> dict[str, Observation]:
    return {o.resource_id: o for o in observations if o.kind == kind}
