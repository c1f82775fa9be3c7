"""Pass and fail examples for the ELBv2 rules."""

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.elbv2.load_balancer.tls-policy": (
        {"tls_policies": ["ELBSecurityPolicy-TLS13-1-2-2021-06"]},
        {"tls_policies": ["ELBSecurityPolicy-2016-08", "ELBSecurityPolicy-TLS13-1-2-2021-06"]},
    ),
    "aws.elbv2.load_balancer.no-plaintext": (
        {"scheme": "internet-facing", "plaintext_listeners": []},
        {"scheme": "internet-facing", "plaintext_listeners": ["HTTP:80"]},
    ),
    "aws.elbv2.load_balancer.access-logs": (
        {"type": "application", "access_logs_enabled": True, "access_logs_bucket": "lb-logs"},
        {"type": "network", "access_logs_enabled": False, "access_logs_bucket": None},
    ),
}
