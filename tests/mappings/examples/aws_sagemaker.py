"""Pass and fail examples for the SageMaker rules."""

OWNED = {"name": "x", "tags": {"owner": "ml-platform"}}
UNOWNED = {"name": "x", "tags": {"team": "ml"}}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.sagemaker.endpoint.kms": (
        {"name": "chat", "endpoint_config_name": "chat-v2", "kms_key_id": "arn:aws:kms:k"},
        {"name": "chat", "endpoint_config_name": "chat-v1", "kms_key_id": None},
    ),
    "aws.sagemaker.endpoint.data-capture": (
        {"name": "chat", "data_capture_enabled": True, "data_capture_destination": "s3://c/"},
        {"name": "chat", "data_capture_enabled": False, "data_capture_destination": None},
    ),
    "aws.sagemaker.endpoint.owner": (OWNED, UNOWNED),
    "aws.sagemaker.model.network-isolation": (
        {"name": "m", "network_isolation": True},
        {"name": "m", "network_isolation": False},
    ),
    "aws.sagemaker.model.vpc": (
        {"name": "m", "vpc_configured": True, "vpc_subnets": ["subnet-1"]},
        {"name": "m", "vpc_configured": False, "vpc_subnets": []},
    ),
    "aws.sagemaker.model.owner": (OWNED, UNOWNED),
    "aws.sagemaker.notebook.root-access": (
        {"name": "nb", "root_access": False},
        {"name": "nb", "root_access": True},
    ),
    "aws.sagemaker.notebook.no-direct-internet": (
        {"name": "nb", "direct_internet_access": False, "subnet_id": "subnet-1"},
        {"name": "nb", "direct_internet_access": True, "subnet_id": None},
    ),
    "aws.sagemaker.notebook.kms": (
        {"name": "nb", "kms_key_id": "arn:aws:kms:k"},
        {"name": "nb", "kms_key_id": None},
    ),
    "aws.sagemaker.notebook.owner": (OWNED, UNOWNED),
    "aws.sagemaker.domain.vpc-only": (
        {"name": "studio", "app_network_access_type": "VpcOnly", "vpc_id": "vpc-1"},
        {"name": "studio", "app_network_access_type": "PublicInternetOnly", "vpc_id": "vpc-1"},
    ),
    "aws.sagemaker.domain.kms": (
        {"name": "studio", "kms_key_id": "arn:aws:kms:k"},
        {"name": "studio", "kms_key_id": None},
    ),
}
