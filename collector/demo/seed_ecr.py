"""Demo seed: ECR repositories.

In eu-west-1 an immutable, KMS-encrypted, scanned production repository with a lifecycle policy
and a pull policy confined to the organization, next to a mutable, unscanned sandbox repository
whose policy lets anyone pull.
"""

from __future__ import annotations

import json

REGION = "eu-west-1"


def _policy(sid: str, condition: dict[str, object] | None) -> str:
    statement: dict[str, object] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": "*",
        "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
    }
    if condition:
        statement["Condition"] = condition
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def seed() -> None:
    """Seed demo repositories through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    ecr = boto3.client("ecr", region_name=REGION)
    ecr.create_repository(
        repositoryName="shop/api",
        imageScanningConfiguration={"scanOnPush": True},
        imageTagMutability="IMMUTABLE",
        encryptionConfiguration={"encryptionType": "KMS"},
    )
    ecr.set_repository_policy(
        repositoryName="shop/api",
        policyText=_policy(
            "OrganizationPull", {"StringEquals": {"aws:PrincipalOrgID": "o-demo12345"}}
        ),
    )
    ecr.put_lifecycle_policy(
        repositoryName="shop/api",
        lifecyclePolicyText=json.dumps(
            {
                "rules": [
                    {
                        "rulePriority": 1,
                        "description": "expire untagged images",
                        "selection": {
                            "tagStatus": "untagged",
                            "countType": "sinceImagePushed",
                            "countUnit": "days",
                            "countNumber": 14,
                        },
                        "action": {"type": "expire"},
                    }
                ]
            }
        ),
    )
    ecr.create_repository(repositoryName="sandbox")
    ecr.set_repository_policy(repositoryName="sandbox", policyText=_policy("PublicPull", None))
