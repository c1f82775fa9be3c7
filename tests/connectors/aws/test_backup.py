"""AWS Backup through boto3 against moto over HTTP; selections and protected resources via Stubber.

moto 5.2.5 implements plans, vaults and vault lock, but not ListBackupSelections (HTTP 500) nor
ListProtectedResources (HTTP 404): against moto those become gaps, and real AWS's answers are
played through ``botocore.stub.Stubber``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.stub import Stubber

from annexa.connectors.aws.backup import BackupConnector, lock_mode
from tests.support.aws import ACCOUNT, by_id, client, open_session, run_unit

KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
PLAN_ARN = f"arn:aws:backup:eu-west-1:{ACCOUNT}:backup-plan:plan-1"
VAULT_ARN = f"arn:aws:backup:eu-west-1:{ACCOUNT}:backup-vault:prod"


def plan(name: str, vault: str, days: int | None, copy_to: str | None = None) -> dict:
    rule: dict = {"RuleName": f"{name}-rule", "TargetBackupVaultName": vault}
    if days is not None:
        rule["Lifecycle"] = {"DeleteAfterDays": days}
    if copy_to:
        rule["CopyActions"] = [
            {"DestinationBackupVaultArn": copy_to, "Lifecycle": {"DeleteAfterDays": 90}}
        ]
    return {"BackupPlanName": name, "Rules": [rule]}


@pytest.fixture
def estate(moto: str) -> str:
    eu = client(moto, "backup", "eu-west-1")
    eu.create_backup_vault(BackupVaultName="prod", EncryptionKeyArn=KEY_ARN)
    eu.put_backup_vault_lock_configuration(
        BackupVaultName="prod", MinRetentionDays=7, MaxRetentionDays=365
    )
    eu.create_backup_vault(BackupVaultName="scratch")
    eu.create_backup_plan(BackupPlan=plan("daily", "prod", 35, copy_to=VAULT_ARN))
    eu.create_backup_plan(BackupPlan=plan("forever", "prod", None))
    client(moto, "backup", "us-east-1").create_backup_plan(BackupPlan=plan("short", "x", 7))
    return moto


def by_name(observations, kind: str) -> dict[str, dict]:
    return {o.attributes["name"]: o for o in by_id(observations, kind).values()}


def test_plans_and_vaults_in_two_regions(estate: str) -> None:
    session = open_session(estate)
    eu, _ = run_unit(BackupConnector, estate, "eu-west-1", session)
    us, _ = run_unit(BackupConnector, estate, "us-east-1", session)

    plans = by_name(eu, "aws.backup.plan")
    assert set(plans) == {"daily", "forever"}
    daily = plans["daily"].attributes
    assert daily["shortest_retention_days"] == 35
    [rule] = daily["rules"]
    assert rule["target_vault"] == "prod" and rule["delete_after_days"] == 35
    assert rule["schedule"] == "cron(0 5 ? * * *)"  # moto's default, as AWS's
    assert rule["copy_actions"] == [{"destination_vault_arn": VAULT_ARN, "delete_after_days": 90}]
    assert plans["forever"].attributes["shortest_retention_days"] is None
    # moto answers ListBackupSelections with HTTP 500: a gap, never "no selections".
    assert "TransientError" in plans["daily"].gaps["selections"]

    vaults = by_name(eu, "aws.backup.vault")
    prod, scratch = vaults["prod"].attributes, vaults["scratch"].attributes
    assert prod["encrypted"] is True and prod["encryption_key_arn"] == KEY_ARN
    assert prod["locked"] is True and prod["lock_mode"] == "governance"
    assert (prod["min_retention_days"], prod["max_retention_days"]) == (7, 365)
    assert prod["recovery_points"] == 0
    assert scratch["encrypted"] is False and scratch["locked"] is False
    assert scratch["lock_mode"] is None
    assert vaults["prod"].resource_id == VAULT_ARN

    [region] = by_id(eu, "aws.backup.region").values()
    assert region.attributes["plans"] == 2 and region.attributes["vaults"] == 2
    assert "plans_with_selections" in region.gaps
    assert "protected_resources" in region.gaps  # moto: ListProtectedResources is a 404
    assert region.resource_id == f"arn:aws:backup:eu-west-1:{ACCOUNT}:region"

    [short] = by_name(us, "aws.backup.plan").values()
    assert short.attributes["shortest_retention_days"] == 7
    assert not by_id(us, "aws.backup.vault")


def test_real_aws_selections_and_protected_resources(moto: str) -> None:
    """moto lacks ListBackupSelections and ListProtectedResources; real AWS's shapes, stubbed."""
    session = open_session(moto)
    backup = session.client("backup", "eu-west-1")
    now = datetime.now(UTC)
    with Stubber(backup) as stub:
        stub.add_response(
            "list_backup_plans",
            {
                "BackupPlansList": [
                    {"BackupPlanArn": PLAN_ARN, "BackupPlanId": "plan-1", "BackupPlanName": "daily"}
                ]
            },
        )
        stub.add_response(
            "list_backup_vaults",
            {
                "BackupVaultList": [
                    {
                        "BackupVaultName": "prod",
                        "BackupVaultArn": VAULT_ARN,
                        "EncryptionKeyArn": KEY_ARN,
                        "NumberOfRecoveryPoints": 42,
                    }
                ]
            },
        )
        stub.add_response(
            "get_backup_plan",
            {"BackupPlan": plan("daily", "prod", 35)},
            {"BackupPlanId": "plan-1"},
        )
        stub.add_response(
            "list_backup_selections",
            {
                "BackupSelectionsList": [
                    {"SelectionId": "s-1", "SelectionName": "tagged", "BackupPlanId": "plan-1"}
                ]
            },
            {"BackupPlanId": "plan-1"},
        )
        stub.add_response(
            "describe_backup_vault",
            {
                "BackupVaultName": "prod",
                "Locked": True,
                "MinRetentionDays": 7,
                "MaxRetentionDays": 365,
                "LockDate": now - timedelta(days=3),
            },
            {"BackupVaultName": "prod"},
        )
        stub.add_response(
            "list_protected_resources",
            {
                "Results": [
                    {"ResourceArn": "arn:1", "ResourceType": "RDS"},
                    {"ResourceArn": "arn:2", "ResourceType": "RDS"},
                    {"ResourceArn": "arn:3", "ResourceType": "EFS"},
                ]
            },
        )
        observations, _ = run_unit(BackupConnector, moto, "eu-west-1", session)
        stub.assert_no_pending_responses()

    [daily] = by_id(observations, "aws.backup.plan").values()
    assert daily.attributes["selections"] == 1 and not daily.gaps
    [vault] = by_id(observations, "aws.backup.vault").values()
    assert vault.attributes["recovery_points"] == 42
    assert vault.attributes["lock_mode"] == "compliance" and vault.attributes["lock_date"]
    [region] = by_id(observations, "aws.backup.region").values()
    assert region.attributes["plans_with_selections"] == 1
    assert region.attributes["protected_resources"] == 3
    assert region.attributes["protected_by_type"] == {"RDS": 2, "EFS": 1}
    assert not region.gaps


def test_lock_modes() -> None:
    now = datetime.now(UTC)
    assert lock_mode(False, None, now) is None
    assert lock_mode(True, None, now) == "governance"
    assert lock_mode(True, now + timedelta(days=3), now) == "compliance-grace"
    assert lock_mode(True, now - timedelta(days=3), now) == "compliance"


def test_denied_vault_describe_is_a_gap(estate: str, proxy) -> None:
    proxy.deny(service="backup", operation="GET /backup-vaults/prod?")
    observations, _ = run_unit(BackupConnector, proxy.url, "eu-west-1")
    vaults = by_name(observations, "aws.backup.vault")
    assert "PermissionDenied" in vaults["prod"].gaps["locked"]
    assert "locked" not in vaults["prod"].attributes
    assert vaults["prod"].attributes["encrypted"] is True  # from ListBackupVaults
    assert vaults["scratch"].attributes["locked"] is False


def test_denied_backup_is_a_denied_unit(estate: str, proxy) -> None:
    proxy.deny(service="backup", region="eu-west-1")
    with pytest.raises(Exception, match="AccessDenied"):
        run_unit(BackupConnector, proxy.url, "eu-west-1")
