"""Cloud SQL instances through the shared REST client against the fake Google server."""

from __future__ import annotations

import re

import pytest

from annexa.connectors.calls import CallCounter
from annexa.connectors.errors import NotApplicable, PermissionDenied
from annexa.connectors.gcp.sql import SqlConnector
from annexa.connectors.records import Observation
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.gcp import FakeGoogle, Route, run_unit

INSTANCES = r"/v1/projects/acme-prod/instances"
BASE = "//sqladmin.googleapis.com/projects/acme-prod/instances"
KEY = "projects/acme-prod/locations/europe-west1/keyRings/sql/cryptoKeys/disks"


def instance(name: str, version: str, settings: dict, **extra: object) -> dict:
    return {
        "kind": "sql#instance",
        "name": name,
        "project": "acme-prod",
        "connectionName": f"acme-prod:europe-west1:{name}",
        "databaseVersion": version,
        "region": "europe-west1",
        "gceZone": "europe-west1-b",
        "instanceType": "CLOUD_SQL_INSTANCE",
        "state": "RUNNABLE",
        "backendType": "SECOND_GEN",
        "serviceAccountEmailAddress": "p123-abc@gcp-sa-cloud-sql.iam.gserviceaccount.com",
        "settings": {"tier": "db-custom-2-7680", "settingsVersion": "7", **settings},
        **extra,
    }


ORDERS = instance(
    "orders-db",
    "POSTGRES_15",
    {
        "ipConfiguration": {
            "ipv4Enabled": False,
            "privateNetwork": "projects/acme-prod/global/networks/prod",
            "requireSsl": True,
            "sslMode": "ENCRYPTED_ONLY",
        },
        "backupConfiguration": {
            "enabled": True,
            "startTime": "02:00",
            "pointInTimeRecoveryEnabled": True,
        },
        "databaseFlags": [
            {"name": "log_connections", "value": "on"},
            {"name": "work_mem", "value": "65536"},
        ],
        "deletionProtectionEnabled": True,
    },
    diskEncryptionConfiguration={"kmsKeyName": KEY, "kind": "sql#diskEncryptionConfiguration"},
)
LEGACY = instance(
    "legacy-mysql",
    "MYSQL_5_7",
    {
        "ipConfiguration": {
            "ipv4Enabled": True,
            "authorizedNetworks": [
                {"kind": "sql#aclEntry", "name": "anyone", "value": "0.0.0.0/0"},
                {"kind": "sql#aclEntry", "value": "198.51.100.7/32"},
            ],
            "requireSsl": False,
        },
        "backupConfiguration": {"enabled": False, "binaryLogEnabled": False},
        "databaseFlags": [{"name": "local_infile", "value": "on"}],
    },
)
STRICT = instance(
    "certs-only",
    "SQLSERVER_2019_STANDARD",
    {
        "ipConfiguration": {
            "ipv4Enabled": True,
            "authorizedNetworks": [{"value": "203.0.113.0/24"}],
            "sslMode": "TRUSTED_CLIENT_CERTIFICATE_REQUIRED",
        },
        "backupConfiguration": {"enabled": True},
    },
)
REPLICA = instance(
    "orders-replica",
    "POSTGRES_15",
    {
        "ipConfiguration": {"ipv4Enabled": False, "requireSsl": True},
        "backupConfiguration": {"enabled": False},
    },
    instanceType="READ_REPLICA_INSTANCE",
    masterInstanceName="acme-prod:orders-db",
)
UNENCRYPTED_MODE = instance(
    "mixed",
    "MYSQL_8_0",
    {  # sslMode takes precedence over the legacy requireSsl
        "ipConfiguration": {
            "ipv4Enabled": False,
            "requireSsl": True,
            "sslMode": "ALLOW_UNENCRYPTED_AND_ENCRYPTED",
        },
        "backupConfiguration": {"enabled": True, "binaryLogEnabled": True},
    },
)


@pytest.fixture
def google():
    with FakeGoogle().running() as server:
        yield server


def statuses(observation: Observation) -> dict[str, str]:
    rules = [r for r in load_rules() if r.kind == observation.kind]
    return {e.rule_id: e.status for e in RuleEngine(rules).evaluate(observation)}


