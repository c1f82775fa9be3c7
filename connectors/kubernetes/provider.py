"""The Kubernetes provider: target schema, session opening and unit planning.

A target is one cluster, reached through a kubeconfig file and context or, when annexa runs in
the cluster, through the pod's service account. Every connector runs once per cluster, in the
scope ``cluster``; the scope's account is the cluster's name.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from kubernetes import config as kubeconfig
from kubernetes.client import Configuration
from pydantic import Field, model_validator

from annexa.connectors.base import Connector
from annexa.connectors.errors import ConfigurationError, ConnectorError
from annexa.connectors.kubernetes.errors import translate
from annexa.connectors.kubernetes.guard import GuardedApiClient
from annexa.connectors.kubernetes.permissions import manifests
from annexa.connectors.kubernetes.session import DEFAULT_PAGE_SIZE, KubeSession
from annexa.connectors.provider import Provider, RuntimeSettings, TargetConfig, user_agent

SCOPE = "cluster"


class KubernetesTarget(TargetConfig):
    """One cluster: a kubeconfig (file and context) or the in-cluster service account."""

    provider: Literal["kubernetes"] = "kubernetes"
    kubeconfig: str | None = Field(
        default=None,
        description="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)",
    )
    context: str | None = Field(
        default=None, description="kubeconfig context (default: the file's current context)"
    )
    in_cluster: bool = Field(
        default=False, description="use the service account of the pod annexa runs in"
    )
    cluster: str | None = Field(
        default=None,
        pattern=r"^[^\s]{1,253}$",
        description="name recorded for the cluster (default: the context's cluster, or the "
        "target name in-cluster)",
    )
    page_size: int = Field(
        default=DEFAULT_PAGE_SIZE, ge=1, le=5000, description="items per page of a listing"
    )

    @model_validator(mode="after")
    def _one_way_in(self) -> KubernetesTarget:
        if self.in_cluster and (self.kubeconfig or self.context):
            raise ValueError("in_cluster = true cannot be combined with kubeconfig or context")
        return self


def _kubeconfig_path(target: KubernetesTarget) -> str:
    if target.kubeconfig:
        return str(Path(target.kubeconfig).expanduser())
    env = os.environ.get("KUBECONFIG", "").split(os.pathsep)[0]
    return env or str(Path("~/.kube/config").expanduser())


def load_configuration(target: KubernetesTarget) -> tuple[Configuration, str]:
    """The client configuration for a target and the cluster name to record."""
    configuration = Configuration()
    if target.in_cluster:
        kubeconfig.load_incluster_config(client_configuration=configuration)
        return configuration, target.cluster or target.name
    path = _kubeconfig_path(target)
    if not Path(path).is_file():
        raise ConfigurationError(f"kubeconfig {path} does not exist", code="NoKubeconfig")
    contexts, current = kubeconfig.list_kube_config_contexts(config_file=path)
    chosen = next((c for c in contexts if c["name"] == target.context), None)
    if target.context and chosen is None:
        names = ", ".join(sorted(c["name"] for c in contexts)) or "none"
        raise ConfigurationError(
            f"kubeconfig {path} has no context {target.context!r} (contexts: {names})",
            code="NoContext",
        )
    chosen = chosen or current
    kubeconfig.load_kube_config(
        config_file=path,
        context=target.context,
        client_configuration=configuration,
        persist_config=False,
    )
    cluster = (chosen or {}).get("context", {}).get("cluster")
    return configuration, target.cluster or str(cluster or target.name)


class KubernetesProvider(Provider):
    """Opens one guarded session per cluster; checks that the API server answers."""

    name = "kubernetes"
    target_model = KubernetesTarget

    def open_session(self, target: KubernetesTarget, settings: RuntimeSettings) -> KubeSession:
        configuration, cluster = load_configuration(target)
        configuration.connection_pool_maxsize = max(10, settings.max_workers)
        configuration.retries = 0  # GuardedApiClient retries, with backoff, and counts attempts
        api_client = GuardedApiClient(
            configuration,
            max_attempts=settings.max_attempts,
            timeout=(settings.connect_timeout, settings.read_timeout),
        )
        api_client.user_agent = user_agent()
        session = KubeSession(api_client, cluster, target.page_size)
        session.version()  # fail the session (and name why) when the API server does not answer
        return session

    def scopes(self, target: KubernetesTarget, connector: type[Connector]) -> tuple[str, ...]:
        return (SCOPE,)

    def describe_scope(self, connector: type[Connector]) -> str:
        return "per cluster"

    def translate_error(self, exc: BaseException) -> ConnectorError | None:
        return translate(exc)

    def least_privilege(self, connectors: list[type[Connector]]) -> str | None:
        return manifests(connectors)

    def placeholder_account(self, target: KubernetesTarget) -> str:
        return target.cluster or target.name
