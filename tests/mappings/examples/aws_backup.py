"""Pass and fail examples for the AWS Backup rules."""

RULE_35 = {"name": "daily", "delete_after_days": 35}
RULE_7 = {"name": "short", "delete_after_days": 7}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.backup.region.plan-with-selection": (
        {"plans": 2, "plans_with_selections": 1, "protected_resources": 4},
        {"plans": 1, "plans_with_selections": 0, "protected_resources": 0},
    ),
    "aws.backup.plan.retention": (
        {"rules": [RULE_35], "shortest_retention_days": 35},
        {"rules": [RULE_35, RULE_7], "shortest_retention_days": 7},
    ),
    "aws.backup.vault.lock": (
        {
            "locked": True,
            "lock_mode": "compliance",
            "min_retention_days": 7,
            "max_retention_days": 365,
        },
        {"locked": False, "lock_mode": None, "min_retention_days": None},
    ),
    "aws.backup.vault.encrypted": (
        {"encrypted": True, "encryption_key_arn": "arn:aws:kms:eu-west-1:1:key/k"},
        {"encrypted": False, "encryption_key_arn": None},
    ),
}
