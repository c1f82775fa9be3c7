"""A namespaces estate: one hardened namespace, one bare one, a half-way one and the system ones.

=============  ===========  ===================  ==================  ======  ===================
namespace      PSS enforce  default deny         quotas              limits  notes
=============  ===========  ===================  ==================  ======  ===================
kube-system    privileged   none                 0                   0       system, gatekeeper
                                                                             ignore label
payments       restricted   ingress + egress     1                   cpu+mem policyTypes set
legacy         (unset)      none (allow-all)     0                   0       audit/warn only
team-b         Baseline     ingress (inferred)   0                   max     invalid label value
=============  ===========  ===================  ==================  ======  ===================
"""

from __future__ import annotations

from typing import Any

from tests.support.kube import FakeApiServer, namespace, obj

PSA = "pod-security.kubernetes.io/"


def network_policy(name: str, ns: str, **spec: Any) -> dict[str, Any]:
    return obj("networking.k8s.io/v1", "NetworkPolicy", name, ns, spec=spec)


def seed(server: FakeApiServer) -> None:
    server.add(
        namespace(
            "kube-system",
            **{PSA + "enforce": "privileged", "admission.gatekeeper.sh/ignore": "no-self-managing"},
        ),
        namespace(
            "payments",
            **{
                PSA + "enforce": "restricted",
                PSA + "enforce-version": "v1.31",
                PSA + "audit": "restricted",
                PSA + "warn": "restricted",
            },
        ),
        namespace("legacy", **{PSA + "audit": "baseline", PSA + "warn": "restricted"}),
        namespace("team-b", **{PSA + "enforce": "Baseline"}),
    )
    server.add(
        # payments: one policy denying both directions
        network_policy(
            "default-deny", "payments", podSelector={}, policyTypes=["Ingress", "Egress"]
        ),
        network_policy(
            "allow-web",
            "payments",
            podSelector={"matchLabels": {"app": "web"}},
            policyTypes=["Ingress"],
            ingress=[{"from": [{"podSelector": {"matchLabels": {"app": "lb"}}}]}],
        ),
        # legacy: selects every pod but allows every source: not a default deny
        network_policy("allow-all", "legacy", podSelector={}, ingress=[{}], egress=[{}]),
        # team-b: no policyTypes and an egress section: Ingress is inferred and denies all,
        # Egress is inferred from the rules and allows DNS
        network_policy(
            "deny-in-dns-out",
            "team-b",
            podSelector={},
            egress=[{"ports": [{"protocol": "UDP", "port": 53}]}],
        ),
    )
    server.add(
        obj(
            "v1",
            "LimitRange",
            "defaults",
            "payments",
            spec={
                "limits": [
                    {"type": "Container", "default": {"cpu": "500m", "memory": "256Mi"}},
                    {"type": "Pod", "max": {"memory": "2Gi"}},
                ]
            },
        ),
        obj(
            "v1",
            "LimitRange",
            "max-only",
            "team-b",
            spec={"limits": [{"type": "Container", "max": {"cpu": "2"}}]},
        ),
        obj(
            "v1",
            "ResourceQuota",
            "compute",
            "payments",
            spec={"hard": {"requests.cpu": "8", "limits.memory": "16Gi"}},
        ),
    )
