"""CloudTrail through boto3 against moto over HTTP, in two regions."""

from __future__ import annotations

import pytest

from annexa.connectors.aws.cloudtrail import CloudTrailConnector, management_events
from tests.support.aws import ACCOUNT, by_id, client, open_session, run_unit


@pytest.fixture
def estate(moto: str) -> str:
    client(moto, "s3").create_bucket(Bucket="trail-logs")
    us = client(moto, "cloudtrail", "us-east-1")
    us.create_trail(
        Name="org-audit",
        S3BucketName="trail-logs",
        IsMultiRegionTrail=True,
        EnableLogFileValidation=True,
        KmsKeyId="arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        CloudWatchLogsLogGroupArn="arn:aws:logs:us-east-1:123456789012:log-group:trail:*",
        CloudWatchLogsRoleArn="arn:aws:iam::123456789012:role/trail",
    )
    us.start_logging(Name="org-audit")
    eu = client(moto, "cloudtrail", "eu-west-1")
    eu.create_trail(Name="eu-local", S3BucketName="trail-logs")
    eu.put_event_selectors(
        TrailName="eu-local",
        EventSelectors=[{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}],
    )
    return moto


def test_trails_and_coverage_in_two_regions(estate: str) -> None:
    session = open_session(estate)
    us, _ = run_unit(CloudTrailConnector, estate, "us-east-1", session)
    eu, _ = run_unit(CloudTrailConnector, estate, "eu-west-1", session)

    [org] = by_id(us, "aws.cloudtrail.trail").values()
    assert org.attributes["multi_region"] is True and org.attributes["logging"] is True
    assert org.attributes["log_file_validation"] is True and org.attributes["kms_key_id"]
    assert org.attributes["management_events"] == "All" and org.attributes["selectors"] == "default"

    [local] = by_id(eu, "aws.cloudtrail.trail").values()
    assert local.resource_id == f"arn:aws:cloudtrail:eu-west-1:{ACCOUNT}:trail/eu-local"
    assert (
        local.attributes["logging"] is False and local.attributes["management_events"] == "ReadOnly"
    )
    assert local.scope.region == "eu-west-1"

    # The multi-region trail covers both regions; it is observed only in its home region.
    for observations, region in ((us, "us-east-1"), (eu, "eu-west-1")):
        [coverage] = by_id(observations, "aws.cloudtrail.region").values()
        assert coverage.resource_id == f"arn:aws:cloudtrail:{region}:{ACCOUNT}:coverage"
        assert (
            coverage.attributes["covered"] is True
            and coverage.attributes["multi_region_logging"] is True
        )
        assert coverage.attributes["logging_trails"] == [
            f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/org-audit"
        ]


def test_region_without_logging_trail_is_not_covered(moto: str) -> None:
    observations, _ = run_unit(CloudTrailConnector, moto, "eu-west-1")
    [coverage] = by_id(observations, "aws.cloudtrail.region").values()
    assert coverage.attributes["covered"] is False and coverage.attributes["trails_visible"] == 0


def test_unreadable_trail_status_makes_coverage_a_gap(estate: str, proxy) -> None:
    proxy.deny(service="cloudtrail", operation="GetTrailStatus")
    observations, _ = run_unit(CloudTrailConnector, proxy.url, "eu-west-1")
    [coverage] = by_id(observations, "aws.cloudtrail.region").values()
    assert "covered" in coverage.gaps and "PermissionDenied" in coverage.gaps["covered"]


def test_denied_region_fails_the_unit(estate: str, proxy) -> None:
    proxy.deny(service="cloudtrail", region="eu-west-1")
    session = open_session(proxy.url)
    run_unit(CloudTrailConnector, proxy.url, "us-east-1", session)  # the other region still works
    with pytest.raises(Exception, match="AccessDenied"):
        run_unit(CloudTrailConnector, proxy.url, "eu-west-1", session)


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        (
            {"EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]},
            ("WriteOnly", False, "basic"),
        ),
        (
            {
                "EventSelectors": [
                    {
                        "ReadWriteType": "All",
                        "IncludeManagementEvents": False,
                        "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}],
                    }
                ]
            },
            ("None", True, "basic"),
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["false"]},
                        ]
                    }
                ]
            },
            ("WriteOnly", False, "advanced"),
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]},
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Data"]},
                            {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
                        ]
                    },
                ]
            },
            ("All", True, "advanced"),
        ),
        ({"EventSelectors": [], "AdvancedEventSelectors": []}, ("All", False, "default")),
    ],
)
def test_management_event_selection(selectors: dict, expected: tuple) -> None:
    """Real AWS returns basic or advanced selectors; moto returns none (the documented default)."""
    assert management_events(selectors) == expected
