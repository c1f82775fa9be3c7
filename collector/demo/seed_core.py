"""Demo seed: IAM, S3, CloudTrail, AWS Config and KMS.

The account: an MFA-protected developer next to a console admin without MFA, a forgotten
contractor login, a weak password policy, a well-protected data bucket next to a public website
bucket, a logging multi-region trail next to a stopped legacy one, AWS Config in one region only,
keys with and without rotation, one scheduled for deletion, one with a key policy open to everyone.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

ACCOUNT = "123456789012"


def _backdate_iam(user: str, days: int, key_days: int | None = None) -> None:
    """moto stamps everything 'now'; age a user (and its keys) the way a real estate ages."""
    from moto.iam.models import iam_backends

    backend = iam_backends[ACCOUNT]["global"]
    created = datetime.now(UTC) - timedelta(days=days)
    backend.users[user].create_date = created
    for key in backend.users[user].access_keys:
        key.create_date = datetime.now(UTC) - timedelta(
            days=key_days if key_days is not None else days
        )


def seed() -> None:
    """Seed the core services through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    iam = boto3.client("iam")
    admin = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
        }
    )
    read_only = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["s3:Get*", "s3:List*"], "Resource": "*"}],
        }
    )
    admin_arn = iam.create_policy(PolicyName="LegacyFullAdmin", PolicyDocument=admin)["Policy"][
        "Arn"
    ]
    read_arn = iam.create_policy(PolicyName="DataReadOnly", PolicyDocument=read_only)["Policy"][
        "Arn"
    ]
    deploy_arn = iam.create_policy(PolicyName="CiDeploy", PolicyDocument=read_only)["Policy"]["Arn"]
    iam.create_group(GroupName="developers")
    iam.attach_group_policy(GroupName="developers", PolicyArn=read_arn)
    iam.create_group(GroupName="platform-admins")
    iam.attach_group_policy(GroupName="platform-admins", PolicyArn=admin_arn)

    def user(
        name: str, *, console: bool, mfa: bool = False, keys: int = 0, groups: tuple[str, ...] = ()
    ) -> None:
        iam.create_user(UserName=name)
        if console:
            iam.create_login_profile(UserName=name, Password="Demo-Password-123!")  # noqa: S106
        if mfa:
            serial = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"][
                "SerialNumber"
            ]
            iam.enable_mfa_device(
                UserName=name,
                SerialNumber=serial,
                AuthenticationCode1="123456",
                AuthenticationCode2="654321",
            )
        for _ in range(keys):
            iam.create_access_key(UserName=name)
        for group in groups:
            iam.add_user_to_group(GroupName=group, UserName=name)

    user("alice", console=True, mfa=True, groups=("developers",))
    user("carol", console=True, mfa=True, groups=("platform-admins",))
    user("bob", console=True, keys=1)
    iam.attach_user_policy(UserName="bob", PolicyArn=admin_arn)
    user("ci-deploy", console=False, keys=1)
    iam.attach_user_policy(UserName="ci-deploy", PolicyArn=deploy_arn)
    user("old-contractor", console=True, keys=2)
    _backdate_iam("bob", 400, key_days=210)
    _backdate_iam("ci-deploy", 60, key_days=30)
    _backdate_iam("old-contractor", 500)
    iam.update_account_password_policy(MinimumPasswordLength=8, RequireNumbers=True)

    kms_us = boto3.client("kms", region_name="us-east-1")
    data_key = kms_us.create_key(Description="prod data")["KeyMetadata"]["KeyId"]
    kms_us.enable_key_rotation(KeyId=data_key)
    kms_us.create_alias(AliasName="alias/prod-data", TargetKeyId=data_key)
    trail_key = kms_us.create_key(Description="cloudtrail logs")["KeyMetadata"]["Arn"]
    kms_us.enable_key_rotation(KeyId=trail_key)
    kms_us.create_key(Description="legacy app secrets")
    kms_eu = boto3.client("kms", region_name="eu-west-1")
    retired = kms_eu.create_key(Description="retired analytics key")["KeyMetadata"]["KeyId"]
    kms_eu.schedule_key_deletion(KeyId=retired, PendingWindowInDays=7)
    kms_eu.create_key(
        Description="release signing", KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY"
    )
    shared = kms_eu.create_key(Description="partner share")["KeyMetadata"]["KeyId"]
    kms_eu.enable_key_rotation(KeyId=shared)
    kms_eu.put_key_policy(
        KeyId=shared,
        PolicyName="default",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "Partner",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "kms:Decrypt",
                        "Resource": "*",
                    }
                ],
            }
        ),
    )
    _seed_s3(data_key)
    _seed_trails(trail_key)
    _seed_config()


