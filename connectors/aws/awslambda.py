"""Lambda: functions' runtime support, execution role, network, tracing and exposure, per region.

Everything comes from ListFunctions pages, plus one ListFunctionUrlConfigs and one GetPolicy call
per function. GetFunction is never called: it returns a presigned URL to the function's code.
Environment variables are reduced to their names; a value is looked at only to decide whether it
is a secret-looking literal, and only the variable's name is kept.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime
from typing import Any

from annexa.connectors.aws.common import has_code, paginate, policy_document, public_statements
from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.records import Observation
from annexa.connectors.redact import DEFAULT as REDACTOR

FUNCTION = Kind(
    "aws.lambda.function",
    "A Lambda function: runtime support, role, environment, network, tracing and exposure",
    {
        "name": "FunctionName",
        "runtime": "Runtime identifier (null: container image)",
        "package_type": "Zip or Image",
        "runtime_deprecation_date": "date AWS deprecated (or will deprecate) the runtime, or null",
        "runtime_deprecated": "the runtime's deprecation date has passed at observation time",
        "role": "execution role ARN",
        "kms_key_arn": "customer-managed key encrypting environment variables (null: AWS key)",
        "environment_variable_names": "names of the environment variables (values never stored)",
        "secret_looking_variables": "names of variables whose literal value looks like a secret",
        "vpc_attached": "the function runs in a VPC (has subnets)",
        "vpc_id": "VpcConfig.VpcId (null: not attached)",
        "tracing_mode": "TracingConfig.Mode (Active or PassThrough)",
        "last_modified": "LastModified",
        "function_urls": "function URLs (qualifier and AuthType; NONE means no IAM auth)",
        "public_function_url": "a function URL has AuthType NONE",
        "policy_present": "the function has a resource-based policy",
        "policy_public_statements": "resource policy statements open to any principal",
    },
)

# Lambda runtimes and the date AWS deprecated them (or has announced it will), from the
# "Deprecated runtimes" and "Supported runtimes" tables of
# https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html (last reviewed 2026-11).
# Review when AWS announces new dates; a runtime missing here counts as supported.
DEPRECATED_RUNTIMES: Mapping[str, date] = {
    "nodejs": date(2016, 10, 31),
    "nodejs4.3": date(2020, 3, 5),
    "nodejs4.3-edge": date(2019, 4, 30),
    "nodejs6.10": date(2019, 8, 12),
    "nodejs8.10": date(2020, 3, 6),
    "nodejs10.x": date(2021, 7, 30),
    "nodejs12.x": date(2023, 3, 31),
    "nodejs14.x": date(2023, 12, 4),
    "nodejs16.x": date(2024, 6, 12),
    "nodejs18.x": date(2025, 9, 1),
    "nodejs20.x": date(2026, 4, 30),
    "python2.7": date(2021, 7, 15),
    "python3.6": date(2022, 7, 18),
    "python3.7": date(2023, 12, 4),
    "python3.8": date(2024, 10, 14),
    "python3.9": date(2025, 12, 15),
    "java8": date(2024, 1, 8),
    "go1.x": date(2024, 1, 8),
    "provided": date(2024, 1, 8),
    "ruby2.5": date(2021, 7, 30),
    "ruby2.7": date(2023, 12, 7),
    "ruby3.2": date(2026, 3, 31),
    "dotnetcore1.0": date(2019, 7, 30),
    "dotnetcore2.0": date(2019, 5, 30),
    "dotnetcore2.1": date(2022, 1, 5),
    "dotnetcore3.1": date(2023, 4, 3),
    "dotnet5.0": date(2022, 5, 10),
    "dotnet6": date(2024, 12, 20),
    "dotnet7": date(2024, 5, 14),
}

# Values that point at a secret store rather than holding a secret.
REFERENCE_PREFIXES = ("arn:", "{{resolve:")


def runtime_support(runtime: str | None, now: datetime) -> dict[str, Any]:
    deprecated_on = DEPRECATED_RUNTIMES.get(runtime or "")
    return {
        "runtime_deprecation_date": deprecated_on.isoformat() if deprecated_on else None,
        "runtime_deprecated": deprecated_on is not None
        and deprecated_on <= now.astimezone(UTC).date(),
    }


def secret_looking(variables: Mapping[str, str]) -> list[str]:
    """Names of variables whose value the redactor would hide (by its shape or by the name),
    except values that are references (ARNs, dynamic references) to a secret store."""
    return sorted(
        name
        for name, value in variables.items()
        if value
        and not value.startswith(REFERENCE_PREFIXES)
        and REDACTOR.value(value, key=name) != value
    )


def transform_function(function: dict[str, Any], now: datetime) -> dict[str, Any]:
    variables: dict[str, str] = (function.get("Environment") or {}).get("Variables") or {}
    vpc = function.get("VpcConfig") or {}
    return {
        "name": function["FunctionName"],
        "runtime": function.get("Runtime"),
        "package_type": function.get("PackageType", "Zip"),
        **runtime_support(function.get("Runtime"), now),
        "role": function.get("Role"),
        "kms_key_arn": function.get("KMSKeyArn"),
        "environment_variable_names": sorted(variables),
        "secret_looking_variables": secret_looking(variables),
        "vpc_attached": bool(vpc.get("SubnetIds")),
        "vpc_id": vpc.get("VpcId") or None,
        "tracing_mode": (function.get("TracingConfig") or {}).get("Mode"),
        "last_modified": function.get("LastModified"),
    }


def get_function_urls(client: Any, arn: str) -> dict[str, Any]:
    urls = [
        {
            "qualifier": url["FunctionArn"].removeprefix(arn).lstrip(":") or None,
            "auth_type": url["AuthType"],
        }
        for url in paginate(
            client, "list_function_url_configs", "FunctionUrlConfigs", FunctionName=arn
        )
    ]
    return {
        "function_urls": urls,
        "public_function_url": any(url["auth_type"] == "NONE" for url in urls),
    }


def get_policy(client: Any, arn: str) -> dict[str, Any]:
    try:
        raw = client.get_policy(FunctionName=arn)["Policy"]
    except Exception as exc:
        if has_code(exc, "ResourceNotFoundException"):
            return {"policy_present": False, "policy_public_statements": []}
        raise
    return {
        "policy_present": True,
        "policy_public_statements": public_statements(policy_document(raw)),
    }


class LambdaConnector(Connector):
    name = "aws.lambda"
    provider = "aws"
    description = "Lambda functions: runtime support, environment, network, URLs, resource policy"
    regional = True
    kinds = (FUNCTION,)
    permissions = (
        "lambda:ListFunctions",
        "lambda:ListFunctionUrlConfigs",
        "lambda:GetPolicy",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        client = ctx.session.client("lambda", ctx.scope.region)
        functions = list(paginate(client, "list_functions", "Functions"))
        yield from ctx.map(lambda function: _function(ctx, client, function), functions)


def _function(ctx: UnitContext, client: Any, function: dict[str, Any]) -> Observation:
    arn = function["FunctionArn"]
    reads = ctx.reads("lambda:ListFunctions")
    for name, value in transform_function(function, ctx.now()).items():
        reads.set(name, value)
    reads.read_many(
        ("function_urls", "public_function_url"), lambda: get_function_urls(client, arn)
    )
    reads.read_many(("policy_present", "policy_public_statements"), lambda: get_policy(client, arn))
    return ctx.observe("aws.lambda.function", arn, reads)
