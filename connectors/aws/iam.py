"""IAM: users and their credentials, the root user, and the account password policy."""

from __future__ import annotations

import csv
import io
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from annexa.connectors.aws.common import days_between, grants_full_admin, has_code, iso, paginate
from annexa.connectors.base import Connector, Kind, Reads, UnitContext, Unreadable
from annexa.connectors.errors import TransientError
from annexa.connectors.records import Observation

ADMIN_MANAGED_POLICY = "AdministratorAccess"
ROOT_ROW = "<root_account>"
ROOT_REPORT_FIELDS = (
    "password_last_used",
    "access_key_1_active",
    "access_key_2_active",
    "days_since_last_use",
)

USER = Kind(
    "aws.iam.user",
    "An IAM user with its console password, MFA, access keys and directly granted policies",
    {
        "user_name": "the user's name",
        "created_at": "when the user was created",
        "console_access": "whether a console password (login profile) exists",
        "password_last_used": "last console sign-in, or null if never",
        "mfa_active": "whether at least one MFA device is assigned",
        "mfa_devices": "number of MFA devices",
        "access_keys": "keys: masked id, status, age in days, last use",
        "active_access_keys": "number of active access keys",
        "days_since_last_activity": "days since the last sign-in or key use (or since creation)",
        "attached_policies": "managed policies attached directly to the user",
        "inline_policies": "inline policies embedded in the user",
        "groups": "groups the user belongs to",
        "admin_policies": "directly attached or inline policies granting full administrator access",
        "admin_via_groups": "groups through which the user holds full administrator access",
    },
)
ROOT = Kind(
    "aws.iam.root",
    "The account's root user: MFA, access keys and recent use",
    {
        "mfa_active": "AccountMFAEnabled from the account summary",
        "access_keys_present": "AccountAccessKeysPresent from the account summary",
        "report_generated_at": "when the credential report was generated",
        "password_last_used": "root console sign-in from the credential report",
        "access_key_1_active": "root access key 1 active, from the credential report",
        "access_key_2_active": "root access key 2 active, from the credential report",
        "days_since_last_use": "days since root last signed in or used a key (null: never)",
    },
)
PASSWORD_POLICY = Kind(
    "aws.iam.password_policy",
    "The account password policy for IAM users",
    {
        "configured": "whether a password policy exists",
        "minimum_length": "MinimumPasswordLength",
        "require_symbols": "RequireSymbols",
        "require_numbers": "RequireNumbers",
        "require_uppercase": "RequireUppercaseCharacters",
        "require_lowercase": "RequireLowercaseCharacters",
        "allow_users_to_change": "AllowUsersToChangePassword",
        "max_age_days": "MaxPasswordAge (null: passwords do not expire)",
        "reuse_prevention": "PasswordReusePrevention (null: not set)",
        "hard_expiry": "HardExpiry",
    },
)


def mask_key_id(key_id: str) -> str:
    """Keep enough of an access key id to identify it in IAM, not enough to be a credential."""
    return f"{key_id[:4]}…{key_id[-4:]}" if len(key_id) > 8 else "…"


class PolicyCache:
    """Customer-managed policy documents and group grants, fetched once per unit."""

    def __init__(self, iam: Any) -> None:
        self._iam = iam
        self._lock = threading.Lock()
        self._admin: dict[str, bool] = {}

    def _memo(self, key: str, compute: Callable[[], bool]) -> bool:
        with self._lock:
            if key in self._admin:
                return self._admin[key]
        value = compute()
        with self._lock:
            self._admin[key] = value
        return value

    def managed_is_admin(self, arn: str) -> bool:
        if arn.endswith(f":policy/{ADMIN_MANAGED_POLICY}"):
            return True
        if ":aws:policy/" in arn:  # other AWS-managed policies are not full admin
            return False

        def fetch() -> bool:
            version = self._iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
            document = self._iam.get_policy_version(PolicyArn=arn, VersionId=version)
            return grants_full_admin(document["PolicyVersion"]["Document"])

        return self._memo(arn, fetch)

    def group_is_admin(self, group: str) -> bool:
        def fetch() -> bool:
            attached = paginate(
                self._iam, "list_attached_group_policies", "AttachedPolicies", GroupName=group
            )
            if any(self.managed_is_admin(p["PolicyArn"]) for p in attached):
                return True
            for name in paginate(self._iam, "list_group_policies", "PolicyNames", GroupName=group):
                doc = self._iam.get_group_policy(GroupName=group, PolicyName=name)["PolicyDocument"]
                if grants_full_admin(doc):
                    return True
            return False

        return self._memo(f"group:{group}", fetch)


def get_console_access(iam: Any, user: str) -> bool:
    try:
        iam.get_login_profile(UserName=user)
    except Exception as exc:
        if has_code(exc, "NoSuchEntity"):
            return False
        raise
    return True


