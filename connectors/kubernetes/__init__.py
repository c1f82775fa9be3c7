"""Kubernetes clusters: RBAC, namespaces, workloads, control plane, admission, model serving."""
