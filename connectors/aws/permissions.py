"""Least-privilege IAM for annexa, generated from the connectors' declared permissions.

``deploy/aws/annexa-readonly-policy.json`` is this module's output (a test keeps it in sync),
and a meta-test checks that every operation a connector invokes is covered by what it declares.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from annexa.connectors.base import Connector

# botocore service names whose IAM action prefix differs
SERVICE_PREFIX = {
    "s3control": "s3",
    "elbv2": "elasticloadbalancing",
    "accessanalyzer": "access-analyzer",
}

# API operations whose IAM action is named differently from the operation
ACTION_FOR_OPERATION = {
    "s3:ListBuckets": "s3:ListAllMyBuckets",
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3control:GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
    "s3:HeadBucket": "s3:ListBucket",
}

# Operations that need no IAM permission at all
UNAUTHORISED_OPERATIONS = frozenset({"sts:GetCallerIdentity"})


def iam_action(operation: str) -> str | None:
    """The IAM action that authorises ``service:Operation`` (None: no permission needed)."""
    if operation in UNAUTHORISED_OPERATIONS:
        return None
    if operation in ACTION_FOR_OPERATION:
        return ACTION_FOR_OPERATION[operation]
    service, _, name = operation.partition(":")
    return f"{SERVICE_PREFIX.get(service, service)}:{name}"


# What the provider itself needs beyond the connectors: discovering an organization's accounts
# (management account only) and assuming the read-only role in each member account.
DISCOVERY_ACTIONS = ("organizations:ListAccounts",)
MEMBER_ROLE_ARN = "arn:aws:iam::*:role/annexa-readonly"


def policy_document(connectors: Iterable[type[Connector]]) -> str:
    """An IAM policy (JSON) granting exactly the reads the given connectors declare, plus the
    organization discovery and member-role assumption that organization targets use."""
    actions = sorted({p for c in connectors if c.provider == "aws" for p in c.permissions})
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "AnnexaReadOnlyEvidence",
                "Effect": "Allow",
                "Action": actions,
                "Resource": "*",
            },
            {
                "Sid": "AnnexaOrganizationDiscovery",
                "Effect": "Allow",
                "Action": list(DISCOVERY_ACTIONS),
                "Resource": "*",
            },
            {
                "Sid": "AnnexaAssumeMemberRole",
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Resource": MEMBER_ROLE_ARN,
            },
        ],
    }
    return json.dumps(document, indent=2) + "\n"
