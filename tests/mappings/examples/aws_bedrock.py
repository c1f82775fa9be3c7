"""Pass and fail examples for the Bedrock rules."""

LOGGED = {
    "name": "eu-west-1",
    "enabled": True,
    "cloudwatch_log_group": "/bedrock/invocations",
    "s3_bucket": None,
}
GUARDED = {
    "name": "support-bot",
    "prompt_attack_strength": "HIGH",
    "prompt_attack_blocks": True,
    "pii_policy": True,
    "pii_entity_types": ["EMAIL", "PHONE"],
    "pii_regex_count": 1,
    "kms_key_arn": "arn:aws:kms:eu-west-1:1:key/k",
    "tags": {"owner": "ml-platform"},
}
UNGUARDED = {
    "name": "prototype",
    "prompt_attack_strength": "LOW",
    "prompt_attack_blocks": True,
    "pii_policy": False,
    "pii_entity_types": [],
    "pii_regex_count": 0,
    "kms_key_arn": None,
    "tags": {},
}
MODEL = {"name": "claims-ft", "kms_key_arn": "arn:aws:kms:k", "tags": {"owner": "claims"}}
BARE_MODEL = {"name": "claims-ft", "kms_key_arn": None, "tags": {"team": "claims"}}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.bedrock.invocation-logging.enabled": (
        LOGGED,
        {**LOGGED, "enabled": False, "cloudwatch_log_group": None},
    ),
    "aws.bedrock.guardrail.prompt-attack": (GUARDED, UNGUARDED),
    "aws.bedrock.guardrail.sensitive-information": (GUARDED, UNGUARDED),
    "aws.bedrock.guardrail.kms": (GUARDED, UNGUARDED),
    "aws.bedrock.guardrail.owner": (GUARDED, UNGUARDED),
    "aws.bedrock.custom-model.kms": (MODEL, BARE_MODEL),
    "aws.bedrock.custom-model.owner": (MODEL, BARE_MODEL),
}
