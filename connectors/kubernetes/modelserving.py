"""Model serving on Kubernetes: KServe InferenceServices and Seldon Core SeldonDeployments.

Both are AI assets in the inventory (endpoints, A.5.9). Collected: payload logging, exposure
(cluster-local or external), the images named in the spec and whether they are pinned by digest,
containers without CPU and memory limits, service accounts, replicas and readiness. Model storage
URIs are reduced to their scheme and location: userinfo and query strings, which can carry
credentials, are never stored (``storage_uri_credentials`` only says they were there).

An engine whose CRD is not installed answers 404: nothing of it runs here, so it yields no
observations and no note (an absent engine is not an incomplete read). A refused listing (403)
is noted on the unit and the other engine is still observed. Seldon Core 2 (``mlops.seldon.io``)
is not covered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import urlsplit

from kubernetes import client
from kubernetes.client.exceptions import ApiException

from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.records import Observation

IMAGES = "container images named in the spec (images a serving runtime supplies are not)"
UNPINNED = "of those, images not pinned by @sha256 digest"
NO_LIMITS = "containers without both a CPU and a memory limit, as <component>/<container>"
ACCOUNTS = "service accounts the pods run as ('default' where none is named)"
STORAGE = {
    "storage_uri_scheme": "scheme of the model storage URI (s3, gs, pvc, hf, https, ...)",
    "storage_location": "storage URI without userinfo, query or fragment (null: none)",
    "storage_uri_credentials": "the storage URI carried userinfo or a query string (possible "
    "credentials, never stored)",
}

INFERENCE_SERVICE = Kind(
    "kubernetes.modelserving.inference_service",
    "A KServe InferenceService: a model endpoint",
    {
        "name": "metadata.name",
        "namespace": "metadata.namespace",
        "deployment_mode": "serving.kserve.io/deploymentMode annotation (null: the default)",
        "model_format": "predictor model format (modelFormat.name, or the framework key)",
        "runtime": "ServingRuntime named by the predictor (null: chosen automatically)",
        **STORAGE,
        "payload_logging": "a component logs inference requests/responses (spec.*.logger)",
        "payload_logging_mode": "the logger's mode: all, request or response (null: no logger)",
        "payload_logger_host": "host of the logger's URL (null: no logger, or the default sink)",
        "visibility": "cluster-local (visibility label) or external",
        "url_host": "host of status.url (null: not reported)",
        "service_accounts": ACCOUNTS,
        "images": IMAGES,
        "unpinned_images": UNPINNED,
        "containers_without_limits": NO_LIMITS,
        "min_replicas": "predictor minReplicas (null: unset, KServe's default)",
        "max_replicas": "predictor maxReplicas (null: unset, KServe's default)",
        "ready": "status condition Ready is True",
    },
    asset="endpoint",
)
SELDON_DEPLOYMENT = Kind(
    "kubernetes.modelserving.seldon_deployment",
    "A Seldon Core SeldonDeployment: a model endpoint",
    {
        "name": "metadata.name",
        "namespace": "metadata.namespace",
        "predictors": "number of predictors",
        "protocol": "spec.protocol (seldon when unset)",
        "storage_uri_schemes": "schemes of the graph's modelUri values",
        "storage_uri_credentials": STORAGE["storage_uri_credentials"],
        "payload_logging": "a graph node logs inference requests/responses (logger)",
        "payload_logging_nodes": "nodes with a logger, as <predictor>/<node>: <mode>",
        "service_accounts": ACCOUNTS,
        "images": IMAGES,
        "unpinned_images": UNPINNED,
        "containers_without_limits": NO_LIMITS,
        "replicas": "replicas per predictor (1 when unset)",
        "state": "status.state (Available, Creating, Failed; null: not reported)",
    },
    asset="endpoint",
)

MODEL_SPECS = (
    "model",
    "sklearn",
    "xgboost",
    "tensorflow",
    "pytorch",
    "onnx",
    "triton",
    "lightgbm",
    "pmml",
    "paddle",
    "huggingface",
    "alibi",
    "art",
)
COMPONENTS = ("predictor", "transformer", "explainer")
CLUSTER_LOCAL = "cluster-local"
VISIBILITY_LABELS = ("networking.kserve.io/visibility", "serving.knative.dev/visibility")


def storage(uri: str | None) -> dict[str, Any]:
    """A storage URI's scheme and location; userinfo, query and fragment dropped."""
    if not uri:
        return {
            "storage_uri_scheme": None,
            "storage_location": None,
            "storage_uri_credentials": False,
        }
    parts = urlsplit(uri)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    scheme = parts.scheme.lower() or None
    return {
        "storage_uri_scheme": scheme,
        "storage_location": f"{scheme}://{host}{port}{parts.path}" if scheme else parts.path,
        "storage_uri_credentials": bool(parts.username or parts.password or parts.query),
    }


