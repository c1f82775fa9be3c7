"""EBS defaults, volumes, snapshots, AMIs and instances through boto3 against moto over HTTP, in
two regions.

moto 5.2.5 falls short of AWS in four ways that matter here, each covered with Stubber in real
AWS's shapes instead:

- GetEbsDefaultKmsKeyId is not implemented (HTTP 500): against moto ``default_kms_key_id`` is a
  gap, which the moto tests assert; its value is tested with Stubber.
- DescribeSnapshots ignores ``RestorableByUserIds``, so the public-snapshot listing returns every
  snapshot: the moto tests check the request sent, not ``public``; which snapshots are public is
  tested with Stubber.
- DescribeImages drops ``Encrypted`` from AMI block device mappings: against moto an AMI's
  ``encrypted`` is a gap; its value is tested with Stubber and in transform tests.
- DescribeSnapshots drops ``KmsKeyId``: an encrypted snapshot's key is tested with Stubber.
- DescribeVolumes and DescribeSnapshots answer in one page whatever MaxResults says: NextToken
  paging and the MaxResults sent are tested with Stubber.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from botocore.stub import Stubber

from annexa.collector.runner import check_observation
from annexa.connectors.aws.ec2 import Ec2Connector, image_encrypted, transform_instance
from annexa.connectors.aws.provider import AwsProvider
from annexa.connectors.base import UnitContext, Unreadable
from annexa.connectors.errors import PermissionDenied
from annexa.connectors.records import Observation, Scope
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.aws import ACCOUNT, by_id, client, open_session, run_unit

US, EU = "us-east-1", "eu-west-1"
FAKE_AMI = "ami-0123456789abcdef0"  # moto does not validate AMI ids (AMI validation is off)
OPERATIONS = {
    "ec2:DescribeVolumes": 1,
    "ec2:DescribeSnapshots": 2,  # the account's snapshots, then the public ones
    "ec2:DescribeImages": 1,
    "ec2:DescribeInstances": 1,
    "ec2:GetEbsEncryptionByDefault": 1,
    "ec2:GetEbsDefaultKmsKeyId": 1,
}


def arn(region: str, kind: str, resource: str) -> str:
    account = "" if kind in ("snapshot", "image") else ACCOUNT
    return f"arn:aws:ec2:{region}:{account}:{kind}/{resource}"


def tagged(resource: str, **tags: str) -> list[dict[str, Any]]:
    return [{"ResourceType": resource, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}]


@pytest.fixture
def estate(moto: str) -> dict[str, str]:
    """us-east-1: encryption by default on, an encrypted and an unencrypted volume, a public and
    a private snapshot, a public and a private AMI, IMDSv2-required and IMDSv1 instances and a
    terminated one. eu-west-1: encryption by default off, one unencrypted volume, an instance
    with the metadata endpoint disabled, no snapshot and no AMI."""
    ids: dict[str, str] = {}
    us = client(moto, "ec2", US)
    us.enable_ebs_encryption_by_default()
    key = ids["key"] = client(moto, "kms", US).create_key()["KeyMetadata"]["Arn"]
    ids["sealed"] = us.create_volume(
        Size=100,
        AvailabilityZone="us-east-1a",
        VolumeType="gp3",
        Encrypted=True,
        KmsKeyId=key,
        TagSpecifications=tagged("volume", team="payments"),
    )["VolumeId"]
    ids["plain"] = us.create_volume(Size=8, AvailabilityZone="us-east-1a")["VolumeId"]
    ids["private-snap"] = us.create_snapshot(
        VolumeId=ids["sealed"], TagSpecifications=tagged("snapshot", backup="nightly")
    )["SnapshotId"]
    ids["public-snap"] = us.create_snapshot(VolumeId=ids["plain"])["SnapshotId"]
    us.modify_snapshot_attribute(
        SnapshotId=ids["public-snap"],
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )
    ids["public-ami"] = us.register_image(Name="shared-base", RootDeviceName="/dev/xvda")["ImageId"]
    us.modify_image_attribute(
        ImageId=ids["public-ami"], LaunchPermission={"Add": [{"Group": "all"}]}
    )
    ids["private-ami"] = us.register_image(Name="web-golden", RootDeviceName="/dev/xvda")["ImageId"]
    us.create_tags(Resources=[ids["private-ami"]], Tags=[{"Key": "os", "Value": "al2023"}])
    profile = client(moto, "iam").create_instance_profile(InstanceProfileName="web")
    ids["profile"] = profile["InstanceProfile"]["Arn"]
    ids["v2"] = us.run_instances(
        ImageId=ids["private-ami"],
        MinCount=1,
        MaxCount=1,
        InstanceType="m6i.large",
        MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
        IamInstanceProfile={"Arn": ids["profile"]},
        TagSpecifications=tagged("instance", Name="web-1"),
    )["Instances"][0]["InstanceId"]
    ids["v1"] = us.run_instances(ImageId=FAKE_AMI, MinCount=1, MaxCount=1, InstanceType="t3.micro")[
        "Instances"
    ][0]["InstanceId"]
    ids["gone"] = us.run_instances(ImageId=FAKE_AMI, MinCount=1, MaxCount=1)["Instances"][0][
        "InstanceId"
    ]
    us.terminate_instances(InstanceIds=[ids["gone"]])

    eu = client(moto, "ec2", EU)
    ids["eu-plain"] = eu.create_volume(Size=20, AvailabilityZone="eu-west-1b")["VolumeId"]
    ids["dark"] = eu.run_instances(
        ImageId=FAKE_AMI,
        MinCount=1,
        MaxCount=1,
        InstanceType="t3.small",
        MetadataOptions={"HttpEndpoint": "disabled"},
    )["Instances"][0]["InstanceId"]
    return ids


def evaluate(observation: Observation) -> dict[str, tuple[str, str]]:
    engine = RuleEngine([r for r in load_rules() if r.kind == observation.kind])
    return {e.rule_id: (e.status, e.reason) for e in engine.evaluate(observation)}


def test_ebs_defaults_in_two_regions(moto: str, estate: dict[str, str]) -> None:
    session = open_session(moto)
    us, _ = run_unit(Ec2Connector, moto, US, session)
    eu, _ = run_unit(Ec2Connector, moto, EU, session)
    [on] = by_id(us, "aws.ec2.ebs_defaults").values()
    [off] = by_id(eu, "aws.ec2.ebs_defaults").values()
    assert on.resource_id == f"arn:aws:ec2:{US}:{ACCOUNT}:ebs-encryption-by-default"
    assert on.attributes == {"encryption_by_default": True}
    assert off.attributes == {"encryption_by_default": False}
    # moto does not implement GetEbsDefaultKmsKeyId: a gap on that attribute alone.
    assert "500 Internal Server Error" in on.gaps["default_kms_key_id"] and set(on.gaps) == {
        "default_kms_key_id"
    }
    assert set(on.source) == {"ec2:GetEbsEncryptionByDefault", "ec2:GetEbsDefaultKmsKeyId"}
    assert evaluate(on)["aws.ec2.ebs_defaults.encryption-by-default"][0] == "pass"
    status, reason = evaluate(off)["aws.ec2.ebs_defaults.encryption-by-default"]
    assert status == "fail" and reason.startswith("EBS encryption by default is off")


def test_volumes(moto: str, estate: dict[str, str]) -> None:
    session = open_session(moto)
    us, _ = run_unit(Ec2Connector, moto, US, session)
    volumes = by_id(us, "aws.ec2.volume")
    sealed = volumes[arn(US, "volume", estate["sealed"])]
    assert {k: v for k, v in sealed.attributes.items() if k != "created_at"} == {
        "volume_id": estate["sealed"],
        "state": "available",
        "size_gib": 100,
        "volume_type": "gp3",
        "availability_zone": "us-east-1a",
        "encrypted": True,
        "kms_key_id": estate["key"],
        "snapshot_id": None,
        "attached_instances": [],
        "tags": {"team": "payments"},
    }
    assert sealed.attributes["created_at"].endswith("Z") and sealed.gaps == {}
    assert sealed.source == ("ec2:DescribeVolumes",)
    status, reason = evaluate(sealed)["aws.ec2.volume.encrypted"]
    assert status == "pass" and reason.endswith(f"is encrypted (KMS key {estate['key']})")

    plain = volumes[arn(US, "volume", estate["plain"])].attributes
    assert plain["encrypted"] is False and plain["kms_key_id"] is None
    # Root volumes of the running instances are listed too, attached to them.
    roots = [v.attributes for v in volumes.values() if v.attributes["attached_instances"]]
    assert {r["attached_instances"][0] for r in roots} == {estate["v2"], estate["v1"]}
    assert all(r["state"] == "in-use" for r in roots)

    eu, _ = run_unit(Ec2Connector, moto, EU, session)
    eu_plain = by_id(eu, "aws.ec2.volume")[arn(EU, "volume", estate["eu-plain"])]
    status, reason = evaluate(eu_plain)["aws.ec2.volume.encrypted"]
    assert (
        status == "fail"
        and reason == f"{estate['eu-plain']} (20 GiB gp2, available) is not encrypted"
    )


def test_snapshots(estate: dict[str, str], proxy: Any) -> None:
    """What moto answers for; ``public`` is not asserted here (see the module docstring), only
    that it comes from one regional listing restricted to snapshots restorable by all."""
    observations, _ = run_unit(Ec2Connector, proxy.url, US)
    snapshots = by_id(observations, "aws.ec2.snapshot")
    private = snapshots[arn(US, "snapshot", estate["private-snap"])]
    attributes = private.attributes
    assert attributes["snapshot_id"] == estate["private-snap"]
    assert attributes["volume_id"] == estate["sealed"] and attributes["volume_size_gib"] == 100
    assert attributes["encrypted"] is True
    assert attributes["kms_key_id"] is None  # moto drops KmsKeyId from snapshots; AWS reports it
    assert attributes["state"] == "completed" and attributes["tags"] == {"backup": "nightly"}
    assert isinstance(attributes["public"], bool) and private.gaps == {}
    assert set(private.source) == {"ec2:DescribeSnapshots"}
    plain = snapshots[arn(US, "snapshot", estate["public-snap"])].attributes
    assert plain["encrypted"] is False and plain["kms_key_id"] is None
    status, reason = evaluate(snapshots[arn(US, "snapshot", estate["public-snap"])])[
        "aws.ec2.snapshot.encrypted"
    ]
    assert status == "fail" and f"of {estate['plain']} (8 GiB" in reason
    # moto also keeps a snapshot behind each registered AMI, as AWS does.
    assert len(snapshots) == 4

    listings = [s.body for s in proxy.seen if s.operation == "DescribeSnapshots"]
    assert len(listings) == 2
    assert all("Owner.1=self" in body and "MaxResults=1000" in body for body in listings)
    assert "RestorableBy" not in listings[0] and "RestorableBy.1=all" in listings[1]


def test_images(moto: str, estate: dict[str, str]) -> None:
    observations, _ = run_unit(Ec2Connector, moto, US)
    images = by_id(observations, "aws.ec2.image")
    assert set(images) == {
        arn(US, "image", estate["public-ami"]),
        arn(US, "image", estate["private-ami"]),
    }
    public = images[arn(US, "image", estate["public-ami"])]
    assert public.attributes["public"] is True and public.attributes["name"] == "shared-base"
    assert public.attributes["state"] == "available"
    status, reason = evaluate(public)["aws.ec2.image.not-public"]
    assert status == "fail" and reason.startswith(f"shared-base ({estate['public-ami']}) is public")
    private = images[arn(US, "image", estate["private-ami"])]
    assert private.attributes["public"] is False and private.attributes["tags"] == {"os": "al2023"}
    assert private.attributes["creation_date"].endswith("Z")
    assert evaluate(private)["aws.ec2.image.not-public"][0] == "pass"
    # moto drops Encrypted from AMI block devices: a gap, never "unencrypted".
    assert "encrypted" not in private.attributes and "Encrypted" in private.gaps["encrypted"]


def test_instances(moto: str, estate: dict[str, str]) -> None:
    session = open_session(moto)
    us, _ = run_unit(Ec2Connector, moto, US, session)
    instances = by_id(us, "aws.ec2.instance")
    assert arn(US, "instance", estate["gone"]) not in instances and len(instances) == 2
    v2 = instances[arn(US, "instance", estate["v2"])]
    assert v2.attributes["imdsv2_required"] is True
    assert v2.attributes["metadata_endpoint"] == "enabled"
    assert v2.attributes["metadata_hop_limit"] == 2
    assert v2.attributes["iam_instance_profile"] == estate["profile"]
    assert v2.attributes["image_id"] == estate["private-ami"]
    assert v2.attributes["instance_type"] == "m6i.large" and v2.attributes["state"] == "running"
    assert v2.attributes["tags"] == {"Name": "web-1"} and v2.attributes["vpc_id"].startswith("vpc-")
    assert v2.attributes["launch_time"].endswith("Z") and v2.gaps == {}
    assert evaluate(v2)["aws.ec2.instance.imdsv2"][0] == "pass"
    v1 = instances[arn(US, "instance", estate["v1"])]
    assert v1.attributes["imdsv2_required"] is False
    assert v1.attributes["iam_instance_profile"] is None
    status, reason = evaluate(v1)["aws.ec2.instance.imdsv2"]
    assert status == "fail" and "accepts IMDSv1 requests" in reason

    eu, _ = run_unit(Ec2Connector, moto, EU, session)
    [dark] = by_id(eu, "aws.ec2.instance").values()
    assert dark.resource_id == arn(EU, "instance", estate["dark"])
    assert dark.attributes["imdsv2_required"] is False
    assert dark.attributes["metadata_endpoint"] == "disabled"
    status, reason = evaluate(dark)["aws.ec2.instance.imdsv2"]
    assert status == "pass" and "metadata endpoint disabled" in reason


def test_calls_do_not_grow_with_the_estate(moto: str, estate: dict[str, str]) -> None:
    """One call per listing and per EBS default, however many volumes and snapshots there are;
    a region without snapshots skips the public-snapshot listing."""
    observations, counter = run_unit(Ec2Connector, moto, US)
    assert dict(counter.operations) == OPERATIONS and counter.requests == 7
    ec2 = client(moto, "ec2", US)
    for _ in range(30):
        volume = ec2.create_volume(Size=1, AvailabilityZone="us-east-1b")["VolumeId"]
        ec2.create_snapshot(VolumeId=volume)
    more, counter = run_unit(Ec2Connector, moto, US)
    assert len(more) == len(observations) + 60
    assert dict(counter.operations) == OPERATIONS and counter.requests == 7

    _, counter = run_unit(Ec2Connector, moto, EU)
    assert dict(counter.operations) == {**OPERATIONS, "ec2:DescribeSnapshots": 1}


def collect(session: Any, region: str) -> tuple[list[Observation], list[str]]:
    """One unit with its notes (run_unit does not return them), sequentially so that Stubber
    answers in order."""
    ctx = UnitContext(
        run_id="test-run",
        unit_id=f"test/aws.ec2/{region}",
        scope=Scope("aws", ACCOUNT, region),
        session=session,
        translate=AwsProvider().translate_error,
    )
    observations = list(Ec2Connector().collect(ctx))
    for obs in observations:
        check_observation(Ec2Connector, obs)
    return observations, ctx.notes


def test_denied_snapshots_leave_the_other_families(estate: dict[str, str], proxy: Any) -> None:
    proxy.deny(service="ec2", operation="DescribeSnapshots")
    observations, notes = collect(open_session(proxy.url), US)
    assert len(notes) == 1 and notes[0].startswith("EC2 snapshots not listed:")
    assert "PermissionDenied" in notes[0]
    counts = {kind: len(by_id(observations, kind)) for kind in {o.kind for o in observations}}
    assert counts == {
        "aws.ec2.ebs_defaults": 1,
        "aws.ec2.volume": 4,  # two created, two instance roots
        "aws.ec2.image": 2,
        "aws.ec2.instance": 2,
    }


def test_denied_public_listing_is_a_gap_on_every_snapshot(
    estate: dict[str, str], proxy: Any
) -> None:
    proxy.deny(service="ec2", operation="DescribeSnapshots", body_contains="RestorableBy.1=all")
    observations, notes = collect(open_session(proxy.url), US)
    snapshots = by_id(observations, "aws.ec2.snapshot")
    assert len(snapshots) == 4 and notes == []
    for snapshot in snapshots.values():
        assert "public" not in snapshot.attributes
        assert "PermissionDenied" in snapshot.gaps["public"]
        assert "encrypted" in snapshot.attributes
        status, reason = evaluate(snapshot)["aws.ec2.snapshot.not-public"]
        assert status == "error" and reason.startswith("evidence gap")


def test_denied_ebs_default_is_a_gap(estate: dict[str, str], proxy: Any) -> None:
    proxy.deny(service="ec2", operation="GetEbsEncryptionByDefault")
    observations, notes = collect(open_session(proxy.url), US)
    [defaults] = by_id(observations, "aws.ec2.ebs_defaults").values()
    assert "encryption_by_default" not in defaults.attributes
    assert "PermissionDenied" in defaults.gaps["encryption_by_default"]
    status, reason = evaluate(defaults)["aws.ec2.ebs_defaults.encryption-by-default"]
    assert status == "error" and reason.startswith("evidence gap")
    assert notes == [] and len(by_id(observations, "aws.ec2.volume")) == 4


def test_every_listing_denied_fails_the_unit(estate: dict[str, str], proxy: Any) -> None:
    for operation in ("DescribeVolumes", "DescribeSnapshots", "DescribeImages"):
        proxy.deny(service="ec2", operation=operation)
    observations, notes = collect(open_session(proxy.url), US)
    assert {o.kind for o in observations} == {"aws.ec2.ebs_defaults", "aws.ec2.instance"}
    assert [n.split(":")[0] for n in notes] == [
        "EC2 volumes not listed",
        "EC2 snapshots not listed",
        "EC2 images not listed",
    ]
    proxy.deny(service="ec2", operation="DescribeInstances")
    before = len(proxy.seen)
    with pytest.raises(PermissionDenied) as denied:
        collect(open_session(proxy.url), US)
    assert "DescribeVolumes" in denied.value.describe()  # the first listing's error
    assert [s.operation for s in proxy.seen[before:] if s.operation != "GetCallerIdentity"] == [
        "DescribeVolumes",
        "DescribeSnapshots",
        "DescribeImages",
        "DescribeInstances",
    ]


KEY = f"arn:aws:kms:{EU}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
STARTED = datetime(2024, 5, 1, 3, 0, tzinfo=UTC)


def _snapshot(snapshot_id: str, encrypted: bool) -> dict[str, Any]:
    found: dict[str, Any] = {
        "SnapshotId": snapshot_id,
        "VolumeId": "vol-0aaa",
        "VolumeSize": 50,
        "State": "completed",
        "StartTime": STARTED,
        "OwnerId": ACCOUNT,
        "Encrypted": encrypted,
    }
    if encrypted:
        found["KmsKeyId"] = KEY
    return found


def test_paging_and_real_aws_shapes(moto: str) -> None:
    """Through Stubber: NextToken paging of volumes (500 a page) and snapshots (1000), the
    public-snapshot listing, GetEbsDefaultKmsKeyId, and AMI block devices that report
    Encrypted."""
    session = open_session(moto)
    ec2 = session.client("ec2", EU)
    self_owned = {"OwnerIds": ["self"], "MaxResults": 1000}
    with Stubber(ec2) as stub:
        stub.add_response(
            "describe_volumes",
            {"Volumes": [{"VolumeId": "vol-0aaa", "Encrypted": False}], "NextToken": "v2"},
            {"MaxResults": 500},
        )
        stub.add_response(
            "describe_volumes",
            {"Volumes": [{"VolumeId": "vol-0bbb", "Encrypted": True, "KmsKeyId": KEY}]},
            {"MaxResults": 500, "NextToken": "v2"},
        )
        stub.add_response(
            "describe_snapshots",
            {"Snapshots": [_snapshot("snap-0open", False)], "NextToken": "s2"},
            self_owned,
        )
        stub.add_response(
            "describe_snapshots",
            {"Snapshots": [_snapshot("snap-0shut", True)]},
            {**self_owned, "NextToken": "s2"},
        )
        stub.add_response(
            "describe_images",
            {
                "Images": [
                    {
                        "ImageId": "ami-0enc",
                        "Name": "golden",
                        "Public": False,
                        "CreationDate": "2024-05-01T03:00:00.000Z",
                        "BlockDeviceMappings": [
                            {"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True}},
                            {"DeviceName": "/dev/sdb", "VirtualName": "ephemeral0"},
                        ],
                    }
                ]
            },
            {"Owners": ["self"], "MaxResults": 1000},
        )
        stub.add_response(
            "describe_instances",
            {"Reservations": []},
            {
                "Filters": [
                    {
                        "Name": "instance-state-name",
                        "Values": ["pending", "running", "shutting-down", "stopping", "stopped"],
                    }
                ],
                "MaxResults": 1000,
            },
        )
        stub.add_response("get_ebs_encryption_by_default", {"EbsEncryptionByDefault": True}, {})
        stub.add_response("get_ebs_default_kms_key_id", {"KmsKeyId": KEY}, {})
        stub.add_response(
            "describe_snapshots",
            {"Snapshots": [_snapshot("snap-0open", False)]},
            {**self_owned, "RestorableByUserIds": ["all"]},
        )
        observations, notes = collect(session, EU)
        stub.assert_no_pending_responses()
    assert notes == []
    [defaults] = by_id(observations, "aws.ec2.ebs_defaults").values()
    assert defaults.attributes == {"encryption_by_default": True, "default_kms_key_id": KEY}
    assert defaults.gaps == {}
    volumes = by_id(observations, "aws.ec2.volume")
    assert [v.attributes["kms_key_id"] for v in volumes.values()] == [None, KEY]
    snapshots = by_id(observations, "aws.ec2.snapshot")
    opened = snapshots[arn(EU, "snapshot", "snap-0open")]
    assert opened.attributes["public"] is True
    assert opened.attributes["started_at"] == "2024-05-01T03:00:00.000000Z"
    status, reason = evaluate(opened)["aws.ec2.snapshot.not-public"]
    assert (
        status == "fail"
        and reason
        == "snap-0open of vol-0aaa is public: anyone can create a volume from it and read its data"
    )
    shut = snapshots[arn(EU, "snapshot", "snap-0shut")]
    assert shut.attributes["public"] is False and shut.attributes["kms_key_id"] == KEY
    assert evaluate(shut)["aws.ec2.snapshot.not-public"][0] == "pass"
    [image] = by_id(observations, "aws.ec2.image").values()
    assert image.attributes["encrypted"] is True
    assert image.attributes["creation_date"] == "2024-05-01T03:00:00.000000Z"


def test_image_encryption_and_missing_metadata_options() -> None:
    encrypted = {"Ebs": {"Encrypted": True}}
    assert (
        image_encrypted({"BlockDeviceMappings": [encrypted, {"Ebs": {"Encrypted": False}}]})
        is False
    )
    assert image_encrypted({"BlockDeviceMappings": [encrypted, {"VirtualName": "ephemeral0"}]})
    assert image_encrypted({"BlockDeviceMappings": []}) is False  # instance store: no EBS at all
    assert isinstance(image_encrypted({"BlockDeviceMappings": [{"Ebs": {}}]}), Unreadable)
    attributes = transform_instance({"InstanceId": "i-1", "State": {"Name": "stopped"}})
    assert attributes["state"] == "stopped" and attributes["public_ip"] is None
    for name in ("imdsv2_required", "metadata_endpoint", "metadata_hop_limit"):
        assert isinstance(attributes[name], Unreadable)
