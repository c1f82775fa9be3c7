"""Cloud SQL: the instances of a project and their connectivity, backups and encryption.

Read through the Cloud SQL Admin API v1 over REST (no REST-capable client library is installed).
The listing carries each instance's full settings; it never returns the root password, and
annexa reads only the database flags named in :data:`FLAGS_OF_INTEREST`. A project without the
API enabled answers SERVICE_DISABLED, which the error translation turns into "not applicable".
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Mapping
from typing import Any

from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.errors import ConnectorError
from annexa.connectors.gcp.rest import rest_factory
from annexa.connectors.records import Observation

SQLADMIN = "https://sqladmin.googleapis.com"
SSL_ENFORCED = ("ENCRYPTED_ONLY", "TRUSTED_CLIENT_CERTIFICATE_REQUIRED")
# Flags that CIS benchmarks and auditors look at; other flags are not kept.
FLAGS_OF_INTEREST = (
    "log_connections",
    "log_disconnections",
    "log_checkpoints",
    "log_lock_waits",
    "log_min_messages",
    "log_min_duration_statement",
    "cloudsql.enable_pgaudit",
    "pgaudit.log",
    "local_infile",
    "skip_show_database",
    "cloudsql_iam_authentication",
    "cloudsql.iam_authentication",
    "cross db ownership chaining",
    "contained database authentication",
    "remote access",
    "external scripts enabled",
    "3625",
)

INSTANCE = Kind(
    "gcp.sql.instance",
    "A Cloud SQL database instance",
    {
        "name": "instance name",
        "database_version": "engine and version (POSTGRES_15, MYSQL_8_0, SQLSERVER_2019_STANDARD)",
        "engine": "database engine (POSTGRES, MYSQL, SQLSERVER)",
        "region": "region",
        "instance_type": "CLOUD_SQL_INSTANCE (primary), READ_REPLICA_INSTANCE or "
        "ON_PREMISES_INSTANCE",
        "state": "RUNNABLE, SUSPENDED, MAINTENANCE, ...",
        "ssl_mode": "settings.ipConfiguration.sslMode (null: not set, requireSsl applies)",
        "require_ssl": "connections must be encrypted (sslMode ENCRYPTED_ONLY or "
        "TRUSTED_CLIENT_CERTIFICATE_REQUIRED, or legacy requireSsl when sslMode is unset)",
        "public_ip": "the instance has a public IPv4 address (ipConfiguration.ipv4Enabled)",
        "private_network": "VPC network of its private IP (null: none)",
        "authorized_networks": "networks authorized to connect to the public IP (CIDR values)",
        "world_open": "a public IP with a /0 authorized network such as 0.0.0.0/0",
        "backups_enabled": "automated backups are on (settings.backupConfiguration.enabled)",
        "point_in_time_recovery": "point-in-time recovery is on (PostgreSQL/SQL Server "
        "pointInTimeRecoveryEnabled, MySQL binary logging)",
        "cmek": "the Cloud KMS key encrypting its disks (null: Google-managed encryption)",
        "deletion_protection": "deletion protection is on",
        "database_flags": "database flags of interest that are set, name -> value",
    },
)


def is_world(cidr: str) -> bool:
    try:
        return ipaddress.ip_network(cidr, strict=False).prefixlen == 0
    except ValueError:
        return False


def transform_instance(instance: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes of one instance from its REST (camelCase JSON) representation."""
    settings = instance.get("settings", {})
    ip = settings.get("ipConfiguration", {})
    backup = settings.get("backupConfiguration", {})
    version = instance.get("databaseVersion", "")
    ssl_mode = ip.get("sslMode") or None
    public = bool(ip.get("ipv4Enabled", False))
    networks = [n["value"] for n in ip.get("authorizedNetworks", []) if "value" in n]
    flags = {
        flag["name"]: flag.get("value")
        for flag in settings.get("databaseFlags", [])
        if flag.get("name") in FLAGS_OF_INTEREST
    }
    return {
        "name": instance["name"],
        "database_version": version or None,
        "engine": version.split("_", 1)[0] or None,
        "region": instance.get("region"),
        "instance_type": instance.get("instanceType"),
        "state": instance.get("state"),
        "ssl_mode": ssl_mode,
        "require_ssl": ssl_mode in SSL_ENFORCED if ssl_mode else bool(ip.get("requireSsl", False)),
        "public_ip": public,
        "private_network": ip.get("privateNetwork") or None,
        "authorized_networks": networks,
        "world_open": public and any(is_world(cidr) for cidr in networks),
        "backups_enabled": bool(backup.get("enabled", False)),
        "point_in_time_recovery": bool(
            backup.get("pointInTimeRecoveryEnabled", False) or backup.get("binaryLogEnabled", False)
        ),
        "cmek": instance.get("diskEncryptionConfiguration", {}).get("kmsKeyName") or None,
        "deletion_protection": bool(settings.get("deletionProtectionEnabled", False)),
        "database_flags": flags,
    }


class SqlConnector(Connector):
    name = "gcp.sql"
    provider = "gcp"
    description = "Cloud SQL instances: SSL enforcement, public exposure, backups and CMEK"
    regional = False
    kinds = (INSTANCE,)
    permissions = ("cloudsql.instances.list",)

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        project = ctx.session.project
        client = ctx.session.client("sqladmin", rest_factory(SQLADMIN), transport=None)
        found = ctx.attempt(lambda: list(client.list(f"v1/projects/{project}/instances", "items")))
        if isinstance(found, ConnectorError):
            raise found  # the one listing every observation depends on
        for instance in found:
            reads = ctx.reads("cloudsql.instances.list")
            for name, value in transform_instance(instance).items():
                reads.set(name, value)
            path = f"projects/{project}/instances/{instance['name']}"
            yield ctx.observe(INSTANCE.name, f"//sqladmin.googleapis.com/{path}", reads)
