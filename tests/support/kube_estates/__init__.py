"""Representative fake-cluster estates, one module per Kubernetes connector family."""
