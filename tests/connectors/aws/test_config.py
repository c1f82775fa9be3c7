"""AWS Config through boto3 against moto over HTTP in two regions; delivery status via Stubber."""

from __future__ import annotations

import pytest
from botocore.stub import Stubber

from annexa.connectors.aws.config import ConfigConnector, get_delivery_health
from tests.support.aws import ACCOUNT, by_id, client, open_session, run_unit


@pytest.fixture
def estate(moto: str) -> str:
    client(moto, "s3").create_bucket(Bucket="config-history")
    config = client(moto, "config", "us-east-1")
    config.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "default",
            "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config",
            "recordingGroup": {"allSupported": True, "includeGlobalResourceTypes": True},
        }
    )
    config.put_delivery_channel(
        DeliveryChannel={"name": "default", "s3BucketName": "config-history"}
    )
    config.start_configuration_recorder(ConfigurationRecorderName="default")
    eu = client(moto, "config", "eu-west-1")
    eu.put_configuration_recorder(
        ConfigurationRecorder={
            "name": "partial",
            "roleARN": f"arn:aws:iam::{ACCOUNT}:role/config",
            "recordingGroup": {"allSupported": False, "resourceTypes": ["AWS::S3::Bucket"]},
        }
    )
    return moto


def test_recording_in_two_regions(estate: str) -> None:
    session = open_session(estate)
    us, _ = run_unit(ConfigConnector, estate, "us-east-1", session)
    eu, _ = run_unit(ConfigConnector, estate, "eu-west-1", session)

    [recorder] = by_id(us, "aws.config.recorder").values()
    assert recorder.attributes["recording"] is True and recorder.attributes["all_supported"] is True
    [region] = by_id(us, "aws.config.region").values()
    assert region.attributes["recording"] is True and region.attributes["all_resources"] is True
    assert region.attributes["delivery_channels"] == 1
    assert region.attributes["delivery"][0]["s3_bucket"] == "config-history"
    # moto does not implement DescribeDeliveryChannelStatus (HTTP 500): a gap, not a pass.
    assert "delivery_healthy" in region.gaps and "TransientError" in region.gaps["delivery_healthy"]

    [partial] = by_id(eu, "aws.config.recorder").values()
    assert (
        partial.attributes["all_supported"] is False and partial.attributes["resource_types"] == 1
    )
    assert partial.attributes["recording"] is False
    [eu_region] = by_id(eu, "aws.config.region").values()
    assert (
        eu_region.attributes["all_resources"] is False
        and eu_region.attributes["delivery_healthy"] is False
    )
    assert eu_region.resource_id == f"arn:aws:config:eu-west-1:{ACCOUNT}:recording"


@pytest.mark.parametrize(
    ("status", "healthy"),
    [
        (
            {
                "configHistoryDeliveryInfo": {"lastStatus": "SUCCESS"},
                "configSnapshotDeliveryInfo": {"lastStatus": "SUCCESS"},
            },
            True,
        ),
        (
            {
                "configHistoryDeliveryInfo": {"lastStatus": "FAILURE"},
                "configSnapshotDeliveryInfo": {"lastStatus": "SUCCESS"},
            },
            False,
        ),
    ],
)
def test_delivery_status_of_real_aws(moto: str, status: dict, healthy: bool) -> None:
    """moto lacks DescribeDeliveryChannelStatus; real AWS's shape through Stubber."""
    config = open_session(moto).client("config")
    with Stubber(config) as stub:
        stub.add_response(
            "describe_delivery_channel_status",
            {"DeliveryChannelsStatus": [{"name": "default", **status}]},
        )
        assert get_delivery_health(config) is healthy


def test_denied_config_in_one_region(estate: str, proxy) -> None:
    proxy.deny(service="config", region="eu-west-1")
    session = open_session(proxy.url)
    us, _ = run_unit(ConfigConnector, proxy.url, "us-east-1", session)
    assert by_id(us, "aws.config.region")
    with pytest.raises(Exception, match="AccessDenied"):
        run_unit(ConfigConnector, proxy.url, "eu-west-1", session)
