"""Pass and fail examples for the AWS Organizations rules."""

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.organizations.organization.policies-available": (
        {"feature_set": "ALL", "enabled_policy_types": ["SERVICE_CONTROL_POLICY"]},
        {"feature_set": "CONSOLIDATED_BILLING", "enabled_policy_types": []},
    ),
    "aws.organizations.account.owner": (
        {"status": "ACTIVE", "name": "prod", "tags": {"owner": "platform"}},
        {"status": "ACTIVE", "name": "sandbox", "tags": {}},
    ),
}
