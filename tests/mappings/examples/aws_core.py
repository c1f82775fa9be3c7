"""Pass and fail examples for the rules of IAM, S3, CloudTrail, Config and KMS."""

BLOCKED = {
    "all_blocked": True,
    "restrict_public_buckets": True,
    "ignore_public_acls": True,
    "configured": True,
}
OPEN = {
    "all_blocked": False,
    "restrict_public_buckets": False,
    "ignore_public_acls": False,
    "configured": False,
}
KEY = {"status": "Active", "age_days": 10, "key_id": "AKIA…AAAA"}
OLD_KEY = {"status": "Active", "age_days": 200, "key_id": "AKIA…BBBB"}

# rule id -> (passing attributes, failing attributes)
EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.iam.user.console-mfa": (
        {"console_access": True, "mfa_active": True, "mfa_devices": 1},
        {"console_access": True, "mfa_active": False, "mfa_devices": 0},
    ),
    "aws.iam.user.access-key-rotation": (
        {"active_access_keys": 1, "access_keys": [KEY]},
        {"active_access_keys": 1, "access_keys": [OLD_KEY]},
    ),
    "aws.iam.user.single-active-key": ({"active_access_keys": 1}, {"active_access_keys": 2}),
    "aws.iam.user.unused-credentials": (
        {"console_access": True, "active_access_keys": 0, "days_since_last_activity": 3},
        {"console_access": True, "active_access_keys": 0, "days_since_last_activity": 120},
    ),
    "aws.iam.user.no-direct-admin": (
        {"admin_policies": []},
        {"admin_policies": ["AdministratorAccess"]},
    ),
    "aws.iam.user.permissions-through-groups": (
        {"attached_policies": [], "inline_policies": []},
        {"attached_policies": [{"name": "x", "arn": "y"}], "inline_policies": []},
    ),
    "aws.iam.root.mfa": ({"mfa_active": True}, {"mfa_active": False}),
    "aws.iam.root.no-access-keys": ({"access_keys_present": False}, {"access_keys_present": True}),
    "aws.iam.root.not-used": ({"days_since_last_use": None}, {"days_since_last_use": 2}),
    "aws.iam.password-policy.length": (
        {"configured": True, "minimum_length": 14},
        {"configured": False, "minimum_length": None},
    ),
    "aws.iam.password-policy.reuse": (
        {"configured": True, "reuse_prevention": 24},
        {"configured": True, "reuse_prevention": None},
    ),
    "aws.s3.bucket.default-encryption": (
        {"default_encryption": {"configured": True, "algorithm": "AES256"}},
        {"default_encryption": {"configured": False}},
    ),
    "aws.s3.bucket.public-access-block": (
        {"public_access_block": OPEN, "account_public_access_block": BLOCKED},
        {"public_access_block": OPEN, "account_public_access_block": OPEN},
    ),
    "aws.s3.bucket.not-public": (
        {"publicly_accessible": False},
        {
            "publicly_accessible": True,
            "policy": {"public_statements": ["x"]},
            "acl": {"public_grants": []},
        },
    ),
    "aws.s3.bucket.versioning": (
        {"versioning": {"status": "Enabled"}},
        {"versioning": {"status": "Suspended"}},
    ),
    "aws.s3.bucket.access-logging": (
        {"logging": {"enabled": True, "target_bucket": "logs"}},
        {"logging": {"enabled": False}},
    ),
    "aws.s3.bucket.tls-only": (
        {"policy": {"denies_insecure_transport": True}},
        {"policy": {"denies_insecure_transport": False}},
    ),
    "aws.s3.account.public-access-block": (
        {"public_access_block": BLOCKED},
        {"public_access_block": OPEN},
    ),
    "aws.cloudtrail.region.covered": (
        {"covered": True, "logging_trails": ["arn"], "trails_visible": 1},
        {"covered": False, "logging_trails": [], "trails_visible": 0},
    ),
    "aws.cloudtrail.region.multi-region": (
        {"multi_region_logging": True},
        {"multi_region_logging": False},
    ),
    "aws.cloudtrail.trail.logging": (
        {"logging": True, "name": "t"},
        {"logging": False, "name": "t"},
    ),
    "aws.cloudtrail.trail.management-events": (
        {"management_events": "All", "selectors": "basic"},
        {"management_events": "WriteOnly", "selectors": "basic"},
    ),
    "aws.cloudtrail.trail.log-file-validation": (
        {"log_file_validation": True},
        {"log_file_validation": False},
    ),
    "aws.cloudtrail.trail.kms": ({"kms_key_id": "arn:aws:kms:k"}, {"kms_key_id": None}),
    "aws.cloudtrail.trail.monitoring": (
        {"cloudwatch_logs_group_arn": "arn:aws:logs:g", "name": "t"},
        {"cloudwatch_logs_group_arn": None, "name": "t"},
    ),
    "aws.config.region.recording": (
        {"recording": True, "all_resources": True, "recorders": 1},
        {"recording": True, "all_resources": False, "recorders": 1},
    ),
    "aws.config.region.delivery-channel": (
        {"delivery_channels": 1, "delivery": [{"s3_bucket": "b"}]},
        {"delivery_channels": 0, "delivery": []},
    ),
    "aws.config.region.delivery-healthy": (
        {"delivery_channels": 1, "delivery_healthy": True},
        {"delivery_channels": 1, "delivery_healthy": False},
    ),
    "aws.config.recorder.healthy": (
        {"recording": True, "last_status": "SUCCESS", "name": "r"},
        {"recording": True, "last_status": "FAILURE", "name": "r", "last_error_code": "x"},
    ),
    "aws.kms.key.rotation": (
        {
            "rotation_applicable": True,
            "state": "Enabled",
            "rotation_enabled": True,
            "rotation_period_days": 365,
        },
        {"rotation_applicable": True, "state": "Enabled", "rotation_enabled": False},
    ),
    "aws.kms.key.not-pending-deletion": (
        {"state": "Enabled"},
        {"state": "PendingDeletion", "deletion_date": "2026-12-01"},
    ),
    "aws.kms.key.policy-not-public": (
        {"policy_public_statements": []},
        {"policy_public_statements": ["Everyone"]},
    ),
}
