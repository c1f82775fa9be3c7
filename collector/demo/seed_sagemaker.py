"""Demo seed: SageMaker in eu-west-1, the AI team's region.

A production chat endpoint with a KMS key, data capture and an owner tag, next to an
experimental endpoint without any of them; a model in a VPC and one that is not (moto always
reports network isolation off); a locked-down notebook next to a researcher's notebook with root
and direct internet access; a VpcOnly Studio domain next to a public one without a KMS key.
"""

from __future__ import annotations

ACCOUNT = "123456789012"
REGION = "eu-west-1"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/5f1c6a2e-0000-4000-8000-000000000001"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/chat"
OWNER = [{"Key": "owner", "Value": "ml-platform"}]


def seed() -> None:
    """Create the SageMaker estate through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    sm = boto3.client("sagemaker", region_name=REGION)
    sm.create_model(
        ModelName="chat-v3",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": f"{IMAGE}@sha256:{'4e' * 32}"},
        EnableNetworkIsolation=True,
        VpcConfig={"SecurityGroupIds": ["sg-0a1b2c3d"], "Subnets": ["subnet-0a1b2c3d"]},
        Tags=OWNER,
    )
    sm.create_model(
        ModelName="summariser-experiment",
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": f"{IMAGE}:latest"},
    )
    sm.create_endpoint_config(
        EndpointConfigName="chat-v3",
        ProductionVariants=[_variant("chat-v3")],
        KmsKeyId=KEY,
        DataCaptureConfig={
            "EnableCapture": True,
            "InitialSamplingPercentage": 20,
            "DestinationS3Uri": "s3://ml-inference-capture/chat/",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
        },
    )
    sm.create_endpoint(EndpointName="chat-prod", EndpointConfigName="chat-v3", Tags=OWNER)
    sm.create_endpoint_config(
        EndpointConfigName="summariser-experiment",
        ProductionVariants=[_variant("summariser-experiment")],
    )
    sm.create_endpoint(EndpointName="summariser-dev", EndpointConfigName="summariser-experiment")
    sm.create_notebook_instance(
        NotebookInstanceName="ml-platform-analysis",
        InstanceType="ml.t3.medium",
        RoleArn=ROLE,
        SubnetId="subnet-0a1b2c3d",
        SecurityGroupIds=["sg-0a1b2c3d"],
        KmsKeyId=KEY,
        RootAccess="Disabled",
        DirectInternetAccess="Disabled",
        Tags=OWNER,
    )
    sm.create_notebook_instance(
        NotebookInstanceName="research-scratch", InstanceType="ml.p3.2xlarge", RoleArn=ROLE
    )
    sm.create_domain(
        DomainName="studio-prod",
        AuthMode="SSO",
        DefaultUserSettings={"ExecutionRole": ROLE},
        SubnetIds=["subnet-0a1b2c3d"],
        VpcId="vpc-0a1b2c3d",
        AppNetworkAccessType="VpcOnly",
        KmsKeyId=KEY,
    )
    sm.create_domain(
        DomainName="studio-sandbox",
        AuthMode="IAM",
        DefaultUserSettings={"ExecutionRole": ROLE},
        SubnetIds=["subnet-0e1f2a3b"],
        VpcId="vpc-0e1f2a3b",
        AppNetworkAccessType="PublicInternetOnly",
    )


def _variant(model: str) -> dict[str, object]:
    return {
        "VariantName": "AllTraffic",
        "ModelName": model,
        "InitialInstanceCount": 1,
        "InstanceType": "ml.g4dn.xlarge",
    }
