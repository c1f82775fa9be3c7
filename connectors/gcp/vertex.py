"""Vertex AI: online prediction endpoints, models and Workbench notebook instances (AI assets).

Vertex AI is regional and has no installed client library: endpoints and models are read over
REST from each region's own endpoint (``https://{region}-aiplatform.googleapis.com``), one
client per region. There is no connector option for regions, so annexa scans :data:`REGIONS`,
a documented list of the main Vertex AI regions: **that list is the evidence boundary** —
resources in other regions are not observed. Workbench instances come from the Notebooks API v2
across every location at once (``locations/-``).

Failures: the first region's endpoint listing runs first; if the Vertex AI API is disabled in
the project (a SERVICE_DISABLED 403, "not applicable") no Vertex resource can exist, so no other
region is asked. A plain 403 (or any gap) in one region is noted on the unit and the other
regions are still observed. When no listing succeeds the unit raises: the first gap if any
(denied), else :class:`NotApplicable` (both APIs disabled — the unit is skipped, no gap).

Workbench instance metadata can hold secrets: only ``notebook-disable-root`` is read, and no
metadata value is ever stored. Model container environment variables are never read either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.errors import ConnectorError, NotApplicable
from annexa.connectors.gcp.rest import RestApi, rest_factory
from annexa.connectors.records import Observation

# The regions scanned for endpoints and models (the evidence boundary; see the module doc).
REGIONS = (
    "us-central1",
    "us-east1",
    "us-east4",
    "us-west1",
    "europe-west1",
    "europe-west2",
    "europe-west3",
    "europe-west4",
    "asia-northeast1",
    "asia-southeast1",
)
AIPLATFORM = "//aiplatform.googleapis.com"
NOTEBOOKS = "//notebooks.googleapis.com"
NOTEBOOKS_ENDPOINT = "https://notebooks.googleapis.com"
DISABLE_ROOT = "notebook-disable-root"  # the only metadata key annexa interprets
DEFAULT_COMPUTE_SA = "-compute@developer.gserviceaccount.com"

ENDPOINT = Kind(
    "gcp.vertex.endpoint",
    "A Vertex AI online prediction endpoint",
    {
        "name": "display name (the endpoint id if none)",
        "endpoint_id": "endpoint id (last segment of its resource name)",
        "region": "region",
        "cmek": "Cloud KMS key encrypting the endpoint (encryptionSpec.kmsKeyName; null: "
        "Google-managed)",
        "private": "reachable only privately: peered to a VPC network or Private Service Connect",
        "network": "VPC network it is peered to (null: none)",
        "private_service_connect": "Private Service Connect is enabled",
        "dedicated_endpoint": "a dedicated (per-endpoint DNS) endpoint is enabled",
        "request_response_logging": "prediction requests and responses are logged "
        "(predictRequestResponseLoggingConfig.enabled)",
        "logging_sampling_rate": "share of requests logged, 0 to 1 (null: logging off or unset)",
        "logging_destination": "BigQuery table the logs go to (null: none)",
        "deployed_model_count": "number of models deployed to it",
        "deployed_model_ids": "ids of the models deployed to it (version suffix kept)",
        "labels": "endpoint labels",
    },
    asset="endpoint",
)

MODEL = Kind(
    "gcp.vertex.model",
    "A model in the Vertex AI Model Registry",
    {
        "name": "display name (the model id if none)",
        "model_id": "model id (last segment of its resource name)",
        "region": "region",
        "version_id": "the listed (default) version's id",
        "cmek": "Cloud KMS key encrypting the model (null: Google-managed)",
        "image_uri": "serving container image (null: no custom container, e.g. AutoML)",
        "image_pinned": "the serving image is pinned by digest (@sha256:); null without one",
        "artifact_uri_scheme": "scheme of the model artifacts' location (gs; null: none)",
        "labels": "model labels",
    },
    asset="model",
)

NOTEBOOK = Kind(
    "gcp.vertex.notebook",
    "A Vertex AI Workbench instance",
    {
        "name": "instance id (last segment of its resource name)",
        "zone": "zone it runs in",
        "state": "ACTIVE, STOPPED, PROVISIONING, ...",
        "no_public_ip": "the VM has no external IP (gceSetup.disablePublicIp)",
        "root_access_disabled": "metadata notebook-disable-root is 'true' (users cannot sudo)",
        "cmek": "Cloud KMS key of the boot disk (null: Google-managed encryption)",
        "data_disks_cmek": "every data disk is encrypted with a Cloud KMS key (true: none)",
        "service_account": "service account the VM runs as (null: none)",
        "default_service_account": "it runs as the Compute Engine default service account",
        "labels": "instance labels",
    },
    asset="notebook",
)


def last(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def transform_endpoint(endpoint: Mapping[str, Any]) -> dict[str, Any]:
    endpoint_id = last(endpoint["name"])
    psc = bool(
        endpoint.get("privateServiceConnectConfig", {}).get("enablePrivateServiceConnect")
        or endpoint.get("enablePrivateServiceConnect")
    )
    logging = endpoint.get("predictRequestResponseLoggingConfig", {})
    logged = bool(logging.get("enabled"))
    deployed = endpoint.get("deployedModels", [])
    return {
        "name": endpoint.get("displayName") or endpoint_id,
        "endpoint_id": endpoint_id,
        "cmek": endpoint.get("encryptionSpec", {}).get("kmsKeyName") or None,
        "private": bool(endpoint.get("network")) or psc,
        "network": endpoint.get("network") or None,
        "private_service_connect": psc,
        "dedicated_endpoint": bool(endpoint.get("dedicatedEndpointEnabled")),
        "request_response_logging": logged,
        "logging_sampling_rate": logging.get("samplingRate") if logged else None,
        "logging_destination": (
            logging.get("bigqueryDestination", {}).get("outputUri") if logged else None
        ),
        "deployed_model_count": len(deployed),
        "deployed_model_ids": [last(d["model"]) for d in deployed if d.get("model")],
        "labels": dict(endpoint.get("labels", {})),
    }


def transform_model(model: Mapping[str, Any]) -> dict[str, Any]:
    model_id = last(model["name"])
    image = model.get("containerSpec", {}).get("imageUri") or None
    scheme, found, _ = (model.get("artifactUri") or "").partition("://")
    return {
        "name": model.get("displayName") or model_id,
        "model_id": model_id,
        "version_id": model.get("versionId"),
        "cmek": model.get("encryptionSpec", {}).get("kmsKeyName") or None,
        "image_uri": image,
        "image_pinned": "@sha256:" in image if image else None,
        "artifact_uri_scheme": scheme.lower() if found else None,
        "labels": dict(model.get("labels", {})),
    }


def transform_notebook(instance: Mapping[str, Any]) -> dict[str, Any]:
    setup = instance.get("gceSetup", {})
    metadata = setup.get("metadata", {})
    accounts = [a["email"] for a in setup.get("serviceAccounts", []) if a.get("email")]
    account = accounts[0] if accounts else None
    return {
        "name": last(instance["name"]),
        "zone": instance["name"].split("/")[3],
        "state": instance.get("state", "STATE_UNSPECIFIED"),
        "no_public_ip": bool(setup.get("disablePublicIp")),
        "root_access_disabled": str(metadata.get(DISABLE_ROOT, "")).strip().lower() == "true",
        "cmek": setup.get("bootDisk", {}).get("kmsKey") or None,
        "data_disks_cmek": all(d.get("kmsKey") for d in setup.get("dataDisks", [])),
        "service_account": account,
        "default_service_account": bool(account and account.endswith(DEFAULT_COMPUTE_SA)),
        "labels": dict(instance.get("labels", {})),
    }


class VertexConnector(Connector):
    name = "gcp.vertex"
    provider = "gcp"
    description = (
        "Vertex AI endpoints and models in the main Vertex regions, and Workbench instances "
        "(AI asset inventory)"
    )
    regional = False
    kinds = (ENDPOINT, MODEL, NOTEBOOK)
    permissions = (
        "aiplatform.endpoints.list",
        "aiplatform.models.list",
        "notebooks.instances.list",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        project = ctx.session.project
        notebooks = ctx.session.client(
            "notebooks", rest_factory(NOTEBOOKS_ENDPOINT), transport=None
        )

        def listing(region: str, key: str) -> Callable[[], list[dict[str, Any]]]:
            client: RestApi = ctx.session.client(
                f"aiplatform-{region}",
                rest_factory(f"https://{region}-aiplatform.googleapis.com"),
                transport=None,
            )
            path = f"v1/projects/{project}/locations/{region}/{key}"
            return lambda: list(client.list(path, key))

        # Probe one region first: a disabled API answers the same everywhere.
        first = (REGIONS[0], "endpoints")
        found: dict[tuple[str, str], Any] = {first: ctx.attempt(listing(*first))}
        getters: dict[tuple[str, str], Callable[[], list[dict[str, Any]]]] = {
            ("-", "instances"): lambda: list(
                notebooks.list(f"v2/projects/{project}/locations/-/instances", "instances")
            )
        }
        if not isinstance(found[first], NotApplicable):
            for region in REGIONS:
                for key in ("endpoints", "models"):
                    if (region, key) != first:
                        getters[(region, key)] = listing(region, key)
        found.update(ctx.map(lambda item: (item[0], ctx.attempt(item[1])), list(getters.items())))
        _settle(ctx, found)

        for (region, key), items in found.items():
            if isinstance(items, ConnectorError):
                continue
            for item in items:
                yield _observe(ctx, project, region, key, item)


def _settle(ctx: UnitContext, found: Mapping[tuple[str, str], Any]) -> None:
    """Note the listings that failed with a gap; raise when none succeeded."""
    errors = [e for e in found.values() if isinstance(e, ConnectorError)]
    gaps = [e for e in errors if not isinstance(e, NotApplicable)]
    if len(errors) == len(found):
        raise gaps[0] if gaps else errors[0]
    for (region, key), error in found.items():
        if isinstance(error, ConnectorError) and not isinstance(error, NotApplicable):
            where = "" if region == "-" else f" in {region}"
            ctx.note(f"vertex {key}{where} not listed: {error.describe()}")


def _observe(
    ctx: UnitContext, project: str, region: str, key: str, item: Mapping[str, Any]
) -> Observation:
    if key == "instances":
        reads = ctx.reads("notebooks.instances.list")
        attributes = transform_notebook(item)
        zone = attributes["zone"]
        path = f"{NOTEBOOKS}/projects/{project}/locations/{zone}/instances/{attributes['name']}"
        kind, region = NOTEBOOK.name, zone.rsplit("-", 1)[0]
    elif key == "endpoints":
        reads = ctx.reads("aiplatform.endpoints.list")
        attributes = {**transform_endpoint(item), "region": region}
        path = f"{AIPLATFORM}/projects/{project}/locations/{region}/endpoints/"
        path += attributes["endpoint_id"]
        kind = ENDPOINT.name
    else:
        reads = ctx.reads("aiplatform.models.list")
        attributes = {**transform_model(item), "region": region}
        path = f"{AIPLATFORM}/projects/{project}/locations/{region}/models/{attributes['model_id']}"
        kind = MODEL.name
    for name, value in attributes.items():
        reads.set(name, value)
    return ctx.observe(kind, path, reads, region=region)
