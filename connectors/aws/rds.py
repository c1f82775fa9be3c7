"""RDS: DB instances and DB clusters (Aurora and Multi-AZ), per region.

Two paginated listings per region and no call per resource: DescribeDBInstances and
DescribeDBClusters both carry the resource's tags in ``TagList``. A failed listing of one is
noted on the unit (``partial``) and the other is still observed; when both fail the unit fails
with the instances' error.

Storage encryption counts when ``StorageEncrypted`` is true or ``StorageEncryptionType`` is
``sse-kms`` or ``sse-rds``: clusters encrypted with an AWS owned key (every new Aurora cluster
since February 2026) report ``StorageEncrypted`` false and ``StorageEncryptionType`` ``sse-rds``,
and their data at rest is encrypted all the same.

An instance that belongs to a cluster (``DBClusterIdentifier``: an Aurora or Multi-AZ DB cluster
member) takes its storage encryption, automated backups, deletion protection and IAM database
authentication from the cluster: the rules judge those on the cluster and are not applicable to
the member. Public accessibility is a per-instance setting, except on Multi-AZ DB clusters,
which report ``PubliclyAccessible`` for the cluster; Aurora clusters do not (moto invents a
value), so ``publicly_accessible`` is null for them. An instance answer without
``PubliclyAccessible`` (AWS always sends it; moto drops it from Aurora members created without
it) makes the attribute a gap, never a private instance. A read replica (``replica_source``) is
backed up through its source, which is judged on its own.

The same API also lists DocumentDB and Neptune instances and clusters; they are observed with
their ``engine`` and judged by the same rules where the setting exists for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any

from annexa.connectors.aws.common import paginate, tags_dict
from annexa.connectors.base import Connector, Kind, UnitContext, Unreadable
from annexa.connectors.errors import ConnectorError
from annexa.connectors.records import Observation

DESCRIBE_DB = "rds:DescribeDBInstances"
DESCRIBE_CLUSTERS = "rds:DescribeDBClusters"
TAGS = "resource tags (secret-looking values redacted)"
PAGE_SIZE = 100  # the largest MaxRecords both listings accept
ENCRYPTED_TYPES = ("sse-kms", "sse-rds")
ENCRYPTED = (
    "data at rest is encrypted: StorageEncrypted, or StorageEncryptionType sse-kms or sse-rds"
)
ENCRYPTION_TYPE = (
    "StorageEncryptionType: none, sse-rds (an AWS owned key), sse-kms (an AWS managed or "
    "customer managed KMS key); null: not reported"
)
KMS_KEY = "KmsKeyId of the storage encryption key (null: not encrypted, or an AWS owned key)"

INSTANCE = Kind(
    "aws.rds.instance",
    "An RDS DB instance: encryption, network exposure, backups, deletion protection, "
    "authentication and patching",
    {
        "identifier": "DBInstanceIdentifier",
        "engine": "Engine (mysql, postgres, aurora-postgresql, ...)",
        "engine_version": "EngineVersion",
        "instance_class": "DBInstanceClass",
        "status": "DBInstanceStatus",
        "cluster_identifier": "DBClusterIdentifier of the cluster the instance belongs to "
        "(null: a standalone instance); members inherit encryption, backups, deletion protection "
        "and IAM authentication from the cluster",
        "replica_source": "the source instance or cluster of a read replica (null: not a replica)",
        "storage_encrypted": ENCRYPTED,
        "encryption_type": ENCRYPTION_TYPE,
        "kms_key_id": KMS_KEY,
        "publicly_accessible": "PubliclyAccessible: the endpoint resolves to a public address",
        "backup_retention_days": "BackupRetentionPeriod in days (0: automated backups off)",
        "deletion_protection": "DeletionProtection",
        "iam_auth_enabled": "IAMDatabaseAuthenticationEnabled",
        "auto_minor_version_upgrade": "AutoMinorVersionUpgrade",
        "multi_az": "MultiAZ",
        "ca_certificate": "CACertificateIdentifier of the server certificate",
        "tags": TAGS,
    },
)
CLUSTER = Kind(
    "aws.rds.cluster",
    "An RDS DB cluster (Aurora or Multi-AZ): encryption, backups, deletion protection, "
    "authentication, and network exposure where the cluster reports it",
    {
        "identifier": "DBClusterIdentifier",
        "engine": "Engine (aurora-mysql, aurora-postgresql, mysql, postgres, ...)",
        "engine_version": "EngineVersion",
        "status": "Status",
        "storage_encrypted": ENCRYPTED,
        "encryption_type": ENCRYPTION_TYPE,
        "kms_key_id": KMS_KEY,
        "publicly_accessible": "PubliclyAccessible of a Multi-AZ DB cluster (null: Aurora and "
        "other clusters, where each instance has its own setting)",
        "backup_retention_days": "BackupRetentionPeriod in days",
        "deletion_protection": "DeletionProtection",
        "iam_auth_enabled": "IAMDatabaseAuthenticationEnabled",
        "auto_minor_version_upgrade": "AutoMinorVersionUpgrade (null: not reported)",
        "members": "member instances: {identifier, writer}",
        "tags": TAGS,
    },
)


def _public(db: dict[str, Any]) -> bool | Unreadable:
    """AWS always reports an instance's accessibility; if it does not, that is a gap, not a pass."""
    value = db.get("PubliclyAccessible")
    return Unreadable("PubliclyAccessible not reported") if value is None else bool(value)


