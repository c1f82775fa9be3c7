"""The AWS provider: target schema, session opening and unit planning."""

from __future__ import annotations

import re
import threading
from typing import Literal

from pydantic import Field, field_validator

from annexa.connectors.aws.common import paginate
from annexa.connectors.aws.errors import translate
from annexa.connectors.aws.permissions import policy_document
from annexa.connectors.aws.session import AwsSession, ClientSettings
from annexa.connectors.base import Connector
from annexa.connectors.errors import ConnectorError
from annexa.connectors.provider import Provider, RuntimeSettings, TargetConfig, user_agent

REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d+$"
ROLE_ARN_PATTERN = r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$"


class AwsTarget(TargetConfig):
    """One AWS account, reached with a profile, the default credential chain or a role."""

    provider: Literal["aws"] = "aws"
    regions: tuple[str, ...] = Field(
        min_length=1,
        description="regions to collect; the first is the home region for global services",
    )
    profile: str | None = Field(default=None, description="named profile from ~/.aws/config")
    role_arn: str | None = Field(
        default=None, pattern=ROLE_ARN_PATTERN, description="read-only role to assume"
    )
    external_id: str | None = Field(
        default=None, description="ExternalId for the role trust policy"
    )
    role_session_name: str = Field(default="annexa", pattern=r"^[\w+=,.@-]{2,64}$")
    endpoint_url: str | None = Field(
        default=None,
        pattern=r"^https?://",
        description="endpoint override (VPC endpoints, tests); AWS_ENDPOINT_URL is honoured too",
    )

    organization: bool = Field(
        default=False,
        description="collect every active account of the organization these credentials manage",
    )
    member_role_name: str = Field(
        default="annexa-readonly",
        pattern=r"^[\w+=,.@/-]{1,64}$",
        description="role assumed in each member account (organization targets)",
    )
    member_external_id: str | None = Field(
        default=None, description="ExternalId required by the member role's trust policy"
    )
    accounts: tuple[str, ...] = Field(default=(), description="only these member accounts")
    exclude_accounts: tuple[str, ...] = Field(default=(), description="member accounts to skip")

    @field_validator("accounts", "exclude_accounts")
    @classmethod
    def _check_accounts(cls, accounts: tuple[str, ...]) -> tuple[str, ...]:
        for account in accounts:
            if not re.match(r"^\d{12}$", account):
                raise ValueError(f"{account!r} is not a 12-digit AWS account id")
        return accounts

    @field_validator("regions")
    @classmethod
    def _check_regions(cls, regions: tuple[str, ...]) -> tuple[str, ...]:
        for region in regions:
            if not re.match(REGION_PATTERN, region):
                raise ValueError(f"{region!r} is not an AWS region name (like 'eu-west-1')")
        if len(set(regions)) != len(regions):
            raise ValueError("a region is listed twice")
        return regions


class AwsProvider(Provider):
    """Opens guarded sessions; expands organization targets into one target per account.

    An organization target becomes ``<name>/<account id>`` targets: the management account is
    read with the target's own credentials, every member account through ``member_role_name``
    assumed from them. A member whose role cannot be assumed fails only its own units.
    """

    name = "aws"
    target_model = AwsTarget

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._parents: dict[str, AwsSession] = {}  # organization target name -> management session
        self._members: dict[str, str] = {}  # member target name -> organization target name

    def expand(self, target: AwsTarget, settings: RuntimeSettings) -> list[AwsTarget]:
        if not target.organization:
            return [target]
        management = self._open(target, settings)
        organizations = management.client("organizations")
        found = [
            account
            for account in paginate(organizations, "list_accounts", "Accounts")
            if account.get("Status") == "ACTIVE"
            and (not target.accounts or account["Id"] in target.accounts)
            and account["Id"] not in target.exclude_accounts
        ]
        members = []
        for account in sorted(found, key=lambda a: a["Id"]):
            is_management = account["Id"] == management.account
            role = (
                None
                if is_management
                else (
                    f"arn:{management.partition}:iam::{account['Id']}:role/{target.member_role_name}"
                )
            )
            member = target.model_copy(
                update={
                    "name": f"{target.name}/{account['Id']}",
                    "organization": False,
                    "role_arn": role,
                    "external_id": None if is_management else target.member_external_id,
                }
            )
            members.append(member)
        with self._lock:
            self._parents[target.name] = management
            self._members.update({m.name: target.name for m in members})
        return members

    def open_session(self, target: AwsTarget, settings: RuntimeSettings) -> AwsSession:
        with self._lock:
            parent = self._parents.get(self._members.get(target.name, ""))
        if parent is None:
            return self._open(target, settings)
        if target.role_arn is None:
            return parent  # the management account itself
        return parent.assume(
            target.role_arn, external_id=target.external_id, session_name=target.role_session_name
        )

    def _open(self, target: AwsTarget, settings: RuntimeSettings) -> AwsSession:
        client_settings = ClientSettings(
            endpoint_url=target.endpoint_url,
            max_attempts=settings.max_attempts,
            connect_timeout=settings.connect_timeout,
            read_timeout=settings.read_timeout,
            max_pool_connections=max(10, settings.max_workers),
            user_agent=user_agent(),
        )
        return AwsSession.open(
            client_settings,
            target.regions[0],
            profile=target.profile,
            role_arn=target.role_arn,
            external_id=target.external_id,
            session_name=target.role_session_name,
        )

    def scopes(self, target: AwsTarget, connector: type[Connector]) -> tuple[str, ...]:
        return target.regions if connector.regional else ("global",)

    def translate_error(self, exc: BaseException) -> ConnectorError | None:
        return translate(exc)

    def least_privilege(self, connectors: list[type[Connector]]) -> str | None:
        return policy_document(connectors)

    def placeholder_account(self, target: AwsTarget) -> str:
        account = target.name.rsplit("/", 1)[-1]
        return account if re.match(r"^\d{12}$", account) else super().placeholder_account(target)
