"""Pass and fail examples for the model-serving rules (KServe and Seldon)."""

PINNED = "registry.example/m@sha256:" + "b" * 64
ISVC = {"namespace": "ml", "name": "fraud"}
SDEP = {"namespace": "ml", "name": "iris"}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "kubernetes.modelserving.inference_service.payload-logging": (
        {
            **ISVC,
            "payload_logging": True,
            "payload_logging_mode": "all",
            "payload_logger_host": "logger.monitoring.svc",
        },
        {
            **ISVC,
            "payload_logging": False,
            "payload_logging_mode": None,
            "payload_logger_host": None,
        },
    ),
    "kubernetes.modelserving.seldon_deployment.payload-logging": (
        {**SDEP, "payload_logging": True, "payload_logging_nodes": ["default/classifier: all"]},
        {**SDEP, "payload_logging": False, "payload_logging_nodes": []},
    ),
    "kubernetes.modelserving.inference_service.cluster-local": (
        {**ISVC, "visibility": "cluster-local", "url_host": "fraud.ml.svc.cluster.local"},
        {**ISVC, "visibility": "external", "url_host": "fraud.ml.example.com"},
    ),
    "kubernetes.modelserving.inference_service.images-pinned": (
        {"images": [PINNED], "unpinned_images": []},
        {"images": ["acme/llm:latest"], "unpinned_images": ["acme/llm:latest"]},
    ),
    "kubernetes.modelserving.seldon_deployment.images-pinned": (
        {"images": [], "unpinned_images": []},
        {"images": [PINNED, "acme/router:1.2"], "unpinned_images": ["acme/router:1.2"]},
    ),
    "kubernetes.modelserving.inference_service.resource-limits": (
        {**ISVC, "containers_without_limits": []},
        {**ISVC, "containers_without_limits": ["predictor/model"]},
    ),
    "kubernetes.modelserving.seldon_deployment.resource-limits": (
        {**SDEP, "containers_without_limits": []},
        {**SDEP, "containers_without_limits": ["main/router"]},
    ),
    "kubernetes.modelserving.inference_service.dedicated-service-account": (
        {**ISVC, "service_accounts": ["fraud-model"]},
        {**ISVC, "service_accounts": ["default", "fraud-model"]},
    ),
    "kubernetes.modelserving.seldon_deployment.dedicated-service-account": (
        {**SDEP, "service_accounts": ["iris"]},
        {**SDEP, "service_accounts": ["default"]},
    ),
}
