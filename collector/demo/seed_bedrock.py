"""Demo seed: Amazon Bedrock in both demo regions.

eu-west-1 logs model invocations to CloudWatch Logs and holds two fine-tuned models, one with an
owner tag and one without; us-east-1 was tried out once and logs nothing. moto cannot hold
guardrails, so the demo shows them as a gap in the Bedrock unit, as a denied API would; moto also
invents a KMS key for every custom model, so both models pass the KMS rule in the demo.
"""

from __future__ import annotations

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/bedrock-customization"


def seed() -> None:
    """Configure Bedrock through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    eu = boto3.client("bedrock", region_name="eu-west-1")
    eu.put_model_invocation_logging_configuration(
        loggingConfig={
            "cloudWatchConfig": {
                "logGroupName": "/bedrock/model-invocations",
                "roleArn": f"arn:aws:iam::{ACCOUNT}:role/bedrock-logging",
            },
            "textDataDeliveryEnabled": True,
            "imageDataDeliveryEnabled": False,
            "embeddingDataDeliveryEnabled": False,
        }
    )
    _fine_tune(eu, "support-answers", [{"key": "owner", "value": "ml-platform"}])
    _fine_tune(eu, "claims-triage", [])


def _fine_tune(bedrock: object, model: str, tags: list[dict[str, str]]) -> None:
    bedrock.create_model_customization_job(  # type: ignore[attr-defined]
        jobName=f"{model}-job",
        customModelName=model,
        roleArn=ROLE,
        baseModelIdentifier="amazon.titan-text-express-v1",
        trainingDataConfig={"s3Uri": f"s3://ml-training-data/{model}/train.jsonl"},
        outputDataConfig={"s3Uri": f"s3://ml-training-data/{model}/output/"},
        hyperParameters={"epochCount": "2"},
        customModelTags=tags,
    )
