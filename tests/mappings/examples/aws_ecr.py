"""Pass and fail examples for the ECR rules."""

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.ecr.repository.image-scanning": (
        {
            "scanning_enabled": True,
            "registry_scan_type": "BASIC",
            "registry_scan_frequency": None,
            "scan_on_push": True,
        },
        {
            "scanning_enabled": False,
            "registry_scan_type": "ENHANCED",
            "registry_scan_frequency": "MANUAL",
            "scan_on_push": True,
        },
    ),
    "aws.ecr.repository.tag-immutability": (
        {"tag_mutability": "IMMUTABLE"},
        {"tag_mutability": "MUTABLE"},
    ),
    "aws.ecr.repository.policy-not-public": (
        {"policy_present": True, "policy_public_statements": []},
        {"policy_present": True, "policy_public_statements": ["PublicPull"]},
    ),
    "aws.ecr.repository.encryption": (
        {"encryption_type": "AES256", "kms_key": None},
        {"encryption_type": None, "kms_key": None},
    ),
}
