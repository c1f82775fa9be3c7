"""The hand-written baseline for bench/kube_collect.py: the same listings with the typed client.

What a careful engineer would write with the ``kubernetes`` client and a thread pool: every
listing annexa's Kubernetes connectors make, paged with ``limit``/``continue`` and deserialised
into the client's models, items counted and dropped. No guard, no analysis, no evidence records,
no rules, no store, no signature. Prints ``{"requests": N, "items": M}``.

    python bench/kube_baseline.py KUBECONFIG WORKERS PAGE_SIZE
"""

from __future__ import annotations

import json
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from kubernetes import client, config

REQUESTS = 0
LOCK = threading.Lock()


class CountingApiClient(client.ApiClient):
    def call_api(self, *args: Any, **kwargs: Any) -> Any:
        global REQUESTS
        with LOCK:
            REQUESTS += 1
        return super().call_api(*args, **kwargs)


def listings(api: CountingApiClient) -> list[Callable[..., Any]]:
    core, apps, batch = client.CoreV1Api(api), client.AppsV1Api(api), client.BatchV1Api(api)
    rbac, net = client.RbacAuthorizationV1Api(api), client.NetworkingV1Api(api)
    admission = client.AdmissionregistrationV1Api(api)
    custom = client.CustomObjectsApi(api)

    def crd(group: str, version: str, plural: str) -> Callable[..., Any]:
        return lambda **kw: custom.list_cluster_custom_object(group, version, plural, **kw)

    return [
        core.list_pod_for_all_namespaces,
        core.list_namespace,
        core.list_service_account_for_all_namespaces,
        core.list_limit_range_for_all_namespaces,
        core.list_resource_quota_for_all_namespaces,
        core.list_replication_controller_for_all_namespaces,
        core.list_node,
        lambda **kw: core.list_namespaced_pod(
            "kube-system", label_selector="component=kube-apiserver", **kw
        ),
        apps.list_deployment_for_all_namespaces,
        apps.list_stateful_set_for_all_namespaces,
        apps.list_daemon_set_for_all_namespaces,
        apps.list_replica_set_for_all_namespaces,
        batch.list_job_for_all_namespaces,
        batch.list_cron_job_for_all_namespaces,
        net.list_network_policy_for_all_namespaces,
        rbac.list_cluster_role,
        rbac.list_role_for_all_namespaces,
        rbac.list_cluster_role_binding,
        rbac.list_role_binding_for_all_namespaces,
        admission.list_validating_webhook_configuration,
        admission.list_mutating_webhook_configuration,
        admission.list_validating_admission_policy,
        admission.list_validating_admission_policy_binding,
        crd("serving.kserve.io", "v1beta1", "inferenceservices"),
        crd("machinelearning.seldon.io", "v1", "seldondeployments"),
        crd("kyverno.io", "v1", "clusterpolicies"),
        crd("kyverno.io", "v1", "policies"),
        crd("templates.gatekeeper.sh", "v1", "constrainttemplates"),
    ]


def drain(listing: Callable[..., Any], page_size: int) -> int:
    seen, token = 0, None
    while True:
        try:
            page = listing(limit=page_size, **({"_continue": token} if token else {}))
        except client.ApiException as exc:
            if exc.status == 404:  # a CRD that is not installed
                return seen
            raise
        if isinstance(page, dict):
            seen += len(page["items"])
            token = page["metadata"].get("continue")
        else:
            seen += len(page.items)
            token = page.metadata._continue
        if not token:
            return seen


def main() -> None:
    kubeconfig, workers, page_size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    configuration = client.Configuration()
    config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    configuration.connection_pool_maxsize = max(10, workers)
    api = CountingApiClient(configuration)
    for path, query in (("/version", []), ("/healthz", [("verbose", "true")])):
        request = api.param_serialize(
            method="GET", resource_path=path, query_params=query, auth_settings=["BearerToken"]
        )
        api.call_api(*request).read()
    with ThreadPoolExecutor(workers) as pool:
        items = sum(pool.map(lambda listing: drain(listing, page_size), listings(api)))
    print(json.dumps({"requests": REQUESTS, "items": items}))


if __name__ == "__main__":
    main()
