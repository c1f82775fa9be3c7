"""EC2 compute and block storage: EBS defaults, volumes, snapshots, AMIs and instances, per region.

Volumes and snapshots are a large share of an estate, so nothing is read per resource: each family
is one paginated listing per region. Whether a snapshot is public comes from one more listing,
DescribeSnapshots with ``RestorableByUserIds=["all"]``, which AWS answers with exactly the
account's snapshots that anyone may restore; a failed public listing makes ``public`` a gap on
every snapshot, never "private". An AMI's ``public`` is the ``Public`` field DescribeImages
returns, and an instance's metadata options come with DescribeInstances.

Each family's listing is independent: one that fails is noted on the unit (``partial``) and the
others are still observed; only when every listing fails does the unit fail, with the first
error. The region's EBS encryption defaults are always observed, with a gap for each read that
fails. Terminated instances are left out: they no longer run and AWS soon forgets them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

from botocore.parsers import ResponseParserError

from annexa.connectors.aws.common import iso, paginate, tags_dict
from annexa.connectors.base import Connector, Kind, Reads, UnitContext, Unreadable
from annexa.connectors.errors import ConnectorError, TransientError
from annexa.connectors.records import Observation

TAGS = "resource tags (secret-looking values redacted)"
VOLUME_PAGE = 500  # DescribeVolumes returns at most 500 per page
PAGE_SIZE = 1000
LIVE_STATES = ("pending", "running", "shutting-down", "stopping", "stopped")
METADATA = ("imdsv2_required", "metadata_endpoint", "metadata_hop_limit")

EBS_DEFAULTS = Kind(
    "aws.ec2.ebs_defaults",
    "The region's EBS encryption defaults for new volumes and snapshot copies",
    {
        "encryption_by_default": "new EBS volumes are always encrypted (GetEbsEncryptionByDefault)",
        "default_kms_key_id": "the KMS key new volumes are encrypted with by default "
        "(GetEbsDefaultKmsKeyId; alias/aws/ebs is the AWS-managed key)",
    },
)
VOLUME = Kind(
    "aws.ec2.volume",
    "An EBS volume",
    {
        "volume_id": "VolumeId",
        "state": "creating, available, in-use, deleting, deleted or error",
        "size_gib": "Size in GiB",
        "volume_type": "gp2, gp3, io1, io2, st1, sc1 or standard",
        "availability_zone": "AvailabilityZone",
        "encrypted": "Encrypted",
        "kms_key_id": "the KMS key encrypting it (null: unencrypted)",
        "snapshot_id": "the snapshot it was created from (null: none)",
        "attached_instances": "ids of the instances it is attached to",
        "created_at": "CreateTime",
        "tags": TAGS,
    },
)
SNAPSHOT = Kind(
    "aws.ec2.snapshot",
    "An EBS snapshot owned by the account",
    {
        "snapshot_id": "SnapshotId",
        "state": "pending, completed, error, recoverable or recovering",
        "volume_id": "the volume it was taken from",
        "volume_size_gib": "VolumeSize in GiB",
        "encrypted": "Encrypted",
        "kms_key_id": "the KMS key encrypting it (null: unencrypted)",
        "started_at": "StartTime",
        "public": "anyone may create volumes from it (createVolumePermission group all)",
        "tags": TAGS,
    },
)
IMAGE = Kind(
    "aws.ec2.image",
    "An AMI owned by the account",
    {
        "image_id": "ImageId",
        "name": "Name",
        "state": "available, pending, failed, deregistered, ...",
        "public": "anyone may launch it (the Public field: launchPermission group all)",
        "root_device_type": "ebs or instance-store",
        "encrypted": "it has EBS block devices and all of them are encrypted",
        "creation_date": "CreationDate",
        "tags": TAGS,
    },
)
INSTANCE = Kind(
    "aws.ec2.instance",
    "An EC2 instance (not terminated) and its instance metadata service options",
    {
        "instance_id": "InstanceId",
        "state": "pending, running, shutting-down, stopping or stopped",
        "instance_type": "InstanceType",
        "image_id": "the AMI it was launched from",
        "imdsv2_required": "the metadata service requires session tokens (HttpTokens required)",
        "metadata_endpoint": "HttpEndpoint: enabled or disabled",
        "metadata_hop_limit": "HttpPutResponseHopLimit (1: containers on it cannot reach IMDS)",
        "public_ip": "PublicIpAddress (null: none)",
        "iam_instance_profile": "ARN of its instance profile (null: none)",
        "vpc_id": "VpcId (null: EC2-Classic or not reported)",
        "launch_time": "LaunchTime",
        "tags": TAGS,
    },
)


def _date(value: str | None) -> str | None:
    """An AMI's CreationDate (a string in the API) as the ISO UTC form used elsewhere."""
    if not value:
        return None
    try:
        return iso(datetime.fromisoformat(value))
    except ValueError:
        return value


