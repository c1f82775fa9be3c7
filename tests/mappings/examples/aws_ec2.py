"""Pass and fail examples for the EC2 rules (EBS defaults, volumes, snapshots, AMIs, instances)."""

KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _volume(**extra: object) -> dict:
    return {
        "volume_id": "vol-0a1b2c3d4e5f60718",
        "size_gib": 100,
        "volume_type": "gp3",
        "state": "in-use",
        "encrypted": True,
        "kms_key_id": KEY,
        **extra,
    }


def _snapshot(**extra: object) -> dict:
    return {
        "snapshot_id": "snap-0a1b2c3d4e5f60718",
        "volume_id": "vol-0a1b2c3d4e5f60718",
        "volume_size_gib": 100,
        "started_at": "2024-05-01T03:00:00Z",
        "encrypted": True,
        "kms_key_id": KEY,
        "public": False,
        **extra,
    }


def _image(**extra: object) -> dict:
    return {
        "image_id": "ami-0a1b2c3d4e5f60718",
        "name": "web-base-2024-05",
        "public": False,
        **extra,
    }


def _instance(**extra: object) -> dict:
    return {
        "instance_id": "i-0a1b2c3d4e5f60718",
        "instance_type": "m6i.large",
        "state": "running",
        "imdsv2_required": True,
        "metadata_endpoint": "enabled",
        "metadata_hop_limit": 1,
        **extra,
    }


EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.ec2.ebs_defaults.encryption-by-default": (
        {"encryption_by_default": True, "default_kms_key_id": "alias/aws/ebs"},
        {"encryption_by_default": False, "default_kms_key_id": "alias/aws/ebs"},
    ),
    "aws.ec2.volume.encrypted": (
        _volume(),
        _volume(encrypted=False, kms_key_id=None),
    ),
    "aws.ec2.snapshot.not-public": (
        _snapshot(),
        _snapshot(public=True),
    ),
    "aws.ec2.snapshot.encrypted": (
        _snapshot(),
        _snapshot(encrypted=False, kms_key_id=None, public=True),
    ),
    "aws.ec2.image.not-public": (
        _image(),
        _image(public=True),
    ),
    "aws.ec2.instance.imdsv2": (
        # The metadata service switched off entirely passes too; the pass example uses it.
        _instance(imdsv2_required=False, metadata_endpoint="disabled"),
        _instance(imdsv2_required=False),
    ),
}
