"""Lambda through boto3 against moto over HTTP; function URLs via Stubber.

moto 5.2.5 does not implement ListFunctionUrlConfigs (it answers HTTP 404), so against moto the
function URLs are a recorded gap, and real AWS's answers are covered with ``botocore.stub.Stubber``.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from botocore.stub import Stubber

from annexa.connectors.aws.awslambda import (
    LambdaConnector,
    get_function_urls,
    runtime_support,
    secret_looking,
    transform_function,
)
from tests.support.aws import ACCOUNT, by_id, client, open_session, run_unit

ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
HUNTER = "hunter2-literal"
FAKE_KEY_ID = "AKIAIOSFODNN7EXAMPLE"


def code() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", "def handle(event, context):\n    return event\n")
    return buffer.getvalue()


@pytest.fixture
def estate(moto: str) -> str:
    role = client(moto, "iam").create_role(
        RoleName="fn-role", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17"})
    )["Role"]["Arn"]
    us = client(moto, "lambda", "us-east-1")
    us.create_function(
        FunctionName="legacy",
        Runtime="python3.8",
        Role=role,
        Handler="handler.handle",
        Code={"ZipFile": code()},
        Environment={
            "Variables": {
                "DB_PASSWORD": HUNTER,
                "API_TOKEN": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:api",
                "UPSTREAM_ID": FAKE_KEY_ID,
                "MODE": "prod",
            }
        },
        KMSKeyArn=f"arn:aws:kms:us-east-1:{ACCOUNT}:key/env",
        TracingConfig={"Mode": "Active"},
        VpcConfig={"SubnetIds": ["subnet-1"], "SecurityGroupIds": ["sg-1"]},
    )
    us.add_permission(
        FunctionName="legacy",
        StatementId="public-invoke",
        Action="lambda:InvokeFunction",
        Principal="*",
    )
    us.create_function(
        FunctionName="modern",
        Runtime="python3.13",
        Role=role,
        Handler="handler.handle",
        Code={"ZipFile": code()},
    )
    us.add_permission(
        FunctionName="modern",
        StatementId="from-bucket",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn="arn:aws:s3:::uploads",
    )
    client(moto, "lambda", "eu-west-1").create_function(
        FunctionName="worker",
        Runtime="nodejs22.x",
        Role=role,
        Handler="index.handler",
        Code={"ZipFile": code()},
    )
    return moto


def test_functions_in_two_regions(estate: str) -> None:
    session = open_session(estate)
    us, _ = run_unit(LambdaConnector, estate, "us-east-1", session)
    eu, _ = run_unit(LambdaConnector, estate, "eu-west-1", session)
    functions = by_id(us, "aws.lambda.function")
    legacy = functions[f"{ARN}legacy"].attributes
    assert legacy["runtime"] == "python3.8" and legacy["runtime_deprecated"] is True
    assert legacy["runtime_deprecation_date"] == "2024-10-14"
    assert legacy["environment_variable_names"] == [
        "API_TOKEN",
        "DB_PASSWORD",
        "MODE",
        "UPSTREAM_ID",
    ]
    # a secret-store ARN under a secret-sounding name is a reference, not a literal secret
    assert legacy["secret_looking_variables"] == ["DB_PASSWORD", "UPSTREAM_ID"]
    assert legacy["kms_key_arn"] == f"arn:aws:kms:us-east-1:{ACCOUNT}:key/env"
    assert legacy["vpc_attached"] is True and legacy["vpc_id"]
    assert legacy["tracing_mode"] == "Active"
    assert legacy["role"] == f"arn:aws:iam::{ACCOUNT}:role/fn-role"
    assert legacy["policy_present"] is True
    assert legacy["policy_public_statements"] == ["public-invoke"]
    serialised = json.dumps([o.attributes for o in us])
    assert HUNTER not in serialised and FAKE_KEY_ID not in serialised, "values are never stored"

    modern = functions[f"{ARN}modern"].attributes
    assert modern["runtime_deprecated"] is False and modern["runtime_deprecation_date"] is None
    assert modern["policy_public_statements"] == [] and modern["policy_present"] is True
    assert modern["environment_variable_names"] == [] and modern["secret_looking_variables"] == []
    assert modern["vpc_attached"] is False and modern["kms_key_arn"] is None

    # moto lacks ListFunctionUrlConfigs: the URLs are a gap, never "no public URL".
    assert "public_function_url" in functions[f"{ARN}modern"].gaps
    assert "public_function_url" not in modern

    [worker] = by_id(eu, "aws.lambda.function").values()
    assert worker.attributes["name"] == "worker" and worker.scope.region == "eu-west-1"
    assert worker.attributes["policy_present"] is False


def test_function_urls_of_real_aws(moto: str) -> None:
    """moto lacks ListFunctionUrlConfigs; real AWS's shape through Stubber."""
    lam = open_session(moto).client("lambda", "us-east-1")
    arn = f"{ARN}shop"
    with Stubber(lam) as stub:
        stub.add_response(
            "list_function_url_configs",
            {
                "FunctionUrlConfigs": [
                    url_config(arn, "AWS_IAM"),
                    url_config(f"{arn}:live", "NONE"),
                ]
            },
            {"FunctionName": arn},
        )
        found = get_function_urls(lam, arn)
    assert found["function_urls"] == [
        {"qualifier": None, "auth_type": "AWS_IAM"},
        {"qualifier": "live", "auth_type": "NONE"},
    ]
    assert found["public_function_url"] is True
    with Stubber(lam) as stub:
        stub.add_response("list_function_url_configs", {"FunctionUrlConfigs": []})
        assert get_function_urls(lam, arn) == {"function_urls": [], "public_function_url": False}


