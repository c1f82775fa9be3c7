"""Pass and fail examples for the EKS rules."""

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.eks.cluster.audit-logging": (
        {"logging_enabled_types": ["api", "audit", "authenticator"]},
        {"logging_enabled_types": ["api", "audit"]},
    ),
    "aws.eks.cluster.secrets-encryption": (
        {"secrets_encrypted": True, "secrets_kms_key": "arn:aws:kms:eu-west-1:1:key/k"},
        {"secrets_encrypted": False, "secrets_kms_key": None},
    ),
    "aws.eks.cluster.endpoint-restricted": (
        {
            "public_endpoint_open": False,
            "endpoint_public_access": True,
            "public_access_cidrs": ["203.0.113.0/24"],
            "endpoint_private_access": True,
        },
        {
            "public_endpoint_open": True,
            "endpoint_public_access": True,
            "public_access_cidrs": ["0.0.0.0/0"],
            "endpoint_private_access": False,
        },
    ),
    "aws.eks.cluster.supported-version": (
        # 1.30 >= 1.29 although 1.3 < 1.29 as decimals: the parts are compared as integers
        {"kubernetes_version": "1.30", "version_major": 1, "version_minor": 30},
        {"kubernetes_version": "1.28", "version_major": 1, "version_minor": 28},
    ),
}
