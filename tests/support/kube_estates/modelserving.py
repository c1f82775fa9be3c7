"""Model serving: KServe InferenceServices and Seldon SeldonDeployments, good and bad.

==========================  ===========  =======  ==============  ======  ================
object                      logging      exposed  images          limits  service account
==========================  ===========  =======  ==============  ======  ================
ml/fraud (KServe)           all          no       pinned          yes     fraud-model
ml/chatbot (KServe)         none         yes      :latest         no      default
team-b/churn (KServe)       request      no (old  none named      cpu     churn, default
                                         label)                   only    (transformer)
ml/iris (Seldon)            all          -        pinned          yes     iris
ml/recsys (Seldon)          none         -        :latest         no      default
==========================  ===========  =======  ==============  ======  ================

The chatbot's storage URI carries a password and a signed query (``SECRET_PARTS``) that must
never be stored.
"""

from __future__ import annotations

from typing import Any

from tests.support.kube import KSERVE, SELDON, FakeApiServer, obj

PINNED = "registry.example/{}@sha256:" + "b" * 64
LIMITS = {"limits": {"cpu": "2", "memory": "4Gi"}, "requests": {"cpu": "1", "memory": "2Gi"}}
SECRET_PARTS = ("s3cr3t-pass", "topsecret-signature", "chatbot-user")
CHATBOT_URI = (
    "https://chatbot-user:s3cr3t-pass@models.example.com/llm/v1?X-Amz-Signature=topsecret-signature"
)


def ready(status: str) -> list[dict[str, str]]:
    return [{"type": "Ready", "status": status}]


def inference_service(
    name: str,
    namespace: str,
    labels: dict[str, str],
    annotations: dict[str, str] | None = None,
    **body: Any,
) -> dict:
    metadata = {"labels": labels, **({"annotations": annotations} if annotations else {})}
    return obj(
        "serving.kserve.io/v1beta1", "InferenceService", name, namespace, metadata=metadata, **body
    )


def seldon_deployment(name: str, namespace: str, **body: Any) -> dict:
    return obj("machinelearning.seldon.io/v1", "SeldonDeployment", name, namespace, **body)


def seed(server: FakeApiServer) -> None:
    server.install(KSERVE)
    server.install(SELDON)
    server.add(
        inference_service(
            "fraud",
            "ml",
            {"networking.kserve.io/visibility": "cluster-local"},
            spec={
                "predictor": {
                    "serviceAccountName": "fraud-model",
                    "minReplicas": 2,
                    "maxReplicas": 5,
                    "logger": {"mode": "all", "url": "http://payload-logger.monitoring.svc:8080/"},
                    "model": {
                        "modelFormat": {"name": "sklearn"},
                        "runtime": "kserve-sklearnserver",
                        "storageUri": "s3://models/fraud/v3",
                        "resources": LIMITS,
                    },
                },
                "transformer": {
                    "serviceAccountName": "fraud-model",
                    "containers": [
                        {
                            "name": "features",
                            "image": PINNED.format("features"),
                            "resources": LIMITS,
                        }
                    ],
                },
            },
            status={"url": "http://fraud.ml.svc.cluster.local", "conditions": ready("True")},
        ),
        inference_service(
            "chatbot",
            "ml",
            {"app": "chatbot"},
            annotations={"serving.kserve.io/deploymentMode": "RawDeployment"},
            spec={
                "predictor": {
                    "model": {
                        "modelFormat": {"name": "huggingface"},
                        "image": "ghcr.io/acme/llm-server:latest",
                        "storageUri": CHATBOT_URI,
                        "resources": {"requests": {"cpu": "4"}},
                    }
                }
            },
            status={"url": "https://chatbot.ml.example.com", "conditions": ready("False")},
        ),
        inference_service(
            "churn",
            "team-b",
            {"serving.knative.dev/visibility": "cluster-local"},
            spec={
                "predictor": {
                    "serviceAccountName": "churn",
                    "logger": {"mode": "request"},
                    "sklearn": {
                        "storageUri": "gs://team-b-models/churn",
                        "resources": {"limits": {"cpu": "1"}},
                    },
                },
                "transformer": {
                    "containers": [
                        {"name": "prep", "image": PINNED.format("prep"), "resources": LIMITS}
                    ]
                },
            },
        ),
        seldon_deployment(
            "iris",
            "ml",
            spec={
                "protocol": "v2",
                "predictors": [
                    {
                        "name": "default",
                        "replicas": 2,
                        "graph": {
                            "name": "classifier",
                            "type": "MODEL",
                            "modelUri": "s3://models/iris",
                            "logger": {"mode": "all", "url": "http://logger.seldon-logs.svc/"},
                        },
                        "componentSpecs": [
                            {
                                "spec": {
                                    "serviceAccountName": "iris",
                                    "containers": [
                                        {
                                            "name": "classifier",
                                            "image": PINNED.format("iris"),
                                            "resources": LIMITS,
                                        }
                                    ],
                                }
                            }
                        ],
                    }
                ],
            },
            status={"state": "Available"},
        ),
        seldon_deployment(
            "recsys",
            "ml",
            spec={
                "predictors": [
                    {
                        "name": "main",
                        "graph": {
                            "name": "router",
                            "type": "ROUTER",
                            "children": [{"name": "ranker", "type": "MODEL"}],
                        },
                        "componentSpecs": [
                            {
                                "spec": {
                                    "containers": [
                                        {"name": "router", "image": "acme/router:latest"},
                                        {"name": "ranker", "image": "acme/ranker:1.4"},
                                    ]
                                }
                            }
                        ],
                    },
                    {
                        "name": "canary",
                        "replicas": 1,
                        "graph": {
                            "name": "ranker",
                            "implementation": "SKLEARN_SERVER",
                            "modelUri": "gs://recsys/ranker-v2",
                        },
                    },
                ]
            },
            status={"state": "Failed"},
        ),
    )
