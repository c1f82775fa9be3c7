"""Pass and fail examples for the RDS rules (DB instances and DB clusters)."""

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1f2e3d4c-5b6a-4789-8abc-def012345678"


def _instance(**extra: object) -> dict:
    return {
        "identifier": "orders-db",
        "engine": "postgres",
        "engine_version": "16.3",
        "cluster_identifier": None,
        "replica_source": None,
        "storage_encrypted": True,
        "encryption_type": "sse-kms",
        "kms_key_id": KEY,
        "publicly_accessible": False,
        "backup_retention_days": 14,
        "deletion_protection": True,
        "iam_auth_enabled": True,
        "auto_minor_version_upgrade": True,
        **extra,
    }


def _cluster(**extra: object) -> dict:
    return {
        "identifier": "ledger",
        "engine": "aurora-postgresql",
        "engine_version": "16.2",
        "storage_encrypted": True,
        "encryption_type": "sse-kms",
        "kms_key_id": KEY,
        "publicly_accessible": None,
        "backup_retention_days": 35,
        "deletion_protection": True,
        "iam_auth_enabled": True,
        "auto_minor_version_upgrade": True,
        **extra,
    }


EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.rds.instance.storage-encrypted": (
        _instance(),
        _instance(storage_encrypted=False, encryption_type="none", kms_key_id=None),
    ),
    "aws.rds.cluster.storage-encrypted": (
        _cluster(encryption_type="sse-rds", kms_key_id=None),  # an AWS owned key
        _cluster(storage_encrypted=False, encryption_type="none", kms_key_id=None),
    ),
    "aws.rds.instance.not-publicly-accessible": (
        _instance(),
        _instance(engine="mysql", publicly_accessible=True),
    ),
    "aws.rds.cluster.not-publicly-accessible": (
        _cluster(engine="postgres", publicly_accessible=False),
        _cluster(engine="mysql", publicly_accessible=True),
    ),
    "aws.rds.instance.backup-retention": (
        _instance(backup_retention_days=7),
        _instance(backup_retention_days=1),
    ),
    "aws.rds.cluster.backup-retention": (
        _cluster(),
        _cluster(backup_retention_days=1),
    ),
    "aws.rds.instance.deletion-protection": (
        _instance(),
        _instance(deletion_protection=False),
    ),
    "aws.rds.cluster.deletion-protection": (
        _cluster(),
        _cluster(deletion_protection=False),
    ),
    "aws.rds.instance.iam-authentication": (
        _instance(engine="mariadb"),
        _instance(engine="mysql", iam_auth_enabled=False),
    ),
    "aws.rds.cluster.iam-authentication": (
        _cluster(),
        _cluster(engine="aurora-mysql", iam_auth_enabled=False),
    ),
    "aws.rds.instance.auto-minor-version-upgrade": (
        _instance(),
        _instance(auto_minor_version_upgrade=False),
    ),
    "aws.rds.cluster.auto-minor-version-upgrade": (
        _cluster(engine="postgres"),
        _cluster(auto_minor_version_upgrade=False),
    ),
}
