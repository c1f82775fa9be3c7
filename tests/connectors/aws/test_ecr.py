"""ECR through boto3 against moto over HTTP in two regions; registry scanning via Stubber too.

moto 5.2.5 implements GetRegistryScanningConfiguration; a Stubber test still covers real AWS's
enhanced-scanning answers with several rules, whose wildcard matching decides per repository.
"""

from __future__ import annotations

import json

import pytest
from botocore.stub import Stubber

from annexa.connectors.aws.ecr import (
    EcrConnector,
    get_registry_scanning,
    registry_frequency,
    scanning_enabled,
)
from tests.support.aws import ACCOUNT, by_id, client, open_session, run_unit

PUBLIC_PULL = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicPull",
                "Effect": "Allow",
                "Principal": "*",
                "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
            }
        ],
    }
)
ORG_PULL = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "OrgPull",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "ecr:BatchGetImage",
                "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}},
            }
        ],
    }
)
LIFECYCLE = json.dumps(
    {
        "rules": [
            {
                "rulePriority": 1,
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "imageCountMoreThan",
                    "countNumber": 5,
                },
                "action": {"type": "expire"},
            }
        ]
    }
)


def repo_arn(region: str, name: str) -> str:
    return f"arn:aws:ecr:{region}:{ACCOUNT}:repository/{name}"


@pytest.fixture
def estate(moto: str) -> str:
    us = client(moto, "ecr", "us-east-1")
    us.create_repository(
        repositoryName="prod-api",
        imageScanningConfiguration={"scanOnPush": True},
        imageTagMutability="IMMUTABLE",
        encryptionConfiguration={"encryptionType": "KMS"},
    )
    us.set_repository_policy(repositoryName="prod-api", policyText=ORG_PULL)
    us.put_lifecycle_policy(repositoryName="prod-api", lifecyclePolicyText=LIFECYCLE)
    us.create_repository(repositoryName="sandbox")
    us.set_repository_policy(repositoryName="sandbox", policyText=PUBLIC_PULL)
    eu = client(moto, "ecr", "eu-west-1")
    eu.put_registry_scanning_configuration(
        scanType="ENHANCED",
        rules=[
            {
                "scanFrequency": "CONTINUOUS_SCAN",
                "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}],
            }
        ],
    )
    eu.create_repository(repositoryName="prod-web")
    # Enhanced scanning ignores the repository flag: this one is not scanned.
    eu.create_repository(repositoryName="tools", imageScanningConfiguration={"scanOnPush": True})
    return moto


def test_repositories_in_two_regions(estate: str) -> None:
    session = open_session(estate)
    us, _ = run_unit(EcrConnector, estate, "us-east-1", session)
    eu, _ = run_unit(EcrConnector, estate, "eu-west-1", session)
    us_repos = by_id(us, "aws.ecr.repository")
    prod = us_repos[repo_arn("us-east-1", "prod-api")]
    assert prod.attributes["scan_on_push"] is True
    assert prod.attributes["registry_scan_type"] == "BASIC"
    assert prod.attributes["registry_scan_frequency"] is None
    assert prod.attributes["scanning_enabled"] is True
    assert prod.attributes["tag_mutability"] == "IMMUTABLE"
    assert prod.attributes["encryption_type"] == "KMS" and prod.attributes["kms_key"]
    assert prod.attributes["policy_present"] is True
    assert prod.attributes["policy_public_statements"] == []  # confined to the organization
    assert prod.attributes["lifecycle_policy_present"] is True
    assert "ecr:GetRegistryScanningConfiguration" in prod.source

    sandbox = us_repos[repo_arn("us-east-1", "sandbox")].attributes
    assert sandbox["scanning_enabled"] is False and sandbox["scan_on_push"] is False
    assert sandbox["tag_mutability"] == "MUTABLE"
    assert sandbox["encryption_type"] == "AES256" and sandbox["kms_key"] is None
    assert sandbox["policy_public_statements"] == ["PublicPull"]
    assert sandbox["lifecycle_policy_present"] is False
    assert sandbox["uri"] == f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/sandbox"

    eu_repos = by_id(eu, "aws.ecr.repository")
    web = eu_repos[repo_arn("eu-west-1", "prod-web")].attributes
    assert web["registry_scan_type"] == "ENHANCED"
    assert web["registry_scan_frequency"] == "CONTINUOUS_SCAN" and web["scanning_enabled"] is True
    assert web["policy_present"] is False and web["policy_public_statements"] == []
    tools = eu_repos[repo_arn("eu-west-1", "tools")].attributes
    assert tools["scan_on_push"] is True and tools["registry_scan_frequency"] is None
    assert tools["scanning_enabled"] is False


def test_enhanced_scanning_rules_of_real_aws(moto: str) -> None:
    """Several enhanced rules, the most frequent matching one wins; shapes through Stubber."""
    ecr = open_session(moto).client("ecr", "us-east-1")
    with Stubber(ecr) as stub:
        stub.add_response(
            "get_registry_scanning_configuration",
            {
                "registryId": ACCOUNT,
                "scanningConfiguration": {
                    "scanType": "ENHANCED",
                    "rules": [
                        {
                            "scanFrequency": "SCAN_ON_PUSH",
                            "repositoryFilters": [{"filter": "*", "filterType": "WILDCARD"}],
                        },
                        {
                            "scanFrequency": "CONTINUOUS_SCAN",
                            "repositoryFilters": [{"filter": "prod-*", "filterType": "WILDCARD"}],
                        },
                    ],
                },
            },
        )
        registry = get_registry_scanning(ecr)
    assert registry["scan_type"] == "ENHANCED"
    assert registry_frequency(registry, "prod-api") == "CONTINUOUS_SCAN"
    assert registry_frequency(registry, "tools") == "SCAN_ON_PUSH"
    assert scanning_enabled("ENHANCED", "SCAN_ON_PUSH", scan_on_push=False) is True
    assert scanning_enabled("ENHANCED", "MANUAL", scan_on_push=True) is False
    assert scanning_enabled("BASIC", None, scan_on_push=True) is True
    assert scanning_enabled("BASIC", "MANUAL", scan_on_push=False) is False


def test_denied_reads_are_gaps(estate: str, proxy) -> None:
    proxy.deny(service="ecr", operation="GetRegistryScanningConfiguration")
    proxy.deny(service="ecr", operation="GetRepositoryPolicy")
    observations, _ = run_unit(EcrConnector, proxy.url, "us-east-1")
    assert len(observations) == 2
    for obs in observations:
        for name in ("registry_scan_type", "scanning_enabled", "policy_public_statements"):
            assert name in obs.gaps and name not in obs.attributes
        assert "PermissionDenied" in obs.gaps["policy_public_statements"]
        assert "tag_mutability" in obs.attributes  # what was readable is still evidence
    proxy.deny(service="ecr", operation="DescribeRepositories")
    with pytest.raises(Exception, match="AccessDenied"):
        run_unit(EcrConnector, proxy.url, "us-east-1")
