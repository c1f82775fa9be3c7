"""KMS: customer-managed keys, their state, rotation and key policy, per region."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from annexa.connectors.aws.common import (
    iso,
    paginate,
    policy_document,
    public_statements,
    tags_dict,
)
from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.records import Observation

KEY = Kind(
    "aws.kms.key",
    "A customer-managed KMS key",
    {
        "key_id": "key id",
        "aliases": "alias names pointing at the key",
        "description": "the key's description",
        "state": "KeyState (Enabled, Disabled, PendingDeletion, ...)",
        "enabled": "Enabled flag",
        "key_spec": "KeySpec (SYMMETRIC_DEFAULT, RSA_2048, ...)",
        "key_usage": "KeyUsage (ENCRYPT_DECRYPT, SIGN_VERIFY, ...)",
        "origin": "AWS_KMS, EXTERNAL, AWS_CLOUDHSM or EXTERNAL_KEY_STORE",
        "multi_region": "MultiRegion",
        "created_at": "CreationDate",
        "deletion_date": "scheduled deletion date (null: none)",
        "rotation_applicable": "automatic rotation is possible (symmetric, KMS-generated material)",
        "rotation_enabled": "automatic rotation is on",
        "rotation_period_days": "rotation period (null: not reported)",
        "policy_public_statements": "key policy statements open to any principal",
        "tags": "key tags (secret-looking values redacted)",
    },
)

ROTATABLE_STATES = ("Enabled", "Disabled")
METADATA_FIELDS = (
    "aliases",
    "description",
    "state",
    "enabled",
    "key_spec",
    "key_usage",
    "origin",
    "multi_region",
    "created_at",
    "deletion_date",
    "rotation_applicable",
)


def rotation_applicable(meta: dict[str, Any]) -> bool:
    return (
        meta.get("KeySpec", meta.get("CustomerMasterKeySpec")) == "SYMMETRIC_DEFAULT"
        and meta.get("Origin") == "AWS_KMS"
        and meta.get("KeyUsage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
    )


def transform_key(meta: dict[str, Any], aliases: list[str]) -> dict[str, Any]:
    return {
        "aliases": sorted(aliases),
        "description": meta.get("Description", ""),
        "state": meta["KeyState"],
        "enabled": bool(meta.get("Enabled")),
        "key_spec": meta.get("KeySpec", meta.get("CustomerMasterKeySpec")),
        "key_usage": meta.get("KeyUsage"),
        "origin": meta.get("Origin"),
        "multi_region": bool(meta.get("MultiRegion", False)),
        "created_at": iso(meta.get("CreationDate")),
        "deletion_date": iso(meta.get("DeletionDate")),
        "rotation_applicable": rotation_applicable(meta),
    }


def get_rotation(kms: Any, meta: dict[str, Any]) -> dict[str, Any]:
    if not rotation_applicable(meta) or meta["KeyState"] not in ROTATABLE_STATES:
        return {"rotation_enabled": False, "rotation_period_days": None}
    status = kms.get_key_rotation_status(KeyId=meta["KeyId"])
    return {
        "rotation_enabled": bool(status.get("KeyRotationEnabled")),
        "rotation_period_days": status.get("RotationPeriodInDays"),
    }


class KmsConnector(Connector):
    name = "aws.kms"
    provider = "aws"
    description = "Customer-managed KMS keys: state, rotation, key policy, per region"
    regional = True
    kinds = (KEY,)
    permissions = (
        "kms:ListKeys",
        "kms:ListAliases",
        "kms:DescribeKey",
        "kms:GetKeyRotationStatus",
        "kms:GetKeyPolicy",
        "kms:ListResourceTags",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        kms = ctx.session.client("kms", ctx.scope.region)
        aliases: dict[str, list[str]] = defaultdict(list)
        for alias in paginate(kms, "list_aliases", "Aliases"):
            if alias.get("TargetKeyId"):
                aliases[alias["TargetKeyId"]].append(alias["AliasName"])
        keys = list(paginate(kms, "list_keys", "Keys"))
        for observation in ctx.map(lambda key: _key(ctx, kms, key, aliases), keys):
            if observation is not None:
                yield observation


def _key(
    ctx: UnitContext, kms: Any, key: dict[str, Any], aliases: dict[str, list[str]]
) -> Observation | None:
    key_id = key["KeyId"]
    reads = ctx.reads("kms:ListKeys", "kms:ListAliases")
    reads.set("key_id", key_id)
    described: list[dict[str, Any]] = []

    def describe() -> dict[str, Any]:
        described.append(kms.describe_key(KeyId=key_id)["KeyMetadata"])
        return transform_key(described[0], aliases.get(key_id, []))

    # A key policy can deny DescribeKey to the auditor: the key is then a gap, not skipped.
    reads.read_many(METADATA_FIELDS, describe)
    if described and described[0].get("KeyManager") != "CUSTOMER":
        return None  # AWS-managed keys are rotated by AWS and cannot be configured
    if reads.requires("rotation_enabled", ["state"]):
        meta = described[0]
        reads.read_many(
            ("rotation_enabled", "rotation_period_days"), lambda: get_rotation(kms, meta)
        )
    else:
        reads.requires("rotation_period_days", ["state"])
    reads.read(
        "policy_public_statements",
        lambda: public_statements(
            policy_document(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])
        ),
    )
    reads.read("tags", lambda: tags_dict(paginate(kms, "list_resource_tags", "Tags", KeyId=key_id)))
    return ctx.observe("aws.kms.key", key.get("KeyArn") or key_id, reads)