def test_instances_across_pages(google: FakeGoogle) -> None:
    google.get(INSTANCES, ("items", [ORDERS, LEGACY, STRICT, REPLICA, UNENCRYPTED_MODE]))
    observations, counter = run_unit(SqlConnector, google)
    found = {o.resource_id: o for o in observations}
    assert set(found) == {
        f"{BASE}/{n}"
        for n in ("orders-db", "legacy-mysql", "certs-only", "orders-replica", "mixed")
    }
    assert all(not o.gaps for o in observations)
    assert [q for _, path, q in google.requests if path == INSTANCES] == [
        "",
        "pageToken=2",
        "pageToken=4",
    ]
    assert counter.operations == {"GET v1/projects/*/instances": 3}

    orders = found[f"{BASE}/orders-db"]
    assert orders.attributes == {
        "name": "orders-db",
        "database_version": "POSTGRES_15",
        "engine": "POSTGRES",
        "region": "europe-west1",
        "instance_type": "CLOUD_SQL_INSTANCE",
        "state": "RUNNABLE",
        "ssl_mode": "ENCRYPTED_ONLY",
        "require_ssl": True,
        "public_ip": False,
        "private_network": "projects/acme-prod/global/networks/prod",
        "authorized_networks": [],
        "world_open": False,
        "backups_enabled": True,
        "point_in_time_recovery": True,
        "cmek": KEY,
        "deletion_protection": True,
        "database_flags": {"log_connections": "on"},
    }
    assert set(statuses(orders).values()) == {"pass"}

    legacy = found[f"{BASE}/legacy-mysql"]
    attrs = legacy.attributes
    assert attrs["engine"] == "MYSQL" and attrs["ssl_mode"] is None
    assert attrs["require_ssl"] is False and attrs["public_ip"] is True
    assert attrs["authorized_networks"] == ["0.0.0.0/0", "198.51.100.7/32"]
    assert attrs["world_open"] is True and attrs["cmek"] is None
    assert attrs["backups_enabled"] is False and attrs["point_in_time_recovery"] is False
    assert attrs["database_flags"] == {"local_infile": "on"}
    assert set(statuses(legacy).values()) == {"fail"}

    strict = found[f"{BASE}/certs-only"].attributes
    assert strict["require_ssl"] is True and strict["public_ip"] is True
    assert strict["world_open"] is False and strict["engine"] == "SQLSERVER"

    replica = statuses(found[f"{BASE}/orders-replica"])
    assert replica["gcp.sql.instance.automated-backups"] == "not_applicable"
    assert replica["gcp.sql.instance.ssl-required"] == "pass"  # legacy requireSsl

    mixed = found[f"{BASE}/mixed"].attributes
    assert mixed["require_ssl"] is False and mixed["point_in_time_recovery"] is True


def test_no_instances(google: FakeGoogle) -> None:
    google.get(INSTANCES, {})  # the API omits "items" when there are none
    observations, _ = run_unit(SqlConnector, google)
    assert observations == []


def test_denied_listing_denies_the_unit(google: FakeGoogle) -> None:
    google.get(INSTANCES, ("items", [ORDERS]))
    google.deny(INSTANCES)
    counter = CallCounter()
    with pytest.raises(PermissionDenied):
        run_unit(SqlConnector, google, counter=counter)
    assert counter.operations == {"GET v1/projects/*/instances": 1}


def disabled(body: dict) -> Route:
    return Route("GET", re.compile(f"^{INSTANCES}$"), body, 403)


def test_service_disabled_is_not_applicable(google: FakeGoogle) -> None:
    google.routes.append(
        disabled(
            {
                "error": {
                    "code": 403,
                    "message": "Cloud SQL Admin API has not been used in project 123456789 "
                    "before or it is disabled.",
                    "status": "PERMISSION_DENIED",
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "SERVICE_DISABLED",
                            "domain": "googleapis.com",
                            "metadata": {"service": "sqladmin.googleapis.com"},
                        }
                    ],
                }
            }
        )
    )
    with pytest.raises(NotApplicable):
        run_unit(SqlConnector, google)


def test_service_disabled_reason_alone_is_not_applicable(google: FakeGoogle) -> None:
    google.routes.append(
        disabled(
            {
                "error": {
                    "code": 403,
                    "message": "Access Not Configured.",
                    "status": "PERMISSION_DENIED",
                    "details": [
                        {
                            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                            "reason": "SERVICE_DISABLED",
                        }
                    ],
                }
            }
        )
    )
    with pytest.raises(NotApplicable):
        run_unit(SqlConnector, google)