def host(url: str | None) -> str | None:
    return urlsplit(url).hostname if url else None


def limited(resources: Mapping[str, Any] | None) -> bool:
    limits = (resources or {}).get("limits") or {}
    return "cpu" in limits and "memory" in limits


def unpinned(images: Iterable[str]) -> list[str]:
    return sorted({image for image in images if "@sha256:" not in image})


def model_spec(component: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]] | None:
    """The component's model container spec: ``model`` or a framework key, with its key."""
    for key in MODEL_SPECS:
        if isinstance(component.get(key), dict):
            return key, component[key]
    return None


@dataclass(frozen=True)
class Container:
    """A container of a serving spec, named ``<component>/<container>``."""

    name: str
    image: str | None
    resources: Mapping[str, Any] | None


def kserve_containers(spec: Mapping[str, Any]) -> list[Container]:
    found = []
    for name in COMPONENTS:
        component = spec.get(name) or {}
        model = model_spec(component)
        if model is not None:
            key, body = model
            found.append(
                Container(
                    f"{name}/{body.get('name') or key}", body.get("image"), body.get("resources")
                )
            )
        for c in component.get("containers") or []:
            found.append(Container(f"{name}/{c.get('name')}", c.get("image"), c.get("resources")))
    return found


def transform_inference_service(item: Mapping[str, Any]) -> dict[str, Any]:
    metadata, spec = item["metadata"], item.get("spec") or {}
    predictor = spec.get("predictor") or {}
    model = model_spec(predictor)
    key, body = model if model is not None else (None, {})
    model_format = (body.get("modelFormat") or {}).get("name") if key == "model" else key
    parts = [predictor] + [spec[c] for c in COMPONENTS[1:] if isinstance(spec.get(c), dict)]
    logger = next((p["logger"] for p in parts if isinstance(p.get("logger"), dict)), None)
    labels = metadata.get("labels") or {}
    cluster_local = any(labels.get(label) == CLUSTER_LOCAL for label in VISIBILITY_LABELS)
    containers = kserve_containers(spec)
    images = sorted({c.image for c in containers if c.image})
    conditions = (item.get("status") or {}).get("conditions") or []
    return {
        "name": metadata["name"],
        "namespace": metadata.get("namespace"),
        "deployment_mode": (metadata.get("annotations") or {}).get(
            "serving.kserve.io/deploymentMode"
        ),
        "model_format": model_format,
        "runtime": body.get("runtime"),
        **storage(body.get("storageUri")),
        "payload_logging": logger is not None,
        "payload_logging_mode": (logger.get("mode") or "all") if logger is not None else None,
        "payload_logger_host": host(logger.get("url")) if logger is not None else None,
        "visibility": CLUSTER_LOCAL if cluster_local else "external",
        "url_host": host((item.get("status") or {}).get("url")),
        "service_accounts": sorted({c.get("serviceAccountName") or "default" for c in parts}),
        "images": images,
        "unpinned_images": unpinned(images),
        "containers_without_limits": sorted(c.name for c in containers if not limited(c.resources)),
        "min_replicas": predictor.get("minReplicas"),
        "max_replicas": predictor.get("maxReplicas"),
        "ready": any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions),
    }


def graph_nodes(node: Mapping[str, Any] | None) -> Iterator[Mapping[str, Any]]:
    """A Seldon inference graph's nodes, depth first."""
    if node:
        yield node
        for child in node.get("children") or []:
            yield from graph_nodes(child)


