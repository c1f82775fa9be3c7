"""SageMaker: endpoints (with their endpoint configs), models, notebook instances and Studio
domains, per region. All four are AI assets in the inventory (A.5.9).

Collected: encryption keys, data capture, network isolation and VPC placement, root and direct
internet access of notebooks, the domain's network mode, execution roles and owner tags. Model
artefacts, container environments and notebook contents are never read.

A family whose listing fails (denied, throttled) is noted on the unit, which then ends
``partial`` with the reason; only when every family fails does the whole unit fail with the
first error. Nothing that failed is ever reported as "no resources".
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

from annexa.connectors.aws.common import iso, paginate, tags_dict
from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.errors import ConnectorError
from annexa.connectors.records import Observation

TAGS = "resource tags (secret-looking values redacted)"

ENDPOINT = Kind(
    "aws.sagemaker.endpoint",
    "A SageMaker real-time inference endpoint and the endpoint config it serves",
    {
        "name": "EndpointName",
        "status": "EndpointStatus (InService, Creating, Failed, ...)",
        "created_at": "CreationTime",
        "endpoint_config_name": "the endpoint config the endpoint runs",
        "kms_key_id": "the config's KmsKeyId for ML storage volumes (null: none named)",
        "data_capture_enabled": "request/response capture is enabled on the endpoint",
        "data_capture_destination": "S3 URI capture data is written to (null: no capture)",
        "model_names": "model names of the config's production variants",
        "tags": TAGS,
    },
    asset="endpoint",
)
MODEL = Kind(
    "aws.sagemaker.model",
    "A SageMaker model: its container images, network isolation and VPC placement",
    {
        "name": "ModelName",
        "created_at": "CreationTime",
        "network_isolation": "EnableNetworkIsolation: containers make no outbound network calls",
        "vpc_configured": "the model's containers run in a customer VPC (VpcConfig present)",
        "vpc_subnets": "subnets of the VpcConfig (empty: none)",
        "execution_role": "ExecutionRoleArn the containers assume",
        "primary_image": "image of the primary (or first) container (null: a model package)",
        "image_pinned_by_digest": "every container image is referenced by @sha256 digest",
        "tags": TAGS,
    },
    asset="model",
)
NOTEBOOK = Kind(
    "aws.sagemaker.notebook",
    "A SageMaker notebook instance",
    {
        "name": "NotebookInstanceName",
        "status": "NotebookInstanceStatus (InService, Stopped, ...)",
        "instance_type": "InstanceType",
        "root_access": "users may become root on the instance (RootAccess Enabled)",
        "direct_internet_access": "the instance reaches the internet outside the customer VPC",
        "kms_key_id": "KmsKeyId encrypting the instance's storage volume (null: none named)",
        "subnet_id": "SubnetId the instance is attached to (null: none)",
        "role_arn": "RoleArn the notebook assumes",
        "tags": TAGS,
    },
    asset="notebook",
)
DOMAIN = Kind(
    "aws.sagemaker.domain",
    "A SageMaker (Studio) domain",
    {
        "name": "DomainName",
        "domain_id": "DomainId",
        "status": "Status (InService, Pending, Failed, ...)",
        "auth_mode": "AuthMode (SSO or IAM)",
        "app_network_access_type": "PublicInternetOnly or VpcOnly",
        "kms_key_id": "KmsKeyId encrypting the domain's EFS volume (null: none named)",
        "default_execution_role": "DefaultUserSettings.ExecutionRole",
        "vpc_id": "VpcId the domain's apps use",
    },
    asset="domain",
)


def transform_endpoint(endpoint: dict[str, Any]) -> dict[str, Any]:
    capture = endpoint.get("DataCaptureConfig") or {}
    enabled = bool(capture.get("EnableCapture"))
    return {
        "endpoint_config_name": endpoint["EndpointConfigName"],
        "data_capture_enabled": enabled,
        "data_capture_destination": capture.get("DestinationS3Uri") if enabled else None,
    }


def transform_endpoint_config(config: dict[str, Any]) -> dict[str, Any]:
    variants = config.get("ProductionVariants", [])
    return {
        "kms_key_id": config.get("KmsKeyId") or None,
        "model_names": sorted({v["ModelName"] for v in variants if v.get("ModelName")}),
    }


def _pinned(image: str) -> bool:
    return "@sha256:" in image


def transform_model(model: dict[str, Any]) -> dict[str, Any]:
    containers = [model["PrimaryContainer"]] if model.get("PrimaryContainer") else []
    containers += model.get("Containers", [])
    images = [c["Image"] for c in containers if c.get("Image")]
    vpc = model.get("VpcConfig") or {}
    return {
        "created_at": iso(model.get("CreationTime")),
        "network_isolation": bool(model.get("EnableNetworkIsolation", False)),
        "vpc_configured": bool(vpc.get("Subnets")),
        "vpc_subnets": sorted(vpc.get("Subnets", [])),
        "execution_role": model.get("ExecutionRoleArn"),
        "primary_image": images[0] if images else None,
        "image_pinned_by_digest": bool(images) and all(_pinned(i) for i in images),
    }


def transform_notebook(notebook: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": notebook.get("NotebookInstanceStatus"),
        "instance_type": notebook.get("InstanceType"),
        # Both default to Enabled when the instance was created without them.
        "root_access": notebook.get("RootAccess", "Enabled") == "Enabled",
        "direct_internet_access": notebook.get("DirectInternetAccess", "Enabled") == "Enabled",
        "kms_key_id": notebook.get("KmsKeyId") or None,
        "subnet_id": notebook.get("SubnetId") or None,
        "role_arn": notebook.get("RoleArn"),
    }


def transform_domain(domain: dict[str, Any]) -> dict[str, Any]:
    return {
        "status": domain.get("Status"),
        "auth_mode": domain.get("AuthMode"),
        "app_network_access_type": domain.get("AppNetworkAccessType", "PublicInternetOnly"),
        "kms_key_id": domain.get("KmsKeyId") or None,
        "default_execution_role": (domain.get("DefaultUserSettings") or {}).get("ExecutionRole"),
        "vpc_id": domain.get("VpcId"),
    }


class SageMakerConnector(Connector):
    name = "aws.sagemaker"
    provider = "aws"
    description = "SageMaker endpoints, models, notebook instances and domains, per region"
    regional = True
    kinds = (ENDPOINT, MODEL, NOTEBOOK, DOMAIN)
    permissions = (
        "sagemaker:ListEndpoints",
        "sagemaker:DescribeEndpoint",
        "sagemaker:DescribeEndpointConfig",
        "sagemaker:ListModels",
        "sagemaker:DescribeModel",
        "sagemaker:ListNotebookInstances",
        "sagemaker:DescribeNotebookInstance",
        "sagemaker:ListDomains",
        "sagemaker:DescribeDomain",
        "sagemaker:ListTags",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        sm = ctx.session.client("sagemaker", ctx.scope.region)
        families: dict[str, tuple[str, str, Callable[[Any], Observation]]] = {
            "endpoints": ("list_endpoints", "Endpoints", lambda e: _endpoint(ctx, sm, e)),
            "models": ("list_models", "Models", lambda m: _model(ctx, sm, m)),
            "notebook instances": (
                "list_notebook_instances",
                "NotebookInstances",
                lambda n: _notebook(ctx, sm, n),
            ),
            "domains": ("list_domains", "Domains", lambda d: _domain(ctx, sm, d)),
        }
        found = ctx.attempt_all(
            "SageMaker",
            {family: partial(_all, sm, op, key) for family, (op, key, _) in families.items()},
        )
        for family, items in found.items():
            if not isinstance(items, ConnectorError):
                yield from ctx.map(families[family][2], items)


def _all(sm: Any, operation: str, key: str) -> list[Any]:
    return list(paginate(sm, operation, key))


def _tags(sm: Any, arn: str) -> dict[str, str]:
    return tags_dict(paginate(sm, "list_tags", "Tags", ResourceArn=arn))


def _endpoint(ctx: UnitContext, sm: Any, summary: dict[str, Any]) -> Observation:
    name = summary["EndpointName"]
    reads = ctx.reads("sagemaker:ListEndpoints")
    reads.set("name", name)
    reads.set("status", summary.get("EndpointStatus"))
    reads.set("created_at", iso(summary.get("CreationTime")))
    endpoint_fields = ("endpoint_config_name", "data_capture_enabled", "data_capture_destination")
    reads.read_many(
        endpoint_fields, lambda: transform_endpoint(sm.describe_endpoint(EndpointName=name))
    )
    if reads.requires("kms_key_id", ["endpoint_config_name"]):
        config_name = reads.attributes["endpoint_config_name"]
        reads.read_many(
            ("kms_key_id", "model_names"),
            lambda: transform_endpoint_config(
                sm.describe_endpoint_config(EndpointConfigName=config_name)
            ),
        )
    else:
        reads.requires("model_names", ["endpoint_config_name"])
    reads.read("tags", lambda: _tags(sm, summary["EndpointArn"]))
    return ctx.observe("aws.sagemaker.endpoint", summary["EndpointArn"], reads)


def _model(ctx: UnitContext, sm: Any, summary: dict[str, Any]) -> Observation:
    name = summary["ModelName"]
    reads = ctx.reads("sagemaker:ListModels")
    reads.set("name", name)
    model_fields = tuple(a for a in MODEL.attributes if a not in ("name", "tags"))
    reads.read_many(model_fields, lambda: transform_model(sm.describe_model(ModelName=name)))
    reads.read("tags", lambda: _tags(sm, summary["ModelArn"]))
    return ctx.observe("aws.sagemaker.model", summary["ModelArn"], reads)


def _notebook(ctx: UnitContext, sm: Any, summary: dict[str, Any]) -> Observation:
    name = summary["NotebookInstanceName"]
    reads = ctx.reads("sagemaker:ListNotebookInstances")
    reads.set("name", name)
    notebook_fields = tuple(a for a in NOTEBOOK.attributes if a not in ("name", "tags"))
    reads.read_many(
        notebook_fields,
        lambda: transform_notebook(sm.describe_notebook_instance(NotebookInstanceName=name)),
    )
    reads.read("tags", lambda: _tags(sm, summary["NotebookInstanceArn"]))
    return ctx.observe("aws.sagemaker.notebook", summary["NotebookInstanceArn"], reads)


def _domain(ctx: UnitContext, sm: Any, summary: dict[str, Any]) -> Observation:
    domain_id = summary["DomainId"]
    reads = ctx.reads("sagemaker:ListDomains")
    reads.set("name", summary.get("DomainName", domain_id))
    reads.set("domain_id", domain_id)
    domain_fields = tuple(a for a in DOMAIN.attributes if a not in ("name", "domain_id"))
    reads.read_many(domain_fields, lambda: transform_domain(sm.describe_domain(DomainId=domain_id)))
    return ctx.observe("aws.sagemaker.domain", summary["DomainArn"], reads)
