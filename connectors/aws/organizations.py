"""AWS Organizations: the organization's guardrails and its accounts (from the management account).

In a member account the organization is still described (members may read it); the account list
needs the management account or a delegated administrator, and is a named gap elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.connectors.aws.common import has_code, iso, paginate, tags_dict
from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.errors import NotApplicable
from annexa.connectors.records import Observation

ORGANIZATION = Kind(
    "aws.organizations.organization",
    "The AWS organization this account belongs to, and its policy guardrails",
    {
        "organization_id": "the organization id",
        "management_account": "the management account id",
        "is_management_account": "whether this account is the management account",
        "feature_set": "ALL (policies available) or CONSOLIDATED_BILLING",
        "enabled_policy_types": "policy types enabled on the root (SERVICE_CONTROL_POLICY, ...)",
        "member_accounts": "number of active member accounts (management account only)",
    },
)
ACCOUNT = Kind(
    "aws.organizations.account",
    "An account of the organization, as the management account lists it",
    {
        "account_id": "the account id",
        "name": "the account name",
        "status": "ACTIVE, SUSPENDED or PENDING_CLOSURE",
        "joined_method": "INVITED or CREATED",
        "joined_at": "when the account joined",
        "tags": "account tags (owner, environment, ...)",
    },
)


def get_organization(client: Any) -> dict[str, Any]:
    try:
        return dict(client.describe_organization()["Organization"])
    except Exception as exc:
        if has_code(exc, "AWSOrganizationsNotInUseException"):
            raise NotApplicable("the account is not a member of an organization") from exc
        raise


def get_policy_types(client: Any) -> list[str]:
    roots = list(paginate(client, "list_roots", "Roots"))
    return sorted(
        p["Type"]
        for root in roots
        for p in root.get("PolicyTypes", [])
        if p.get("Status") == "ENABLED"
    )


class OrganizationsConnector(Connector):
    name = "aws.organizations"
    provider = "aws"
    description = "AWS Organizations: feature set, enabled policy types, member accounts (global)"
    regional = False
    kinds = (ORGANIZATION, ACCOUNT)
    permissions = (
        "organizations:DescribeOrganization",
        "organizations:ListRoots",
        "organizations:ListAccounts",
        "organizations:ListTagsForResource",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        client = ctx.session.client("organizations")
        organization = get_organization(client)
        management = organization["MasterAccountId"]
        is_management = management == ctx.scope.account
        reads = ctx.reads("organizations:DescribeOrganization")
        reads.set("organization_id", organization["Id"])
        reads.set("management_account", management)
        reads.set("is_management_account", is_management)
        reads.set("feature_set", organization.get("FeatureSet"))
        reads.read("enabled_policy_types", lambda: get_policy_types(client))
        accounts: list[dict[str, Any]] = []
        if is_management:
            reads.read("member_accounts", lambda: _active(accounts, client))
        yield ctx.observe("aws.organizations.organization", organization["Arn"], reads)
        yield from ctx.map(lambda account: _account(ctx, client, account), accounts)


def _active(accounts: list[dict[str, Any]], client: Any) -> int:
    accounts.extend(paginate(client, "list_accounts", "Accounts"))
    return sum(1 for a in accounts if a.get("Status") == "ACTIVE")


def _account(ctx: UnitContext, client: Any, account: dict[str, Any]) -> Observation:
    reads = ctx.reads("organizations:ListAccounts")
    reads.set("account_id", account["Id"])
    reads.set("name", account.get("Name", ""))
    reads.set("status", account.get("Status"))
    reads.set("joined_method", account.get("JoinedMethod"))
    reads.set("joined_at", iso(account.get("JoinedTimestamp")))
    reads.read(
        "tags",
        lambda: tags_dict(
            paginate(client, "list_tags_for_resource", "Tags", ResourceId=account["Id"])
        ),
    )
    return ctx.observe("aws.organizations.account", account["Arn"], reads)