def transform_volume(volume: dict[str, Any]) -> dict[str, Any]:
    encrypted = bool(volume.get("Encrypted"))
    return {
        "volume_id": volume["VolumeId"],
        "state": volume.get("State"),
        "size_gib": volume.get("Size"),
        "volume_type": volume.get("VolumeType"),
        "availability_zone": volume.get("AvailabilityZone"),
        "encrypted": encrypted,
        "kms_key_id": volume.get("KmsKeyId") if encrypted else None,
        "snapshot_id": volume.get("SnapshotId") or None,
        "attached_instances": sorted(
            {a["InstanceId"] for a in volume.get("Attachments") or [] if a.get("InstanceId")}
        ),
        "created_at": iso(volume.get("CreateTime")),
        "tags": tags_dict(volume.get("Tags")),
    }


def transform_snapshot(snapshot: dict[str, Any]) -> dict[str, Any]:
    encrypted = bool(snapshot.get("Encrypted"))
    return {
        "snapshot_id": snapshot["SnapshotId"],
        "state": snapshot.get("State"),
        "volume_id": snapshot.get("VolumeId"),
        "volume_size_gib": snapshot.get("VolumeSize"),
        "encrypted": encrypted,
        "kms_key_id": snapshot.get("KmsKeyId") if encrypted else None,
        "started_at": iso(snapshot.get("StartTime")),
        "tags": tags_dict(snapshot.get("Tags")),
    }


def image_encrypted(image: dict[str, Any]) -> bool | Unreadable:
    """Whether the AMI has EBS block devices and every one is encrypted. A mapping without an
    ``Encrypted`` field (AWS reports one; some emulators do not) cannot be judged."""
    ebs = [m["Ebs"] for m in image.get("BlockDeviceMappings") or [] if "Ebs" in m]
    if any("Encrypted" not in device for device in ebs):
        return Unreadable("DescribeImages did not report Encrypted for every EBS block device")
    return bool(ebs) and all(device["Encrypted"] for device in ebs)


def transform_image(image: dict[str, Any]) -> dict[str, Any]:
    return {
        "image_id": image["ImageId"],
        "name": image.get("Name"),
        "state": image.get("State"),
        "public": bool(image.get("Public")),
        "root_device_type": image.get("RootDeviceType"),
        "encrypted": image_encrypted(image),
        "creation_date": _date(image.get("CreationDate")),
        "tags": tags_dict(image.get("Tags")),
    }


def transform_instance(instance: dict[str, Any]) -> dict[str, Any]:
    options = instance.get("MetadataOptions")
    metadata: dict[str, Any]
    if options is None:
        missing = Unreadable("DescribeInstances did not report MetadataOptions")
        metadata = dict.fromkeys(METADATA, missing)
    else:
        metadata = {
            "imdsv2_required": options.get("HttpTokens") == "required",
            "metadata_endpoint": options.get("HttpEndpoint", "enabled"),
            "metadata_hop_limit": options.get("HttpPutResponseHopLimit"),
        }
    return {
        "instance_id": instance["InstanceId"],
        "state": (instance.get("State") or {}).get("Name"),
        "instance_type": instance.get("InstanceType"),
        "image_id": instance.get("ImageId"),
        **metadata,
        "public_ip": instance.get("PublicIpAddress") or None,
        "iam_instance_profile": (instance.get("IamInstanceProfile") or {}).get("Arn"),
        "vpc_id": instance.get("VpcId") or None,
        "launch_time": iso(instance.get("LaunchTime")),
        "tags": tags_dict(instance.get("Tags")),
    }


def list_volumes(ec2: Any) -> list[dict[str, Any]]:
    return list(paginate(ec2, "describe_volumes", "Volumes", MaxResults=VOLUME_PAGE))