def encrypted(db: dict[str, Any]) -> bool:
    """Encrypted at rest with any key, including an AWS owned one (``StorageEncrypted`` false)."""
    return bool(db.get("StorageEncrypted")) or db.get("StorageEncryptionType") in ENCRYPTED_TYPES


def transform_instance(db: dict[str, Any]) -> dict[str, Any]:
    return {
        "identifier": db["DBInstanceIdentifier"],
        "engine": db["Engine"],
        "engine_version": db.get("EngineVersion"),
        "instance_class": db.get("DBInstanceClass"),
        "status": db.get("DBInstanceStatus"),
        "cluster_identifier": db.get("DBClusterIdentifier"),
        "replica_source": db.get("ReadReplicaSourceDBInstanceIdentifier")
        or db.get("ReadReplicaSourceDBClusterIdentifier"),
        "storage_encrypted": encrypted(db),
        "encryption_type": db.get("StorageEncryptionType"),
        "kms_key_id": db.get("KmsKeyId"),
        "publicly_accessible": _public(db),
        "backup_retention_days": db.get("BackupRetentionPeriod", 0),
        "deletion_protection": bool(db.get("DeletionProtection")),
        "iam_auth_enabled": bool(db.get("IAMDatabaseAuthenticationEnabled")),
        "auto_minor_version_upgrade": bool(db.get("AutoMinorVersionUpgrade")),
        "multi_az": bool(db.get("MultiAZ")),
        "ca_certificate": db.get("CACertificateIdentifier"),
        "tags": tags_dict(db.get("TagList")),
    }


def cluster_publicly_accessible(cluster: dict[str, Any]) -> bool | None:
    """The cluster's own setting where it has one: Multi-AZ DB clusters, never Aurora."""
    if str(cluster["Engine"]).startswith("aurora"):
        return None
    value = cluster.get("PubliclyAccessible")
    return None if value is None else bool(value)


def transform_cluster(cluster: dict[str, Any]) -> dict[str, Any]:
    auto_minor = cluster.get("AutoMinorVersionUpgrade")
    return {
        "identifier": cluster["DBClusterIdentifier"],
        "engine": cluster["Engine"],
        "engine_version": cluster.get("EngineVersion"),
        "status": cluster.get("Status"),
        "storage_encrypted": encrypted(cluster),
        "encryption_type": cluster.get("StorageEncryptionType"),
        "kms_key_id": cluster.get("KmsKeyId"),
        "publicly_accessible": cluster_publicly_accessible(cluster),
        "backup_retention_days": cluster.get("BackupRetentionPeriod", 0),
        "deletion_protection": bool(cluster.get("DeletionProtection")),
        "iam_auth_enabled": bool(cluster.get("IAMDatabaseAuthenticationEnabled")),
        "auto_minor_version_upgrade": None if auto_minor is None else bool(auto_minor),
        "members": [
            {"identifier": m["DBInstanceIdentifier"], "writer": bool(m.get("IsClusterWriter"))}
            for m in cluster.get("DBClusterMembers") or []
        ],
        "tags": tags_dict(cluster.get("TagList")),
    }


def _list(rds: Any, operation: str, key: str) -> list[dict[str, Any]]:
    return list(paginate(rds, operation, key, MaxRecords=PAGE_SIZE))


class RdsConnector(Connector):
    name = "aws.rds"
    provider = "aws"
    description = "RDS instances and clusters: encryption, public access, backups, IAM auth"
    regional = True
    kinds = (INSTANCE, CLUSTER)
    permissions = (DESCRIBE_DB, DESCRIBE_CLUSTERS)

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        rds = ctx.session.client("rds", ctx.scope.region)
        listings = {
            "DB instances": ("describe_db_instances", "DBInstances"),
            "DB clusters": ("describe_db_clusters", "DBClusters"),
        }
        found = ctx.attempt_all(
            "RDS",
            {
                family: partial(_list, rds, operation, key)
                for family, (operation, key) in listings.items()
            },
        )
        instances, clusters = found["DB instances"], found["DB clusters"]
        if not isinstance(instances, ConnectorError):
            for db in instances:
                arn = db["DBInstanceArn"]
                yield _observe(ctx, INSTANCE.name, arn, DESCRIBE_DB, transform_instance(db))
        if not isinstance(clusters, ConnectorError):
            for cluster in clusters:
                arn = cluster["DBClusterArn"]
                yield _observe(
                    ctx, CLUSTER.name, arn, DESCRIBE_CLUSTERS, transform_cluster(cluster)
                )


def _observe(
    ctx: UnitContext, kind: str, resource_id: str, source: str, attributes: dict[str, Any]
) -> Observation:
    """One resource from its listing entry; an :class:`Unreadable` value becomes a gap."""
    reads = ctx.reads(source)
    for name, value in attributes.items():
        if isinstance(value, Unreadable):
            reads.gaps[name] = value.reason
        else:
            reads.set(name, value)
    return ctx.observe(kind, resource_id, reads)
