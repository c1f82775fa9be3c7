"""Demo seed: EBS encryption defaults, volumes, snapshots and instances.

In eu-west-1 EBS encryption by default is on and the shop's web server requires IMDSv2, its data
volume encrypted with a customer-managed key; a legacy reporting host from before that still
answers IMDSv1 requests, and its unencrypted volume has a snapshot someone made public. In
us-east-1 encryption by default was never switched on, and a build runner has its metadata
endpoint disabled.

No AMI and no private snapshot is seeded on purpose: moto ignores DescribeSnapshots'
``RestorableByUserIds`` filter, so every snapshot in the simulated account reads as public, and
moto keeps a snapshot behind every registered AMI. The demo shows only findings that AWS would
show for the same estate.
"""

from __future__ import annotations

from typing import Any

REGION = "eu-west-1"
OTHER_REGION = "us-east-1"
AMI = "ami-0c1bc246476a5572b"  # the simulated account does not check AMI ids


def _tags(resource: str, **tags: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


def _instance(
    ec2: Any, name: str, instance_type: str, metadata: dict[str, Any], *, encrypted: bool = False
) -> str:
    root = {"DeviceName": "/dev/xvda", "Ebs": {"VolumeSize": 8, "Encrypted": encrypted}}
    instance_id: str = ec2.run_instances(
        ImageId=AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType=instance_type,
        MetadataOptions=metadata,
        BlockDeviceMappings=[root],
        TagSpecifications=_tags("instance", Name=name),
    )["Instances"][0]["InstanceId"]
    return instance_id


def seed() -> None:
    """Seed demo EC2 resources through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3

    ec2 = boto3.client("ec2", region_name=REGION)
    kms = boto3.client("kms", region_name=REGION)

    legacy = _instance(ec2, "legacy-reports", "m5.large", {"HttpTokens": "optional"})
    old_volume = ec2.create_volume(
        Size=200,
        AvailabilityZone=f"{REGION}a",
        VolumeType="gp2",
        TagSpecifications=_tags("volume", Name="legacy-reports-data", team="data"),
    )["VolumeId"]
    ec2.attach_volume(VolumeId=old_volume, InstanceId=legacy, Device="/dev/sdf")
    export = ec2.create_snapshot(
        VolumeId=old_volume,
        Description="reports export for a supplier",
        TagSpecifications=_tags("snapshot", Name="reports-export-2023"),
    )["SnapshotId"]
    ec2.modify_snapshot_attribute(
        SnapshotId=export,
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )

    ec2.enable_ebs_encryption_by_default()
    key = kms.create_key(Description="shop EBS volumes")["KeyMetadata"]["Arn"]
    # moto does not apply encryption by default to root volumes as AWS does: ask explicitly.
    web = _instance(
        ec2,
        "shop-web-1",
        "m6i.large",
        {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        encrypted=True,
    )
    data = ec2.create_volume(
        Size=100,
        AvailabilityZone=f"{REGION}a",
        VolumeType="gp3",
        Encrypted=True,
        KmsKeyId=key,
        TagSpecifications=_tags("volume", Name="shop-web-data", team="shop"),
    )["VolumeId"]
    ec2.attach_volume(VolumeId=data, InstanceId=web, Device="/dev/sdf")

    other = boto3.client("ec2", region_name=OTHER_REGION)
    _instance(other, "build-runner", "c6i.xlarge", {"HttpEndpoint": "disabled"})
