"""AWS Backup: backup plans and their rules, vaults and their lock, protected resources, per region.

A plan is observed with its rules (schedule, retention, target vault, copies) and the number of
resource selections that put resources under it; a vault with its encryption key, vault lock and
recovery point count; the region with what AWS Backup protects and how many plans select
resources. A selection that cannot be listed is a gap in the region's coverage, never "none".
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from annexa.connectors.aws.common import iso, paginate
from annexa.connectors.base import Connector, Kind, Reads, UnitContext
from annexa.connectors.records import Observation

PLAN = Kind(
    "aws.backup.plan",
    "An AWS Backup plan: its rules, their retention, and whether it selects any resources",
    {
        "name": "BackupPlanName",
        "plan_id": "BackupPlanId",
        "version_id": "VersionId of the current plan version",
        "created_at": "CreationDate",
        "last_execution_at": "LastExecutionDate (null: never ran)",
        "rules": "each rule's name, schedule, target vault, lifecycle and copy actions",
        "shortest_retention_days": "smallest DeleteAfterDays over the rules (null: none expire)",
        "selections": "number of resource selections assigned to the plan",
    },
)
VAULT = Kind(
    "aws.backup.vault",
    "An AWS Backup vault: encryption, vault lock and recovery points",
    {
        "name": "BackupVaultName",
        "vault_type": "VaultType (BACKUP_VAULT, LOGICALLY_AIR_GAPPED_BACKUP_VAULT, ...)",
        "created_at": "CreationDate",
        "encryption_key_arn": "KMS key encrypting the recovery points (null: not reported)",
        "encrypted": "a KMS key encrypts the vault",
        "recovery_points": "NumberOfRecoveryPoints",
        "locked": "vault lock is in place (Locked from DescribeBackupVault)",
        "lock_mode": "governance, compliance-grace (until lock_date) or compliance (null: none)",
        "min_retention_days": "vault lock minimum retention (null: none)",
        "max_retention_days": "vault lock maximum retention (null: none)",
        "lock_date": "when the lock becomes immutable (null: governance mode or no lock)",
    },
)
REGION = Kind(
    "aws.backup.region",
    "What AWS Backup protects in a region and how many plans select resources",
    {
        "plans": "number of backup plans",
        "plans_with_selections": "number of plans with at least one resource selection",
        "vaults": "number of backup vaults",
        "protected_resources": "number of resources with at least one recovery point",
        "protected_by_type": "protected resources counted by resource type (EC2, RDS, EFS, ...)",
    },
)


def transform_rule(rule: dict[str, Any]) -> dict[str, Any]:
    lifecycle = rule.get("Lifecycle") or {}
    return {
        "name": rule["RuleName"],
        "schedule": rule.get("ScheduleExpression"),
        "timezone": rule.get("ScheduleExpressionTimezone"),
        "target_vault": rule["TargetBackupVaultName"],
        "continuous": bool(rule.get("EnableContinuousBackup", False)),
        "delete_after_days": lifecycle.get("DeleteAfterDays"),
        "cold_storage_after_days": lifecycle.get("MoveToColdStorageAfterDays"),
        "copy_actions": [
            {
                "destination_vault_arn": copy["DestinationBackupVaultArn"],
                "delete_after_days": (copy.get("Lifecycle") or {}).get("DeleteAfterDays"),
            }
            for copy in rule.get("CopyActions") or []
        ],
    }


def shortest_retention(rules: list[dict[str, Any]]) -> int | None:
    """The smallest retention over a plan's rules; rules without DeleteAfterDays keep forever."""
    days = [r["delete_after_days"] for r in rules if r["delete_after_days"] is not None]
    return min(days) if days else None


def get_plan_rules(backup: Any, plan_id: str) -> dict[str, Any]:
    plan = backup.get_backup_plan(BackupPlanId=plan_id)["BackupPlan"]
    rules = [transform_rule(rule) for rule in plan.get("Rules", [])]
    return {"rules": rules, "shortest_retention_days": shortest_retention(rules)}


def get_selection_count(backup: Any, plan_id: str) -> int:
    return sum(
        1
        for _ in paginate(
            backup, "list_backup_selections", "BackupSelectionsList", BackupPlanId=plan_id
        )
    )


def lock_mode(locked: bool, lock_date: datetime | None, now: datetime) -> str | None:
    """Governance mode has no lock date; compliance mode becomes immutable at its lock date."""
    if not locked:
        return None
    if lock_date is None:
        return "governance"
    return "compliance" if lock_date <= now else "compliance-grace"


