"""Pass and fail examples for the Lambda rules."""

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.lambda.function.supported-runtime": (
        {"runtime": "python3.13", "runtime_deprecated": False, "runtime_deprecation_date": None},
        {
            "runtime": "python3.8",
            "runtime_deprecated": True,
            "runtime_deprecation_date": "2024-10-14",
        },
    ),
    "aws.lambda.function.no-public-url": (
        {
            "public_function_url": False,
            "function_urls": [{"qualifier": None, "auth_type": "AWS_IAM"}],
        },
        {
            "public_function_url": True,
            "function_urls": [{"qualifier": "live", "auth_type": "NONE"}],
        },
    ),
    "aws.lambda.function.policy-not-public": (
        {"policy_public_statements": []},
        {"policy_public_statements": ["public-invoke"]},
    ),
    "aws.lambda.function.no-secret-environment": (
        {"environment_variable_names": ["MODE"], "secret_looking_variables": []},
        {
            "environment_variable_names": ["DB_PASSWORD", "MODE"],
            "secret_looking_variables": ["DB_PASSWORD"],
        },
    ),
}
