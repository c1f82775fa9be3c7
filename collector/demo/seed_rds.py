"""Demo seed: RDS databases.

In eu-west-1 a production PostgreSQL instance that is encrypted, private, backed up for two
weeks, protected against deletion and open to IAM authentication; a forgotten MySQL development
database that is unencrypted, reachable from the internet and backed up for a day only; and an
encrypted Aurora PostgreSQL cluster with one writer instance, whose backups last a single day.
"""

from __future__ import annotations

REGION = "eu-west-1"
# moto's fake databases need a master password; it is not evidence and never read back.
DEMO_PASSWORD = "demo-only-not-a-secret"  # noqa: S105


def seed() -> None:
    """Seed demo databases through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    rds = boto3.client("rds", region_name=REGION)
    rds.create_db_instance(
        DBInstanceIdentifier="orders-prod",
        Engine="postgres",
        EngineVersion="16.3",
        DBInstanceClass="db.m7g.large",
        AllocatedStorage=100,
        MasterUsername="orders_admin",
        MasterUserPassword=DEMO_PASSWORD,
        StorageEncrypted=True,
        PubliclyAccessible=False,
        BackupRetentionPeriod=14,
        DeletionProtection=True,
        EnableIAMDatabaseAuthentication=True,
        MultiAZ=True,
        Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "orders"}],
    )
    rds.create_db_instance(
        DBInstanceIdentifier="crm-dev",
        Engine="mysql",
        EngineVersion="8.0.36",
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin",
        MasterUserPassword=DEMO_PASSWORD,
        StorageEncrypted=False,
        PubliclyAccessible=True,
        BackupRetentionPeriod=1,
        AutoMinorVersionUpgrade=False,
        Tags=[{"Key": "env", "Value": "dev"}],
    )
    rds.create_db_cluster(
        DBClusterIdentifier="ledger",
        Engine="aurora-postgresql",
        EngineVersion="16.2",
        MasterUsername="ledger_admin",
        MasterUserPassword=DEMO_PASSWORD,
        StorageEncrypted=True,
        BackupRetentionPeriod=1,
        DeletionProtection=True,
        EnableIAMDatabaseAuthentication=True,
        Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "finance"}],
    )
    rds.create_db_instance(
        DBInstanceIdentifier="ledger-writer",
        Engine="aurora-postgresql",
        DBInstanceClass="db.r7g.large",
        DBClusterIdentifier="ledger",
        PubliclyAccessible=False,
        Tags=[{"Key": "env", "Value": "prod"}],
    )
