"""AWS Config: recorders, what they record, and whether recording and delivery work, per region."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.connectors.aws.common import iso
from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.records import Observation

RECORDER = Kind(
    "aws.config.recorder",
    "An AWS Config configuration recorder and its status",
    {
        "name": "recorder name",
        "role_arn": "the role the recorder uses",
        "all_supported": "records all supported resource types",
        "include_global_resource_types": "also records global resources (IAM)",
        "resource_types": "number of explicitly listed resource types",
        "excluded_resource_types": "number of excluded resource types",
        "recording": "whether the recorder is currently recording",
        "last_status": "SUCCESS, PENDING or FAILURE of the last recording attempt",
        "last_error_code": "error code of the last failure (null: none)",
        "last_start_time": "when recording last started",
    },
)
REGION = Kind(
    "aws.config.region",
    "Whether AWS Config records every resource in the region and delivers its history",
    {
        "recorders": "number of configuration recorders",
        "recording": "at least one recorder is recording",
        "all_resources": "a recording recorder covers all supported resource types",
        "delivery_channels": "number of delivery channels",
        "delivery": "each channel's bucket, topic and snapshot frequency",
        "delivery_healthy": "every channel's last configuration-history delivery succeeded",
    },
)


def transform_recorder(recorder: dict[str, Any], status: dict[str, Any] | None) -> dict[str, Any]:
    group = recorder.get("recordingGroup", {})
    strategy = group.get("recordingStrategy", {}).get("useOnly")
    excluded = group.get("exclusionByResourceTypes", {}).get("resourceTypes", [])
    status = status or {}
    return {
        "name": recorder["name"],
        "role_arn": recorder.get("roleARN"),
        "all_supported": bool(group.get("allSupported", strategy == "ALL_SUPPORTED_RESOURCE_TYPES"))
        and not excluded,
        "include_global_resource_types": bool(group.get("includeGlobalResourceTypes", False)),
        "resource_types": len(group.get("resourceTypes", [])),
        "excluded_resource_types": len(excluded),
        "recording": bool(status.get("recording", False)),
        "last_status": status.get("lastStatus"),
        "last_error_code": status.get("lastErrorCode"),
        "last_start_time": iso(status.get("lastStartTime")),
    }


def get_delivery_health(config: Any) -> bool:
    statuses = config.describe_delivery_channel_status().get("DeliveryChannelsStatus", [])
    return bool(statuses) and all(
        s.get("configHistoryDeliveryInfo", {}).get("lastStatus") != "FAILURE"
        and s.get("configSnapshotDeliveryInfo", {}).get("lastStatus") != "FAILURE"
        for s in statuses
    )


class ConfigConnector(Connector):
    name = "aws.config"
    provider = "aws"
    description = "AWS Config recorders, recording scope and delivery, per region"
    regional = True
    kinds = (RECORDER, REGION)
    permissions = (
        "config:DescribeConfigurationRecorders",
        "config:DescribeConfigurationRecorderStatus",
        "config:DescribeDeliveryChannels",
        "config:DescribeDeliveryChannelStatus",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        region, account, partition = ctx.scope.region, ctx.scope.account, ctx.session.partition
        config = ctx.session.client("config", region)
        recorders = config.describe_configuration_recorders().get("ConfigurationRecorders", [])
        statuses = {
            s["name"]: s
            for s in config.describe_configuration_recorder_status().get(
                "ConfigurationRecordersStatus", []
            )
        }
        channels = config.describe_delivery_channels().get("DeliveryChannels", [])

        observed = []
        for recorder in recorders:
            reads = ctx.reads(
                "config:DescribeConfigurationRecorders",
                "config:DescribeConfigurationRecorderStatus",
            )
            attributes = transform_recorder(recorder, statuses.get(recorder["name"]))
            for name, value in attributes.items():
                reads.set(name, value)
            observed.append(attributes)
            recorder_id = (
                recorder.get("arn")
                or f"arn:{partition}:config:{region}:{account}:config-recorder/{recorder['name']}"
            )
            yield ctx.observe("aws.config.recorder", recorder_id, reads)

        summary = ctx.reads(*self.permissions[:3])
        summary.set("recorders", len(recorders))
        summary.set("recording", any(r["recording"] for r in observed))
        summary.set("all_resources", any(r["recording"] and r["all_supported"] for r in observed))
        summary.set("delivery_channels", len(channels))
        summary.set(
            "delivery",
            [
                {
                    "name": c["name"],
                    "s3_bucket": c.get("s3BucketName"),
                    "sns_topic": c.get("snsTopicARN"),
                    "frequency": c.get("configSnapshotDeliveryProperties", {}).get(
                        "deliveryFrequency"
                    ),
                }
                for c in channels
            ],
        )
        if channels:
            summary.read("delivery_healthy", lambda: get_delivery_health(config))
        else:
            summary.set("delivery_healthy", False)
        yield ctx.observe(
            "aws.config.region", f"arn:{partition}:config:{region}:{account}:recording", summary
        )