def url_config(arn: str, auth: str) -> dict[str, str]:
    return {
        "FunctionUrl": "https://abc.lambda-url.us-east-1.on.aws/",
        "FunctionArn": arn,
        "AuthType": auth,
        "CreationTime": "2026-01-01T00:00:00.000+0000",
        "LastModifiedTime": "2026-01-01T00:00:00.000+0000",
    }


@pytest.mark.parametrize(
    ("runtime", "day", "deprecated"),
    [
        ("python3.9", datetime(2025, 12, 14, tzinfo=UTC), False),
        ("python3.9", datetime(2025, 12, 15, tzinfo=UTC), True),
        ("nodejs16.x", datetime(2026, 1, 1, tzinfo=UTC), True),
        ("python3.13", datetime(2026, 1, 1, tzinfo=UTC), False),
        (None, datetime(2026, 1, 1, tzinfo=UTC), False),
    ],
)
def test_runtime_deprecation_is_dated(runtime: str | None, day: datetime, deprecated: bool) -> None:
    assert runtime_support(runtime, day)["runtime_deprecated"] is deprecated


def test_container_image_and_secret_detection() -> None:
    image = transform_function(
        {"FunctionName": "img", "FunctionArn": f"{ARN}img", "PackageType": "Image"},
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert image["runtime"] is None and image["package_type"] == "Image"
    assert image["runtime_deprecated"] is False and image["environment_variable_names"] == []
    assert secret_looking(
        {
            "DATABASE_URL": "postgres://app:s3cr3t@db:5432/app",
            "OPENAI_KEY": "sk-proj-abcdefghijklmnopqrstuvwxyz012345",
            "CLIENT_SECRET": "",
            "GREETING": "hello",
            "DB_PASSWORD_PARAM": "{{resolve:ssm-secure:/db/password}}",
        }
    ) == ["DATABASE_URL", "OPENAI_KEY"]


def test_denied_policy_is_a_gap_and_denied_listing_fails_the_unit(estate: str, proxy) -> None:
    for name in ("legacy", "modern"):
        path = f"/2015-03-31/functions/{quote(ARN + name, safe='')}/policy"
        proxy.deny(service="lambda", operation=f"GET {path}?")
    observations, _ = run_unit(LambdaConnector, proxy.url, "us-east-1")
    assert len(observations) == 2
    for obs in observations:
        assert "PermissionDenied" in obs.gaps["policy_public_statements"]
        assert "policy_public_statements" not in obs.attributes
    proxy.deny(service="lambda", region="eu-west-1")
    with pytest.raises(Exception, match="AccessDenied"):
        run_unit(LambdaConnector, proxy.url, "eu-west-1")