def _tls_only(bucket: str) -> str:
    statements: list[dict[str, Any]] = []
    if bucket == "acme-logs":
        statements.append(
            {
                "Sid": "S3ServerAccessLogs",
                "Effect": "Allow",
                "Principal": {"Service": "logging.s3.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": f"arn:aws:s3:::{bucket}/*",
            }
        )
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                *statements,
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": {"AWS": "*"},
                    "Action": "s3:*",
                    "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                },
            ],
        }
    )


def _bucket(s3: Any, name: str, region: str) -> None:
    config = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    s3.create_bucket(Bucket=name, **config)


def _seed_s3(kms_key: str) -> None:
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    block = {
        flag: True
        for flag in (
            "BlockPublicAcls",
            "IgnorePublicAcls",
            "BlockPublicPolicy",
            "RestrictPublicBuckets",
        )
    }
    _bucket(s3, "acme-logs", "eu-west-1")
    _bucket(s3, "acme-prod-data", "eu-west-1")
    s3.put_bucket_encryption(
        Bucket="acme-prod-data",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": kms_key,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    s3.put_bucket_encryption(
        Bucket="acme-logs",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    for name in ("acme-logs", "acme-prod-data"):
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=block)
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_policy(Bucket=name, Policy=_tls_only(name))
    s3.put_bucket_logging(
        Bucket="acme-prod-data",
        BucketLoggingStatus={
            "LoggingEnabled": {"TargetBucket": "acme-logs", "TargetPrefix": "acme-prod-data/"}
        },
    )
    s3.put_bucket_tagging(
        Bucket="acme-prod-data",
        Tagging={"TagSet": [{"Key": "classification", "Value": "confidential"}]},
    )

    _bucket(s3, "acme-public-website", "us-east-1")
    s3.put_bucket_policy(
        Bucket="acme-public-website",
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "PublicRead",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": "arn:aws:s3:::acme-public-website/*",
                    }
                ],
            }
        ),
    )
    # Someone left a deploy token in a tag: the evidence shows that it was there, not its value.
    s3.put_bucket_tagging(
        Bucket="acme-public-website",
        Tagging={
            "TagSet": [
                {"Key": "owner", "Value": "web-team"},
                {"Key": "deploy_token", "Value": "ghp_" + "x7Kq2" * 8},
            ]
        },
    )
    _bucket(s3, "acme-ml-datasets", "us-east-1")
    s3.put_bucket_versioning(
        Bucket="acme-ml-datasets", VersioningConfiguration={"Status": "Suspended"}
    )


def _seed_trails(kms_key: str) -> None:
    import boto3

    s3 = boto3.client("s3", region_name="us-east-1")
    _bucket(s3, "acme-cloudtrail", "us-east-1")
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="cloudtrail/org-audit")
    group_arn = f"arn:aws:logs:us-east-1:{ACCOUNT}:log-group:cloudtrail/org-audit:*"
    trail_us = boto3.client("cloudtrail", region_name="us-east-1")
    trail_us.create_trail(
        Name="org-audit",
        S3BucketName="acme-cloudtrail",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId=kms_key,
        CloudWatchLogsLogGroupArn=group_arn,
        CloudWatchLogsRoleArn=f"arn:aws:iam::{ACCOUNT}:role/cloudtrail-to-logs",
    )
    trail_us.start_logging(Name="org-audit")
    trail_eu = boto3.client("cloudtrail", region_name="eu-west-1")
    trail_eu.create_trail(Name="eu-legacy", S3BucketName="acme-cloudtrail")


def _seed_config() -> None:
    import boto3

    config = boto3.client("config", region_name="us-east-1")
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{ACCOUNT}:role/aws-config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    config.put_delivery_channel(DeliveryChannel={"name": "default", "s3BucketName": "acme-logs"})
    config.start_configuration_recorder(ConfigurationRecorderName="default")
