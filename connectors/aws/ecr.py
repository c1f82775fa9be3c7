"""ECR: private repositories' image scanning, tag immutability, encryption and policies, per region.

Scanning is decided per repository from two places: the repository's own scan-on-push flag and
the registry's scanning configuration (read once per region). With enhanced scanning (Amazon
Inspector) only the registry rules count; with basic scanning either may turn scanning on.
"""

from __future__ import annotations

from collections.abc import Iterator
from fnmatch import fnmatchcase
from typing import Any

from annexa.connectors.aws.common import has_code, iso, paginate, policy_document, public_statements
from annexa.connectors.base import Connector, Kind, Reads, UnitContext
from annexa.connectors.records import Observation

REPOSITORY = Kind(
    "aws.ecr.repository",
    "A private ECR repository: image scanning, tag immutability, encryption, policies",
    {
        "name": "repositoryName",
        "uri": "repositoryUri",
        "created_at": "createdAt",
        "scan_on_push": "the repository's imageScanningConfiguration.scanOnPush",
        "registry_scan_type": "the registry's scanning type, BASIC or ENHANCED",
        "registry_scan_frequency": "frequency of the registry rule matching this repository "
        "(SCAN_ON_PUSH, CONTINUOUS_SCAN, MANUAL; null: no rule matches)",
        "scanning_enabled": "images are scanned automatically (on push or continuously)",
        "tag_mutability": "imageTagMutability (MUTABLE, IMMUTABLE, *_WITH_EXCLUSION)",
        "encryption_type": "encryptionConfiguration.encryptionType (AES256, KMS, KMS_DSSE)",
        "kms_key": "KMS key ARN when encrypted with KMS (null: AES256)",
        "policy_present": "the repository has a repository policy",
        "policy_public_statements": "repository policy statements open to any principal",
        "lifecycle_policy_present": "a lifecycle policy expires old images",
    },
)

AUTOMATIC_FREQUENCIES = ("SCAN_ON_PUSH", "CONTINUOUS_SCAN")


def get_registry_scanning(ecr: Any) -> dict[str, Any]:
    """The registry's scan type and rules as ``{"scan_type", "rules": [(frequency, filters)]}``."""
    config = ecr.get_registry_scanning_configuration()["scanningConfiguration"]
    return {
        "scan_type": config.get("scanType", "BASIC"),
        "rules": [
            {
                "frequency": rule["scanFrequency"],
                "filters": [f["filter"] for f in rule.get("repositoryFilters", [])],
            }
            for rule in config.get("rules", [])
        ],
    }


def registry_frequency(registry: dict[str, Any], repository: str) -> str | None:
    """The most frequent scanning any registry rule gives this repository (wildcard filters)."""
    matching = {
        rule["frequency"]
        for rule in registry["rules"]
        if any(fnmatchcase(repository, pattern) for pattern in rule["filters"])
    }
    for frequency in ("CONTINUOUS_SCAN", "SCAN_ON_PUSH", "MANUAL"):
        if frequency in matching:
            return frequency
    return None


def scanning_enabled(scan_type: str, frequency: str | None, scan_on_push: bool) -> bool:
    """Enhanced scanning ignores the repository flag; basic scanning honours either setting."""
    by_registry = frequency in AUTOMATIC_FREQUENCIES
    return by_registry if scan_type == "ENHANCED" else by_registry or scan_on_push


def transform_repository(repo: dict[str, Any]) -> dict[str, Any]:
    encryption = repo.get("encryptionConfiguration") or {}
    return {
        "name": repo["repositoryName"],
        "uri": repo.get("repositoryUri"),
        "created_at": iso(repo.get("createdAt")),
        "scan_on_push": bool((repo.get("imageScanningConfiguration") or {}).get("scanOnPush")),
        "tag_mutability": repo.get("imageTagMutability"),
        "encryption_type": encryption.get("encryptionType"),
        "kms_key": encryption.get("kmsKey"),
    }


def get_policy(ecr: Any, name: str, registry_id: str) -> dict[str, Any]:
    try:
        raw = ecr.get_repository_policy(repositoryName=name, registryId=registry_id)["policyText"]
    except Exception as exc:
        if has_code(exc, "RepositoryPolicyNotFoundException"):
            return {"policy_present": False, "policy_public_statements": []}
        raise
    return {
        "policy_present": True,
        "policy_public_statements": public_statements(policy_document(raw)),
    }


def get_lifecycle_present(ecr: Any, name: str, registry_id: str) -> bool:
    try:
        ecr.get_lifecycle_policy(repositoryName=name, registryId=registry_id)
    except Exception as exc:
        if has_code(exc, "LifecyclePolicyNotFoundException"):
            return False
        raise
    return True


class EcrConnector(Connector):
    name = "aws.ecr"
    provider = "aws"
    description = "ECR repositories: scanning, tag immutability, encryption, policies"
    regional = True
    kinds = (REPOSITORY,)
    permissions = (
        "ecr:DescribeRepositories",
        "ecr:GetRegistryScanningConfiguration",
        "ecr:GetRepositoryPolicy",
        "ecr:GetLifecyclePolicy",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        ecr = ctx.session.client("ecr", ctx.scope.region)
        repositories = list(paginate(ecr, "describe_repositories", "repositories"))
        registry = ctx.reads()
        if repositories:
            registry.read("scanning", lambda: get_registry_scanning(ecr))
        yield from ctx.map(lambda repo: _repository(ctx, ecr, repo, registry), repositories)


def _repository(ctx: UnitContext, ecr: Any, repo: dict[str, Any], registry: Reads) -> Observation:
    name, registry_id = repo["repositoryName"], repo["registryId"]
    reads = ctx.reads("ecr:DescribeRepositories")
    for attribute, value in transform_repository(repo).items():
        reads.set(attribute, value)
    if "scanning" in registry.gaps:
        for attribute in ("registry_scan_type", "registry_scan_frequency"):
            reads.gaps[attribute] = registry.gaps["scanning"]
    else:
        reads.sources.update(registry.sources)
        scanning = registry.attributes["scanning"]
        reads.set("registry_scan_type", scanning["scan_type"])
        reads.set("registry_scan_frequency", registry_frequency(scanning, name))
    reads.derive(
        "scanning_enabled",
        ("registry_scan_type", "registry_scan_frequency"),
        lambda: scanning_enabled(
            reads.attributes["registry_scan_type"],
            reads.attributes["registry_scan_frequency"],
            reads.attributes["scan_on_push"],
        ),
    )
    reads.read_many(
        ("policy_present", "policy_public_statements"), lambda: get_policy(ecr, name, registry_id)
    )
    reads.read("lifecycle_policy_present", lambda: get_lifecycle_present(ecr, name, registry_id))
    return ctx.observe("aws.ecr.repository", repo["repositoryArn"], reads)
