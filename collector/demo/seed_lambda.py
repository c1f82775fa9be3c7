"""Demo seed: Lambda functions.

In eu-west-1 a legacy python3.8 report generator with a database password typed into its
environment and a resource policy that lets anyone invoke it, next to a current, VPC-attached,
traced order handler that reads its secret from Secrets Manager and is invoked by one S3 bucket.
"""

from __future__ import annotations

import io
import json
import zipfile

REGION = "eu-west-1"
ACCOUNT = "123456789012"


def _code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return {}\n")
    return buffer.getvalue()


def seed() -> None:
    """Seed demo functions through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    role = boto3.client("iam").create_role(
        RoleName="demo-lambda-execution",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    lam = boto3.client("lambda", region_name=REGION)
    lam.create_function(
        FunctionName="legacy-report",
        Runtime="python3.8",
        Role=role,
        Handler="handler.handle",
        Code={"ZipFile": _code()},
        Environment={"Variables": {"DB_HOST": "reports.internal", "DB_PASSWORD": "Winter2019!"}},
    )
    lam.add_permission(
        FunctionName="legacy-report",
        StatementId="anyone-can-invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
    )
    lam.create_function(
        FunctionName="orders-handler",
        Runtime="python3.13",
        Role=role,
        Handler="handler.handle",
        Code={"ZipFile": _code()},
        Environment={
            "Variables": {
                "DB_SECRET": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:orders-db",
                "LOG_LEVEL": "info",
            }
        },
        TracingConfig={"Mode": "Active"},
        VpcConfig={"SubnetIds": ["subnet-0a1b2c3d"], "SecurityGroupIds": ["sg-0a1b2c3d"]},
    )
    lam.add_permission(
        FunctionName="orders-handler",
        StatementId="orders-bucket",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::demo-orders-inbox",
        SourceAccount=ACCOUNT,
    )