def get_access_keys(iam: Any, user: str, now: datetime) -> list[dict[str, Any]]:
    keys = []
    for meta in paginate(iam, "list_access_keys", "AccessKeyMetadata", UserName=user):
        used = iam.get_access_key_last_used(AccessKeyId=meta["AccessKeyId"])["AccessKeyLastUsed"]
        last_used = used.get("LastUsedDate")
        keys.append(
            {
                "key_id": mask_key_id(meta["AccessKeyId"]),
                "status": meta["Status"],
                "created_at": iso(meta["CreateDate"]),
                "age_days": days_between(meta["CreateDate"], now),
                "last_used_at": iso(last_used),
                "days_since_last_use": days_between(last_used, now) if last_used else None,
            }
        )
    return keys


def get_password_policy(iam: Any) -> dict[str, Any]:
    try:
        policy = iam.get_account_password_policy()["PasswordPolicy"]
    except Exception as exc:
        if has_code(exc, "NoSuchEntity"):
            return dict.fromkeys(PASSWORD_POLICY.attributes) | {"configured": False}
        raise
    return transform_password_policy(policy)


def transform_password_policy(policy: dict[str, Any]) -> dict[str, Any]:
    return {
        "configured": True,
        "minimum_length": policy.get("MinimumPasswordLength", 6),
        "require_symbols": policy.get("RequireSymbols", False),
        "require_numbers": policy.get("RequireNumbers", False),
        "require_uppercase": policy.get("RequireUppercaseCharacters", False),
        "require_lowercase": policy.get("RequireLowercaseCharacters", False),
        "allow_users_to_change": policy.get("AllowUsersToChangePassword", False),
        "max_age_days": policy.get("MaxPasswordAge"),
        "reuse_prevention": policy.get("PasswordReusePrevention"),
        "hard_expiry": policy.get("HardExpiry", False),
    }


def get_credential_report(iam: Any, timeout: float = 60.0) -> tuple[datetime, list[dict[str, str]]]:
    """Generate (if needed) and fetch the credential report as a list of CSV rows."""
    deadline = time.monotonic() + timeout
    delay = 0.5
    while True:
        state = iam.generate_credential_report()["State"]
        if state == "COMPLETE":
            try:
                report = iam.get_credential_report()
            except Exception as exc:
                if not has_code(exc, "ReportInProgress", "ReportNotPresent", "ReportExpired"):
                    raise
            else:
                content = report["Content"]
                text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
                return report["GeneratedTime"], list(csv.DictReader(io.StringIO(text)))
        if time.monotonic() > deadline:
            raise TransientError(
                f"credential report not ready after {timeout:.0f}s",
                operation="iam:GetCredentialReport",
            )
        time.sleep(delay)
        delay = min(delay * 2, 5.0)


def _report_time(value: str | None) -> datetime | None:
    if not value or value in ("N/A", "no_information", "not_supported"):
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def transform_root_row(row: dict[str, str], now: datetime) -> dict[str, Any]:
    """Root-user facts from the credential report's ``<root_account>`` row."""
    used = [
        moment
        for moment in (
            _report_time(row.get("password_last_used")),
            _report_time(row.get("access_key_1_last_used_date")),
            _report_time(row.get("access_key_2_last_used_date")),
        )
        if moment is not None
    ]
    return {
        "password_last_used": iso(_report_time(row.get("password_last_used"))),
        "access_key_1_active": row.get("access_key_1_active") == "true",
        "access_key_2_active": row.get("access_key_2_active") == "true",
        "days_since_last_use": days_between(max(used), now) if used else None,
    }