def list_snapshots(ec2: Any) -> list[dict[str, Any]]:
    return list(
        paginate(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"], MaxResults=PAGE_SIZE)
    )


def public_snapshot_ids(ec2: Any) -> list[str]:
    """The account's snapshots that anyone may restore, in one listing for the region."""
    found = paginate(
        ec2,
        "describe_snapshots",
        "Snapshots",
        OwnerIds=["self"],
        RestorableByUserIds=["all"],
        MaxResults=PAGE_SIZE,
    )
    return sorted({s["SnapshotId"] for s in found})


def list_images(ec2: Any) -> list[dict[str, Any]]:
    return list(paginate(ec2, "describe_images", "Images", Owners=["self"], MaxResults=PAGE_SIZE))


def list_instances(ec2: Any) -> list[dict[str, Any]]:
    reservations = paginate(
        ec2,
        "describe_instances",
        "Reservations",
        Filters=[{"Name": "instance-state-name", "Values": list(LIVE_STATES)}],
        MaxResults=PAGE_SIZE,
    )
    return [
        instance
        for reservation in reservations
        for instance in reservation.get("Instances") or []
        if (instance.get("State") or {}).get("Name") != "terminated"
    ]


def ebs_defaults(ctx: UnitContext, ec2: Any) -> Reads:
    reads = ctx.reads()
    reads.read(
        "encryption_by_default",
        lambda: bool(ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"]),
    )
    reads.read("default_kms_key_id", lambda: default_kms_key_id(ec2))
    return reads


def default_kms_key_id(ec2: Any) -> str | None:
    """GetEbsDefaultKmsKeyId. An answer that is not an AWS reply at all (an emulator's or a
    proxy's HTML error page, which botocore cannot parse for EC2) is a transient gap too."""
    try:
        key: str | None = ec2.get_ebs_default_kms_key_id().get("KmsKeyId")
    except ResponseParserError as exc:
        title = re.search(r"<title>(.*?)</title>", str(exc), re.IGNORECASE | re.DOTALL)
        raise TransientError(
            f"unparseable response: {title.group(1) if title else 'not an AWS reply'}",
            operation="GetEbsDefaultKmsKeyId",
            code="ResponseParserError",
        ) from exc
    return key


class Ec2Connector(Connector):
    name = "aws.ec2"
    provider = "aws"
    description = "EBS encryption defaults, volumes, snapshots, AMIs and instance metadata options"
    regional = True
    kinds = (EBS_DEFAULTS, VOLUME, SNAPSHOT, IMAGE, INSTANCE)
    permissions = (
        "ec2:GetEbsEncryptionByDefault",
        "ec2:GetEbsDefaultKmsKeyId",
        "ec2:DescribeVolumes",
        "ec2:DescribeSnapshots",
        "ec2:DescribeImages",
        "ec2:DescribeInstances",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        region, account = ctx.scope.region, ctx.scope.account
        ec2 = ctx.session.client("ec2", region)
        listings: dict[str, Callable[[Any], list[dict[str, Any]]]] = {
            "volumes": list_volumes,
            "snapshots": list_snapshots,
            "images": list_images,
            "instances": list_instances,
        }
        found = ctx.attempt_all(
            "EC2",
            {family: partial(lister, ec2) for family, lister in listings.items()},
        )
        arn = f"arn:aws:ec2:{region}:{account}"
        yield ctx.observe(
            "aws.ec2.ebs_defaults", f"{arn}:ebs-encryption-by-default", ebs_defaults(ctx, ec2)
        )
        volumes, snapshots = found["volumes"], found["snapshots"]
        images, instances = found["images"], found["instances"]
        if not isinstance(volumes, ConnectorError):
            for volume in volumes:
                yield _observe(ctx, VOLUME, f"{arn}:volume/{volume['VolumeId']}", volume)
        if not isinstance(snapshots, ConnectorError):
            public = ctx.reads()
            if snapshots:
                public.read("ids", lambda: public_snapshot_ids(ec2))
            for snapshot in snapshots:
                yield _snapshot(ctx, snapshot, public)
        if not isinstance(images, ConnectorError):
            for image in images:
                resource_id = f"arn:aws:ec2:{region}::image/{image['ImageId']}"
                yield _observe(ctx, IMAGE, resource_id, image)
        if not isinstance(instances, ConnectorError):
            for instance in instances:
                resource_id = f"{arn}:instance/{instance['InstanceId']}"
                yield _observe(ctx, INSTANCE, resource_id, instance)


TRANSFORMS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    VOLUME.name: ("ec2:DescribeVolumes", transform_volume),
    SNAPSHOT.name: ("ec2:DescribeSnapshots", transform_snapshot),
    IMAGE.name: ("ec2:DescribeImages", transform_image),
    INSTANCE.name: ("ec2:DescribeInstances", transform_instance),
}


def _reads(ctx: UnitContext, kind: Kind, item: dict[str, Any]) -> Reads:
    source, transform = TRANSFORMS[kind.name]
    reads = ctx.reads(source)
    attributes = transform(item)
    reads.read_many(attributes, lambda: attributes)
    return reads


def _observe(ctx: UnitContext, kind: Kind, resource_id: str, item: dict[str, Any]) -> Observation:
    return ctx.observe(kind.name, resource_id, _reads(ctx, kind, item))


def _snapshot(ctx: UnitContext, snapshot: dict[str, Any], public: Reads) -> Observation:
    reads = _reads(ctx, SNAPSHOT, snapshot)
    if "ids" in public.gaps:
        reads.gaps["public"] = public.gaps["ids"]
    else:
        reads.sources.update(public.sources)
        reads.set("public", snapshot["SnapshotId"] in public.attributes["ids"])
    resource_id = f"arn:aws:ec2:{ctx.scope.region}::snapshot/{snapshot['SnapshotId']}"
    return ctx.observe("aws.ec2.snapshot", resource_id, reads)