def transform_seldon_deployment(item: Mapping[str, Any]) -> dict[str, Any]:
    metadata, spec = item["metadata"], item.get("spec") or {}
    predictors = spec.get("predictors") or []
    containers: list[Container] = []
    accounts: set[str] = set()
    logging: list[str] = []
    uris: list[str] = []
    replicas: dict[str, int | None] = {}
    for predictor in predictors:
        name = predictor.get("name") or "default"
        nodes = list(graph_nodes(predictor.get("graph")))
        pod_specs = [(c or {}).get("spec") or {} for c in predictor.get("componentSpecs") or []]
        for pod_spec in pod_specs:
            accounts.add(pod_spec.get("serviceAccountName") or "default")
            for c in pod_spec.get("containers") or []:
                containers.append(
                    Container(f"{name}/{c.get('name')}", c.get("image"), c.get("resources"))
                )
        if not pod_specs:
            accounts |= {n.get("serviceAccountName") or "default" for n in nodes[:1]}
        logging += [
            f"{name}/{n.get('name')}: {n['logger'].get('mode') or 'all'}"
            for n in nodes
            if isinstance(n.get("logger"), dict)
        ]
        uris += [n["modelUri"] for n in nodes if n.get("modelUri")]
        replicas[name] = predictor.get("replicas", spec.get("replicas", 1))
    images = sorted({c.image for c in containers if c.image})
    found = [storage(uri) for uri in uris]
    return {
        "name": metadata["name"],
        "namespace": metadata.get("namespace"),
        "predictors": len(predictors),
        "protocol": spec.get("protocol") or "seldon",
        "storage_uri_schemes": sorted(
            {f["storage_uri_scheme"] for f in found if f["storage_uri_scheme"]}
        ),
        "storage_uri_credentials": any(f["storage_uri_credentials"] for f in found),
        "payload_logging": bool(logging),
        "payload_logging_nodes": sorted(logging),
        "service_accounts": sorted(accounts),
        "images": images,
        "unpinned_images": unpinned(images),
        "containers_without_limits": sorted(c.name for c in containers if not limited(c.resources)),
        "replicas": replicas,
        "state": (item.get("status") or {}).get("state"),
    }


@dataclass(frozen=True)
class Engine:
    """A serving engine's custom resource and how one of its objects is observed."""

    label: str
    group: str
    version: str
    plural: str
    kind: Kind
    transform: Callable[[Mapping[str, Any]], dict[str, Any]]

    @property
    def permission(self) -> str:
        return f"list {self.plural}.{self.group}"


ENGINES = (
    Engine(
        "KServe InferenceServices",
        "serving.kserve.io",
        "v1beta1",
        "inferenceservices",
        INFERENCE_SERVICE,
        transform_inference_service,
    ),
    Engine(
        "Seldon SeldonDeployments",
        "machinelearning.seldon.io",
        "v1",
        "seldondeployments",
        SELDON_DEPLOYMENT,
        transform_seldon_deployment,
    ),
)


class ModelServingConnector(Connector):
    name = "kubernetes.modelserving"
    provider = "kubernetes"
    description = "Model serving: KServe InferenceServices and Seldon SeldonDeployments"
    regional = False
    kinds = (INFERENCE_SERVICE, SELDON_DEPLOYMENT)
    permissions = tuple(engine.permission for engine in ENGINES)

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        found = ctx.attempt_all(
            "model serving", {e.label: partial(_observe, ctx, e) for e in ENGINES}
        )
        for observations in found.values():
            if isinstance(observations, list):
                yield from observations


def _observe(ctx: UnitContext, engine: Engine) -> list[Observation]:
    """Every object of one engine, or none when its CRD is not installed (404)."""
    custom = ctx.session.api(client.CustomObjectsApi)
    try:
        items = list(
            ctx.session.list_all(
                custom.list_cluster_custom_object, engine.group, engine.version, engine.plural
            )
        )
    except ApiException as exc:
        if exc.status == 404:
            return []
        raise
    observations = []
    for item in items:
        reads = ctx.reads(engine.permission)
        for name, value in engine.transform(item).items():
            reads.set(name, value)
        metadata = item["metadata"]
        observations.append(
            ctx.observe(engine.kind.name, f"{metadata.get('namespace')}/{metadata['name']}", reads)
        )
    return observations
