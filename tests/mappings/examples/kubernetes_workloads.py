"""Pass and fail examples for the Kubernetes workload rules."""

APP = {"namespace": "shop"}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "kubernetes.workloads.workload.no-privileged": (
        {**APP, "privileged_containers": []},
        {**APP, "privileged_containers": ["mesh-proxy"]},
    ),
    "kubernetes.workloads.workload.no-privilege-escalation": (
        {**APP, "privilege_escalation_containers": []},
        {**APP, "privilege_escalation_containers": ["app"]},
    ),
    "kubernetes.workloads.workload.no-dangerous-capabilities": (
        {**APP, "dangerous_capabilities": {}, "added_capabilities": {"app": ["CHOWN"]}},
        {
            **APP,
            "dangerous_capabilities": {"agent": ["SYS_ADMIN"]},
            "added_capabilities": {"agent": ["CHOWN", "SYS_ADMIN"]},
        },
    ),
    "kubernetes.workloads.workload.no-host-namespaces": (
        {**APP, "host_pid": False, "host_ipc": False, "host_network": False},
        {**APP, "host_pid": False, "host_ipc": False, "host_network": True},
    ),
    "kubernetes.workloads.workload.no-host-path": (
        {**APP, "host_path_volumes": []},
        {**APP, "host_path_volumes": ["/var/log"]},
    ),
    "kubernetes.workloads.workload.no-runtime-socket": (
        {"namespace": "kube-system", "runtime_socket_mounts": []},
        {"namespace": "kube-system", "runtime_socket_mounts": ["/var/run/docker.sock"]},
    ),
    "kubernetes.workloads.workload.no-root-host-mount": (
        {**APP, "root_host_mount": False},
        {**APP, "root_host_mount": True},
    ),
    "kubernetes.workloads.workload.run-as-non-root": (
        {**APP, "run_as_root_possible": []},
        {**APP, "run_as_root_possible": ["postgres"]},
    ),
    "kubernetes.workloads.workload.image-digest": (
        {"unpinned_images": []},
        {"unpinned_images": ["registry.example/agent:2.1"]},
    ),
    "kubernetes.workloads.workload.no-latest-tag": (
        {"latest_images": []},
        {"latest_images": ["postgres"]},
    ),
    "kubernetes.workloads.workload.resource-limits": (
        {"containers_without_limits": []},
        {"containers_without_limits": ["postgres"]},
    ),
    "kubernetes.workloads.workload.no-literal-secrets": (
        {"secret_env_vars": []},
        {
            "secret_env_vars": [
                {"container": "postgres", "variable": "POSTGRES_PASSWORD", "detector": "name"}
            ]
        },
    ),
    "kubernetes.workloads.workload.token-automount": (
        {**APP, "automount_token": False, "service_account": "web"},
        {**APP, "automount_token": True, "service_account": "default"},
    ),
}
