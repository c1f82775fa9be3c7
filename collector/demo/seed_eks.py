"""Demo seed: EKS clusters.

In eu-west-1 a current production cluster with audit logging, KMS-encrypted secrets and an API
endpoint restricted to the office network, next to an old 1.27 test cluster created with the
defaults: no control-plane logs, no secrets encryption, endpoint open to the internet.
"""

from __future__ import annotations

REGION = "eu-west-1"
ACCOUNT = "123456789012"


def seed() -> None:
    """Seed demo clusters through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key(Description="EKS secrets envelope encryption")["KeyMetadata"]["Arn"]
    eks = boto3.client("eks", region_name=REGION)
    role = f"arn:aws:iam::{ACCOUNT}:role/demo-eks-cluster"
    eks.create_cluster(
        name="production",
        version="1.31",
        roleArn=role,
        resourcesVpcConfig={
            "subnetIds": ["subnet-0a1b2c3d", "subnet-4e5f6a7b"],
            "endpointPublicAccess": True,
            "endpointPrivateAccess": True,
            "publicAccessCidrs": ["198.51.100.0/24"],
        },
        logging={"clusterLogging": [{"types": ["api", "audit", "authenticator"], "enabled": True}]},
        encryptionConfig=[{"resources": ["secrets"], "provider": {"keyArn": key}}],
        tags={"environment": "production"},
    )
    eks.create_cluster(
        name="test-legacy",
        version="1.27",
        roleArn=role,
        resourcesVpcConfig={"subnetIds": ["subnet-0a1b2c3d"]},
        tags={"environment": "test"},
    )