class IamConnector(Connector):
    name = "aws.iam"
    provider = "aws"
    description = "IAM users, credentials, root user and password policy (global)"
    regional = False
    kinds = (USER, ROOT, PASSWORD_POLICY)
    permissions = (
        "iam:ListUsers",
        "iam:GetLoginProfile",
        "iam:ListMFADevices",
        "iam:ListAccessKeys",
        "iam:GetAccessKeyLastUsed",
        "iam:ListAttachedUserPolicies",
        "iam:ListUserPolicies",
        "iam:GetUserPolicy",
        "iam:ListGroupsForUser",
        "iam:ListAttachedGroupPolicies",
        "iam:ListGroupPolicies",
        "iam:GetGroupPolicy",
        "iam:GetPolicy",
        "iam:GetPolicyVersion",
        "iam:GetAccountPasswordPolicy",
        "iam:GetAccountSummary",
        "iam:GenerateCredentialReport",
        "iam:GetCredentialReport",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        iam = ctx.session.client("iam")
        account, partition = ctx.scope.account, ctx.session.partition

        policy = ctx.reads()
        policy.read_many(PASSWORD_POLICY.attributes, lambda: get_password_policy(iam))
        yield ctx.observe(
            "aws.iam.password_policy",
            f"arn:{partition}:iam::{account}:account-password-policy",
            policy,
        )
        yield ctx.observe("aws.iam.root", f"arn:{partition}:iam::{account}:root", _root(ctx, iam))

        cache = PolicyCache(iam)
        users = list(paginate(iam, "list_users", "Users"))
        yield from ctx.map(lambda user: _user(ctx, iam, cache, user), users)


def _root(ctx: UnitContext, iam: Any) -> Reads:
    reads = ctx.reads()
    reads.read_many(("mfa_active", "access_keys_present"), lambda: get_root_summary(iam))
    reads.read_many(
        ("report_generated_at", *ROOT_REPORT_FIELDS), lambda: get_root_report(iam, ctx.now())
    )
    return reads


def _user(ctx: UnitContext, iam: Any, cache: PolicyCache, user: dict[str, Any]) -> Observation:
    name, now = user["UserName"], ctx.now()
    reads = ctx.reads("iam:ListUsers")
    reads.set("user_name", name)
    reads.set("created_at", iso(user["CreateDate"]))
    reads.set("password_last_used", iso(user.get("PasswordLastUsed")))
    reads.read("console_access", lambda: get_console_access(iam, name))
    reads.read_many(("mfa_devices", "mfa_active"), lambda: get_mfa(iam, name))
    reads.read("access_keys", lambda: get_access_keys(iam, name, now))
    keys = reads.attributes.get("access_keys", [])
    reads.derive(
        "active_access_keys", ["access_keys"], lambda: sum(k["status"] == "Active" for k in keys)
    )
    reads.derive(
        "days_since_last_activity", ["access_keys"], lambda: _days_since_activity(user, keys, now)
    )
    reads.read("attached_policies", lambda: get_attached_policies(iam, name))
    reads.read(
        "inline_policies",
        lambda: list(paginate(iam, "list_user_policies", "PolicyNames", UserName=name)),
    )
    reads.read(
        "groups",
        lambda: [
            g["GroupName"] for g in paginate(iam, "list_groups_for_user", "Groups", UserName=name)
        ],
    )
    if reads.requires("admin_policies", ["attached_policies", "inline_policies"]):
        reads.read(
            "admin_policies",
            lambda: _admin_policies(
                iam,
                cache,
                name,
                reads.attributes["attached_policies"],
                reads.attributes["inline_policies"],
            ),
        )
    if reads.requires("admin_via_groups", ["groups"]):
        reads.read(
            "admin_via_groups",
            lambda: [g for g in reads.attributes["groups"] if cache.group_is_admin(g)],
        )
    return ctx.observe("aws.iam.user", user["Arn"], reads)


def get_root_summary(iam: Any) -> dict[str, bool]:
    summary = iam.get_account_summary()["SummaryMap"]
    return {
        "mfa_active": summary.get("AccountMFAEnabled") == 1,
        "access_keys_present": summary.get("AccountAccessKeysPresent") == 1,
    }


def get_root_report(iam: Any, now: datetime) -> dict[str, Any]:
    """Root-user facts from the credential report; real AWS always has the root row, moto not."""
    generated, rows = get_credential_report(iam)
    found: dict[str, Any] = {"report_generated_at": iso(generated)}
    row = next((r for r in rows if r.get("user") == ROOT_ROW), None)
    if row is None:
        missing = Unreadable(f"the credential report has no {ROOT_ROW} row")
        return found | dict.fromkeys(ROOT_REPORT_FIELDS, missing)
    return found | transform_root_row(row, now)


def get_mfa(iam: Any, user: str) -> dict[str, Any]:
    devices = len(list(paginate(iam, "list_mfa_devices", "MFADevices", UserName=user)))
    return {"mfa_devices": devices, "mfa_active": devices > 0}


def get_attached_policies(iam: Any, user: str) -> list[dict[str, str]]:
    return [
        {"name": p["PolicyName"], "arn": p["PolicyArn"]}
        for p in paginate(iam, "list_attached_user_policies", "AttachedPolicies", UserName=user)
    ]


def _admin_policies(
    iam: Any, cache: PolicyCache, user: str, attached: list[dict[str, str]], inline: list[str]
) -> list[str]:
    found = [p["name"] for p in attached if cache.managed_is_admin(p["arn"])]
    for policy_name in inline:
        doc = iam.get_user_policy(UserName=user, PolicyName=policy_name)["PolicyDocument"]
        if grants_full_admin(doc):
            found.append(policy_name)
    return found


def _days_since_activity(user: dict[str, Any], keys: list[dict[str, Any]], now: datetime) -> int:
    """Days since the user last signed in or used a key; since creation if never used."""
    candidates = [user.get("PasswordLastUsed")] + [
        datetime.fromisoformat(k["last_used_at"].replace("Z", "+00:00"))
        for k in keys
        if k["last_used_at"]
    ]
    used = [moment for moment in candidates if moment is not None]
    return days_between(max(used) if used else user["CreateDate"], now)
