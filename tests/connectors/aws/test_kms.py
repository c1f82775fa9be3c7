"""KMS through boto3 against moto over HTTP in two regions."""

from __future__ import annotations

import json

import pytest

from annexa.connectors.aws.kms import KmsConnector
from tests.support.aws import by_id, client, open_session, run_unit

OPEN_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "Everyone",
                "Effect": "Allow",
                "Principal": {"AWS": "*"},
                "Action": "kms:Decrypt",
                "Resource": "*",
            }
        ],
    }
)


@pytest.fixture
def estate(moto: str) -> dict[str, str]:
    us = client(moto, "kms", "us-east-1")
    rotated = us.create_key(Description="rotated", Tags=[{"TagKey": "team", "TagValue": "data"}])[
        "KeyMetadata"
    ]["KeyId"]
    us.enable_key_rotation(KeyId=rotated)
    us.create_alias(AliasName="alias/rotated", TargetKeyId=rotated)
    unrotated = us.create_key(Description="unrotated")["KeyMetadata"]["KeyId"]
    eu = client(moto, "kms", "eu-west-1")
    signing = eu.create_key(KeySpec="RSA_2048", KeyUsage="SIGN_VERIFY")["KeyMetadata"]["KeyId"]
    doomed = eu.create_key()["KeyMetadata"]["KeyId"]
    eu.schedule_key_deletion(KeyId=doomed, PendingWindowInDays=7)
    shared = eu.create_key()["KeyMetadata"]["KeyId"]
    eu.put_key_policy(KeyId=shared, PolicyName="default", Policy=OPEN_POLICY)
    return {
        "endpoint": moto,
        "rotated": rotated,
        "unrotated": unrotated,
        "signing": signing,
        "doomed": doomed,
        "shared": shared,
    }


def keys(observations) -> dict[str, dict]:
    return {
        o.attributes["key_id"]: o.attributes for o in by_id(observations, "aws.kms.key").values()
    }


def test_keys_in_two_regions(estate: dict[str, str]) -> None:
    session = open_session(estate["endpoint"])
    us, _ = run_unit(KmsConnector, estate["endpoint"], "us-east-1", session)
    eu, _ = run_unit(KmsConnector, estate["endpoint"], "eu-west-1", session)
    us_keys, eu_keys = keys(us), keys(eu)
    # moto pre-creates AWS-managed keys (alias/aws/*); only customer-managed keys are observed.
    assert estate["rotated"] in us_keys and estate["unrotated"] in us_keys
    assert us_keys[estate["rotated"]]["rotation_enabled"] is True
    assert us_keys[estate["rotated"]]["aliases"] == ["alias/rotated"]
    assert us_keys[estate["rotated"]]["tags"] == {"team": "data"}
    assert us_keys[estate["unrotated"]]["rotation_enabled"] is False
    assert us_keys[estate["unrotated"]]["rotation_applicable"] is True

    signing = eu_keys[estate["signing"]]
    assert signing["rotation_applicable"] is False and signing["key_spec"] == "RSA_2048"
    assert (
        eu_keys[estate["doomed"]]["state"] == "PendingDeletion"
        and eu_keys[estate["doomed"]]["deletion_date"]
    )
    assert eu_keys[estate["shared"]]["policy_public_statements"] == ["Everyone"]
    assert all(o.scope.region == "eu-west-1" for o in eu)


def test_key_that_denies_describe_is_a_gap(estate: dict[str, str], proxy) -> None:
    proxy.deny(service="kms", operation="DescribeKey")
    observations, _ = run_unit(KmsConnector, proxy.url, "us-east-1")
    assert observations, "unreadable keys are observed as gaps, not skipped"
    for obs in observations:
        assert "state" in obs.gaps and "rotation_enabled" in obs.gaps
        assert "PermissionDenied" in obs.gaps["state"]