def get_vault_lock(backup: Any, name: str, now: datetime) -> dict[str, Any]:
    vault = backup.describe_backup_vault(BackupVaultName=name)
    locked = bool(vault.get("Locked", False))
    return {
        "locked": locked,
        "lock_mode": lock_mode(locked, vault.get("LockDate"), now),
        "min_retention_days": vault.get("MinRetentionDays"),
        "max_retention_days": vault.get("MaxRetentionDays"),
        "lock_date": iso(vault.get("LockDate")),
    }


def transform_vault(vault: dict[str, Any]) -> dict[str, Any]:
    key = vault.get("EncryptionKeyArn") or None
    return {
        "name": vault["BackupVaultName"],
        "vault_type": vault.get("VaultType", "BACKUP_VAULT"),
        "created_at": iso(vault.get("CreationDate")),
        "encryption_key_arn": key,
        "encrypted": key is not None,
        "recovery_points": vault.get("NumberOfRecoveryPoints"),
    }


def get_protected(backup: Any) -> dict[str, Any]:
    by_type = Counter(
        str(resource.get("ResourceType", "unknown"))
        for resource in paginate(backup, "list_protected_resources", "Results")
    )
    return {"protected_resources": sum(by_type.values()), "protected_by_type": dict(by_type)}


class BackupConnector(Connector):
    name = "aws.backup"
    provider = "aws"
    description = "AWS Backup plans, vaults with their lock, and protected resources, per region"
    regional = True
    kinds = (PLAN, VAULT, REGION)
    permissions = (
        "backup:ListBackupPlans",
        "backup:GetBackupPlan",
        "backup:ListBackupSelections",
        "backup:ListBackupVaults",
        "backup:DescribeBackupVault",
        "backup:ListProtectedResources",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        backup = ctx.session.client("backup", ctx.scope.region)
        plans = list(paginate(backup, "list_backup_plans", "BackupPlansList"))
        vaults = list(paginate(backup, "list_backup_vaults", "BackupVaultList"))
        plan_reads = list(ctx.map(lambda plan: _plan(ctx, backup, plan), plans))
        for plan, reads in zip(plans, plan_reads, strict=True):
            yield ctx.observe("aws.backup.plan", plan["BackupPlanArn"], reads)
        yield from ctx.map(lambda vault: _vault(ctx, backup, vault), vaults)
        yield _region(ctx, backup, plan_reads, len(vaults))


def _plan(ctx: UnitContext, backup: Any, plan: dict[str, Any]) -> Reads:
    plan_id = plan["BackupPlanId"]
    reads = ctx.reads("backup:ListBackupPlans")
    reads.set("name", plan.get("BackupPlanName"))
    reads.set("plan_id", plan_id)
    reads.set("version_id", plan.get("VersionId"))
    reads.set("created_at", iso(plan.get("CreationDate")))
    reads.set("last_execution_at", iso(plan.get("LastExecutionDate")))
    reads.read_many(("rules", "shortest_retention_days"), lambda: get_plan_rules(backup, plan_id))
    reads.read("selections", lambda: get_selection_count(backup, plan_id))
    return reads


def _vault(ctx: UnitContext, backup: Any, vault: dict[str, Any]) -> Observation:
    reads = ctx.reads("backup:ListBackupVaults")
    for name, value in transform_vault(vault).items():
        reads.set(name, value)
    reads.read_many(
        ("locked", "lock_mode", "min_retention_days", "max_retention_days", "lock_date"),
        lambda: get_vault_lock(backup, vault["BackupVaultName"], ctx.now()),
    )
    return ctx.observe("aws.backup.vault", vault["BackupVaultArn"], reads)


def _region(ctx: UnitContext, backup: Any, plans: list[Reads], vaults: int) -> Observation:
    region, account = ctx.scope.region, ctx.scope.account
    summary = ctx.reads("backup:ListBackupPlans", "backup:ListBackupVaults")
    summary.set("plans", len(plans))
    summary.set("vaults", vaults)
    selecting = sum(1 for p in plans if (p.attributes.get("selections") or 0) > 0)
    unreadable = [p.gaps["selections"] for p in plans if "selections" in p.gaps]
    if selecting or not unreadable:
        summary.set("plans_with_selections", selecting)
    else:
        # No plan is known to select resources, but some selections could not be listed.
        summary.gaps["plans_with_selections"] = f"could not list selections: {unreadable[0]}"
    summary.read_many(("protected_resources", "protected_by_type"), lambda: get_protected(backup))
    return ctx.observe(
        "aws.backup.region",
        f"arn:{ctx.session.partition}:backup:{region}:{account}:region",
        summary,
    )
