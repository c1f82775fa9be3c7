"""Demo seed: AWS Backup.

In eu-west-1 a locked, KMS-encrypted production vault kept by a 35-day daily plan with a copy to
us-east-1, next to an unlocked scratch vault without a key and a weekly plan that keeps backups
for only 7 days. moto cannot create or list backup selections, nor list protected resources, so
the demo shows those as gaps, exactly as a denied API would in a real account.
"""

from __future__ import annotations

ACCOUNT = "123456789012"


def seed() -> None:
    """Seed AWS Backup through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    backup = boto3.client("backup", region_name="eu-west-1")
    key = boto3.client("kms", region_name="eu-west-1").create_key(Description="backup vault key")
    backup.create_backup_vault(
        BackupVaultName="prod-vault", EncryptionKeyArn=key["KeyMetadata"]["Arn"]
    )
    backup.put_backup_vault_lock_configuration(
        BackupVaultName="prod-vault", MinRetentionDays=7, MaxRetentionDays=3650
    )
    backup.create_backup_vault(BackupVaultName="scratch-vault")
    boto3.client("backup", region_name="us-east-1").create_backup_vault(BackupVaultName="dr-vault")
    backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "daily-35",
            "Rules": [
                {
                    "RuleName": "daily",
                    "TargetBackupVaultName": "prod-vault",
                    "ScheduleExpression": "cron(0 3 * * ? *)",
                    "Lifecycle": {"DeleteAfterDays": 35},
                    "CopyActions": [
                        {
                            "DestinationBackupVaultArn": (
                                f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:dr-vault"
                            ),
                            "Lifecycle": {"DeleteAfterDays": 90},
                        }
                    ],
                }
            ],
        }
    )
    backup.create_backup_plan(
        BackupPlan={
            "BackupPlanName": "weekly-short",
            "Rules": [
                {
                    "RuleName": "weekly",
                    "TargetBackupVaultName": "scratch-vault",
                    "ScheduleExpression": "cron(0 4 ? * SUN *)",
                    "Lifecycle": {"DeleteAfterDays": 7},
                }
            ],
        }
    )
