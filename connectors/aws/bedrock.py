"""Amazon Bedrock: model invocation logging, guardrails and custom models, per region. All three
are AI assets in the inventory (A.5.9).

Collected: where invocation logs go and which data they carry; each guardrail's prompt-attack
filter strength, sensitive-information (PII) policy and KMS key; each custom model's base model,
KMS key and customization job. Prompts, completions, training data and guardrail word lists are
never read; denied-topic definitions and regex patterns are reduced to counts.

Bedrock is not offered in every region: when the regional endpoint does not resolve, or AWS does
not recognise the caller there (a region that is not enabled), the unit is skipped as not
applicable with that reason. A family whose listing fails is noted on the unit (``partial``);
only when both listings fail does the whole unit fail with the first error.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from functools import partial
from typing import Any

from botocore.exceptions import EndpointConnectionError

from annexa.connectors.aws.common import has_code, iso, paginate, tags_dict
from annexa.connectors.base import Connector, Kind, Reads, UnitContext
from annexa.connectors.errors import (
    ConnectorError,
    NotApplicable,
)
from annexa.connectors.records import Observation

TAGS = "resource tags (secret-looking values redacted)"
STRENGTHS = ("NONE", "LOW", "MEDIUM", "HIGH")

LOGGING = Kind(
    "aws.bedrock.invocation_logging",
    "The region's Bedrock model invocation logging configuration",
    {
        "name": "the region (one configuration per region)",
        "enabled": "invocations are logged: a destination is set and some data is delivered",
        "text_data_delivery": "textDataDeliveryEnabled",
        "image_data_delivery": "imageDataDeliveryEnabled",
        "embedding_data_delivery": "embeddingDataDeliveryEnabled",
        "video_data_delivery": "videoDataDeliveryEnabled",
        "cloudwatch_log_group": "CloudWatch Logs group receiving the logs (null: none)",
        "s3_bucket": "S3 bucket receiving the logs (null: none)",
        "s3_key_prefix": "key prefix in that bucket (null: none)",
    },
    asset="logging",
)
GUARDRAIL = Kind(
    "aws.bedrock.guardrail",
    "A Bedrock guardrail (its working DRAFT version, as listed)",
    {
        "name": "guardrail name",
        "guardrail_id": "guardrail id",
        "version": "the version read (DRAFT is the working copy)",
        "status": "READY, CREATING, UPDATING, VERSIONING, FAILED or DELETING",
        "created_at": "createdAt",
        "updated_at": "updatedAt",
        "prompt_attack_strength": "input strength of the PROMPT_ATTACK filter (NONE: no filter)",
        "prompt_attack_blocks": "the prompt-attack filter blocks rather than only detects",
        "content_filters": "content filter type -> input strength of the enabled filters",
        "pii_policy": "a sensitive-information policy masks or blocks PII or custom patterns",
        "pii_entity_types": "PII entity types the policy acts on",
        "pii_regex_count": "custom regex patterns in the policy",
        "denied_topic_count": "denied topics configured",
        "kms_key_arn": "customer-managed KMS key encrypting the guardrail (null: AWS-owned)",
        "tags": TAGS,
    },
    asset="guardrail",
)
CUSTOM_MODEL = Kind(
    "aws.bedrock.custom_model",
    "A Bedrock custom (fine-tuned or distilled) model",
    {
        "name": "modelName",
        "status": "modelStatus (Active, Creating, Failed; null: not reported)",
        "created_at": "creationTime",
        "base_model": "ARN of the foundation model it was customised from",
        "customization_type": "FINE_TUNING, CONTINUED_PRE_TRAINING, DISTILLATION, ...",
        "kms_key_arn": "customer-managed KMS key encrypting the model (null: AWS-owned)",
        "job_name": "the customization job that produced it",
        "tags": TAGS,
    },
    asset="custom-model",
)


def _time(value: datetime | None) -> str | None:
    """ISO time; a zone-less timestamp (some Bedrock-compatible endpoints send them) is UTC."""
    if value is not None and value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return iso(value)


def transform_logging(config: dict[str, Any] | None) -> dict[str, Any]:
    """The logging configuration; an absent or empty one logs nothing."""
    config = config or {}
    cloudwatch = config.get("cloudWatchConfig") or {}
    s3 = config.get("s3Config") or {}
    delivery = {
        "text_data_delivery": bool(config.get("textDataDeliveryEnabled")),
        "image_data_delivery": bool(config.get("imageDataDeliveryEnabled")),
        "embedding_data_delivery": bool(config.get("embeddingDataDeliveryEnabled")),
        "video_data_delivery": bool(config.get("videoDataDeliveryEnabled")),
    }
    log_group = cloudwatch.get("logGroupName") or None
    bucket = s3.get("bucketName") or None
    return {
        "enabled": bool(log_group or bucket) and any(delivery.values()),
        **delivery,
        "cloudwatch_log_group": log_group,
        "s3_bucket": bucket,
        "s3_key_prefix": s3.get("keyPrefix") or None,
    }


def _input_strength(content_filter: dict[str, Any]) -> str:
    if content_filter.get("inputEnabled") is False:
        return "NONE"
    return str(content_filter.get("inputStrength", "NONE"))


def _acts(entry: dict[str, Any]) -> bool:
    """Whether a PII entity or regex masks or blocks (``NONE`` only detects)."""
    actions = [entry.get("action"), entry.get("inputAction"), entry.get("outputAction")]
    return any(a not in (None, "NONE") for a in actions)


def transform_guardrail(guardrail: dict[str, Any]) -> dict[str, Any]:
    filters = (guardrail.get("contentPolicy") or {}).get("filters", [])
    strengths = {f["type"]: _input_strength(f) for f in filters}
    prompt: dict[str, Any] = next((f for f in filters if f["type"] == "PROMPT_ATTACK"), {})
    sensitive = guardrail.get("sensitiveInformationPolicy") or {}
    entities = [e for e in sensitive.get("piiEntities", []) if _acts(e)]
    regexes = [r for r in sensitive.get("regexes", []) if _acts(r)]
    return {
        "version": guardrail["version"],
        "status": guardrail["status"],
        "created_at": _time(guardrail.get("createdAt")),
        "updated_at": _time(guardrail.get("updatedAt")),
        "prompt_attack_strength": strengths.get("PROMPT_ATTACK", "NONE"),
        "prompt_attack_blocks": bool(prompt) and prompt.get("inputAction", "BLOCK") == "BLOCK",
        "content_filters": {t: s for t, s in sorted(strengths.items()) if s != "NONE"},
        "pii_policy": bool(entities or regexes),
        "pii_entity_types": sorted({e["type"] for e in entities}),
        "pii_regex_count": len(regexes),
        "denied_topic_count": len((guardrail.get("topicPolicy") or {}).get("topics", [])),
        "kms_key_arn": guardrail.get("kmsKeyArn") or None,
    }


def transform_custom_model(model: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": model.get("modelStatus"),
        "created_at": _time(model.get("creationTime")),
        "base_model": model.get("baseModelArn"),
        "customization_type": model.get("customizationType"),
        "kms_key_arn": model.get("modelKmsKeyArn") or None,
        "job_name": model.get("jobName"),
    }


def _unresolvable(exc: BaseException) -> bool:
    """An endpoint that does not resolve in DNS: AWS does not offer the service there."""
    if not isinstance(exc, EndpointConnectionError):
        return False
    cause: BaseException | None = exc.kwargs.get("error")
    while cause is not None:
        if isinstance(cause, socket.gaierror) or type(cause).__name__ == "NameResolutionError":
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def bedrock_unavailable(exc: BaseException, region: str) -> NotApplicable | None:
    """A NotApplicable for a region where Bedrock cannot be reached at all, else None."""
    if _unresolvable(exc):
        return NotApplicable(
            f"Amazon Bedrock has no endpoint in {region} (the endpoint does not resolve)",
            code="EndpointNotFound",
        )
    if has_code(exc, "UnrecognizedClientException"):
        return NotApplicable(
            f"Amazon Bedrock in {region} does not recognise the caller: the region is not "
            "enabled for the account, or Bedrock is not offered there",
            operation="bedrock:GetModelInvocationLoggingConfiguration",
            code="UnrecognizedClientException",
        )
    return None


def _all(client: Any, operation: str, key: str) -> list[Any]:
    return list(paginate(client, operation, key))


class BedrockConnector(Connector):
    name = "aws.bedrock"
    provider = "aws"
    description = "Bedrock invocation logging, guardrails and custom models, per region"
    regional = True
    kinds = (LOGGING, GUARDRAIL, CUSTOM_MODEL)
    permissions = (
        "bedrock:GetModelInvocationLoggingConfiguration",
        "bedrock:ListGuardrails",
        "bedrock:GetGuardrail",
        "bedrock:ListCustomModels",
        "bedrock:GetCustomModel",
        "bedrock:ListTagsForResource",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        region = ctx.scope.region
        bedrock = ctx.session.client("bedrock", region)
        logging = _logging(ctx, bedrock, region)
        families: dict[str, tuple[str, str, Callable[[Any], Observation]]] = {
            "guardrails": ("list_guardrails", "guardrails", lambda g: _guardrail(ctx, bedrock, g)),
            "custom models": (
                "list_custom_models",
                "modelSummaries",
                lambda m: _custom_model(ctx, bedrock, m),
            ),
        }
        found = ctx.attempt_all(
            "Bedrock",
            {family: partial(_all, bedrock, op, key) for family, (op, key, _) in families.items()},
        )
        yield ctx.observe(
            "aws.bedrock.invocation_logging",
            f"arn:aws:bedrock:{region}:{ctx.scope.account}:model-invocation-logging",
            logging,
        )
        for family, items in found.items():
            if not isinstance(items, ConnectorError):
                yield from ctx.map(families[family][2], items)


def _logging(ctx: UnitContext, bedrock: Any, region: str) -> Reads:
    """The first call of the unit, which also finds out whether Bedrock exists in the region."""
    reads = ctx.reads("bedrock:GetModelInvocationLoggingConfiguration")
    reads.set("name", region)
    try:
        response: dict[str, Any] | BaseException = (
            bedrock.get_model_invocation_logging_configuration()
        )
    except Exception as exc:
        unavailable = bedrock_unavailable(exc, region)
        if unavailable is not None:
            raise unavailable from exc
        response = exc

    def configuration() -> dict[str, Any]:
        if isinstance(response, BaseException):
            raise response
        return transform_logging(response.get("loggingConfig"))

    reads.read_many((a for a in LOGGING.attributes if a != "name"), configuration)
    return reads


def _tags(bedrock: Any, arn: str) -> dict[str, str]:
    return tags_dict(bedrock.list_tags_for_resource(resourceARN=arn).get("tags", []))


def _guardrail(ctx: UnitContext, bedrock: Any, summary: dict[str, Any]) -> Observation:
    reads = ctx.reads("bedrock:ListGuardrails")
    reads.set("name", summary["name"])
    reads.set("guardrail_id", summary["id"])
    fields = [a for a in GUARDRAIL.attributes if a not in ("name", "guardrail_id", "tags")]
    reads.read_many(
        fields,
        lambda: transform_guardrail(
            bedrock.get_guardrail(
                guardrailIdentifier=summary["id"], guardrailVersion=summary["version"]
            )
        ),
    )
    reads.read("tags", lambda: _tags(bedrock, summary["arn"]))
    return ctx.observe("aws.bedrock.guardrail", summary["arn"], reads)


def _custom_model(ctx: UnitContext, bedrock: Any, summary: dict[str, Any]) -> Observation:
    arn = summary["modelArn"]
    reads = ctx.reads("bedrock:ListCustomModels")
    reads.set("name", summary["modelName"])
    fields = [a for a in CUSTOM_MODEL.attributes if a not in ("name", "tags")]
    reads.read_many(
        fields, lambda: transform_custom_model(bedrock.get_custom_model(modelIdentifier=arn))
    )
    reads.read("tags", lambda: _tags(bedrock, arn))
    return ctx.observe("aws.bedrock.custom_model", arn, reads)
