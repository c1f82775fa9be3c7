"""The CIS AWS Foundations Benchmark's CloudWatch monitoring events and their filter patterns.

Each event (section 4 of CIS v1.4 and v3, Security Hub CloudWatch.1-14) is the set of
comparisons its metric filter pattern must contain. A pattern matches when it holds every
required comparison, whatever its spacing, quoting or operator case, and adds nothing that
narrows it; patterns defined by a list of event names may list more names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

Term = tuple[str, str, str]  # (field under $., operator, value without quotes)
# One comparison of a JSON filter pattern: $.field = value, $.field != "value", $.field NOT EXISTS.
TERM = re.compile(
    r"\$\.([\w.\[\]]+)\s*(!=|=|NOT\s+EXISTS|EXISTS)\s*(\"[^\"]*\"|'[^']*'|[^\s(){}&|\"']*)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Event:
    """A CIS monitoring event: the terms its filter pattern must have, and those it may add.

    ``widening`` marks events defined by an OR list of event names: a pattern that lists more
    names still catches every one required.
    """

    attribute: str
    title: str
    required: frozenset[Term]
    optional: frozenset[Term] = field(default=frozenset())
    widening: bool = False


def _names(attribute: str, title: str, source: str | None, *names: str) -> Event:
    """An event matched by ``$.eventName`` = any of ``names`` (within ``$.eventSource``)."""
    optional = frozenset({("eventSource", "=", source)} if source else ())
    required = frozenset(("eventName", "=", name) for name in names)
    return Event(attribute, title, required, optional, widening=True)


EVENTS = (
    Event(
        "root_account_usage",
        "root user activity",
        frozenset(
            {
                ("userIdentity.type", "=", "Root"),
                ("userIdentity.invokedBy", "NOT EXISTS", ""),
                ("eventType", "!=", "AwsServiceEvent"),
            }
        ),
    ),
    Event(
        "unauthorized_api_calls",
        "unauthorized API calls",
        frozenset(
            {("errorCode", "=", "*UnauthorizedOperation"), ("errorCode", "=", "AccessDenied*")}
        ),
        # CIS v1.4 adds these exclusions.
        frozenset(
            {
                ("sourceIPAddress", "!=", "delivery.logs.amazonaws.com"),
                ("eventName", "!=", "HeadBucket"),
            }
        ),
    ),
    Event(
        "console_signin_without_mfa",
        "console sign-in without MFA",
        frozenset(
            {("eventName", "=", "ConsoleLogin"), ("additionalEventData.MFAUsed", "!=", "Yes")}
        ),
        frozenset(
            {
                ("userIdentity.type", "=", "IAMUser"),
                ("responseElements.ConsoleLogin", "=", "Success"),
            }
        ),
    ),
    _names(
        "iam_policy_changes",
        "IAM policy changes",
        "iam.amazonaws.com",
        *("DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy"),
        *("PutRolePolicy", "PutUserPolicy", "CreatePolicy", "DeletePolicy", "CreatePolicyVersion"),
        *("DeletePolicyVersion", "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy"),
        *("DetachUserPolicy", "AttachGroupPolicy", "DetachGroupPolicy"),
    ),
    _names(
        "cloudtrail_config_changes",
        "CloudTrail configuration changes",
        "cloudtrail.amazonaws.com",
        *("CreateTrail", "UpdateTrail", "DeleteTrail", "StartLogging", "StopLogging"),
    ),
    Event(
        "console_auth_failures",
        "console authentication failures",
        frozenset(
            {("eventName", "=", "ConsoleLogin"), ("errorMessage", "=", "Failed authentication")}
        ),
    ),
    _names(
        "cmk_disable_or_deletion",
        "disabling or scheduled deletion of KMS keys",
        "kms.amazonaws.com",
        *("DisableKey", "ScheduleKeyDeletion"),
    ),
    _names(
        "s3_bucket_policy_changes",
        "S3 bucket policy changes",
        "s3.amazonaws.com",
        *("PutBucketAcl", "PutBucketPolicy", "PutBucketCors", "PutBucketLifecycle"),
        *("PutBucketReplication", "DeleteBucketPolicy", "DeleteBucketCors"),
        *("DeleteBucketLifecycle", "DeleteBucketReplication"),
    ),
    _names(
        "config_changes",
        "AWS Config configuration changes",
        "config.amazonaws.com",
        *("StopConfigurationRecorder", "DeleteDeliveryChannel", "PutDeliveryChannel"),
        "PutConfigurationRecorder",
    ),
    _names(
        "security_group_changes",
        "security group changes",
        "ec2.amazonaws.com",
        *("AuthorizeSecurityGroupIngress", "AuthorizeSecurityGroupEgress"),
        *("RevokeSecurityGroupIngress", "RevokeSecurityGroupEgress"),
        *("CreateSecurityGroup", "DeleteSecurityGroup"),
    ),
    _names(
        "nacl_changes",
        "network ACL changes",
        "ec2.amazonaws.com",
        *("CreateNetworkAcl", "CreateNetworkAclEntry", "DeleteNetworkAcl"),
        *("DeleteNetworkAclEntry", "ReplaceNetworkAclEntry", "ReplaceNetworkAclAssociation"),
    ),
    _names(
        "network_gateway_changes",
        "network gateway changes",
        "ec2.amazonaws.com",
        *("CreateCustomerGateway", "DeleteCustomerGateway", "AttachInternetGateway"),
        *("CreateInternetGateway", "DeleteInternetGateway", "DetachInternetGateway"),
    ),
    _names(
        "route_table_changes",
        "route table changes",
        "ec2.amazonaws.com",
        *("CreateRoute", "CreateRouteTable", "ReplaceRoute", "ReplaceRouteTableAssociation"),
        *("DeleteRouteTable", "DeleteRoute", "DisassociateRouteTable"),
    ),
    _names(
        "vpc_changes",
        "VPC changes",
        "ec2.amazonaws.com",
        *("CreateVpc", "DeleteVpc", "ModifyVpcAttribute", "AcceptVpcPeeringConnection"),
        *("CreateVpcPeeringConnection", "DeleteVpcPeeringConnection", "RejectVpcPeeringConnection"),
        *("AttachClassicLinkVpc", "DetachClassicLinkVpc", "DisableVpcClassicLink"),
        "EnableVpcClassicLink",
    ),
    _names(
        "organizations_changes",
        "AWS Organizations changes",
        "organizations.amazonaws.com",
        *("AcceptHandshake", "AttachPolicy", "CreateAccount", "CreateOrganizationalUnit"),
        *("CreatePolicy", "DeclineHandshake", "DeleteOrganization", "DeleteOrganizationalUnit"),
        *("DeletePolicy", "DetachPolicy", "DisablePolicyType", "EnablePolicyType"),
        *("InviteAccountToOrganization", "LeaveOrganization", "MoveAccount"),
        *("RemoveAccountFromOrganization", "UpdatePolicy", "UpdateOrganizationalUnit"),
    ),
)


def terms(pattern: str) -> frozenset[Term]:
    """The comparisons of a JSON filter pattern, normalised (spacing, quotes, operator case)."""
    found = set()
    for name, operator, value in TERM.findall(pattern):
        operator = " ".join(operator.upper().split())
        found.add((name, operator, value[1:-1] if value[:1] in "\"'" and value else value))
    return frozenset(found)


def matches(event: Event, pattern: str) -> bool:
    """Whether ``pattern`` has every term the CIS pattern requires and nothing that narrows it."""
    found = terms(pattern)
    if not event.required <= found:
        return False
    extra = set(found - event.required - event.optional)
    if event.widening:
        extra = {term for term in extra if term[:2] != ("eventName", "=")}
    return not extra
