"""Pure transforms of a project's IAM policy (its REST JSON shape) into evidence attributes.

Bindings are read for who holds the basic roles (owner, editor), who the public principals are,
and which grants are conditional; audit configs for the services whose Data Access logs record
both reads and writes (``allServices`` applies to every service, and a service's effective log
types are its own together with those of ``allServices``) and for principals exempted from them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

BASIC_ROLES = frozenset({"roles/owner", "roles/editor"})
PUBLIC = frozenset({"allUsers", "allAuthenticatedUsers"})
HUMAN_PREFIXES = ("user:", "group:", "domain:")
ALL_SERVICES = "allServices"
DATA_ACCESS = frozenset({"DATA_READ", "DATA_WRITE"})

# Google-managed service agents (not the project's own or default service accounts):
# <number>@cloudservices.gserviceaccount.com, service-<number>@<agent domain>, *@gcp-sa-*.
SERVICE_AGENT = re.compile(
    r"^serviceAccount:(?:\d+@cloudservices\.gserviceaccount\.com"
    r"|service-\d+@.+|.+@gcp-sa-[a-z0-9-]+\.iam\.gserviceaccount\.com)$"
)

POLICY_FIELDS = (
    "bindings_count",
    "basic_role_users",
    "public_members",
    "service_accounts_with_basic_roles",
    "conditional_bindings",
    "audit_configs",
    "data_access_logging",
    "audit_exempted_members",
)


def _grants(bindings: Iterable[Mapping[str, Any]]) -> Iterable[tuple[str, str, bool]]:
    """(member, role, conditional) for every member of every binding."""
    for binding in bindings:
        conditional = bool(binding.get("condition"))
        for member in binding.get("members", []):
            yield member, binding["role"], conditional


def _grant(member: str, role: str, conditional: bool) -> dict[str, Any]:
    return {"member": member, "role": role, "conditional": conditional}


def effective_log_types(audit_configs: Iterable[Mapping[str, Any]]) -> dict[str, set[str]]:
    """Service -> the log types enabled for it (``allServices``'s types added to each service)."""
    types: dict[str, set[str]] = {}
    for config in audit_configs:
        enabled = types.setdefault(config["service"], set())
        enabled |= {c["logType"] for c in config.get("auditLogConfigs", []) if c.get("logType")}
    everywhere = types.get(ALL_SERVICES, set())
    return {service: enabled | everywhere for service, enabled in types.items()}


def transform_policy(policy: Mapping[str, Any]) -> dict[str, Any]:
    """The attributes of :data:`POLICY_FIELDS` from a policy as the REST API returns it."""
    bindings = policy.get("bindings", [])
    grants = list(_grants(bindings))
    audit_configs = policy.get("auditConfigs", [])
    log_types = effective_log_types(audit_configs)
    return {
        "bindings_count": len(bindings),
        "basic_role_users": sorted(
            (_grant(*g) for g in grants if g[1] in BASIC_ROLES and g[0].startswith(HUMAN_PREFIXES)),
            key=lambda g: (g["member"], g["role"]),
        ),
        "public_members": sorted(
            (_grant(*g) for g in grants if g[0] in PUBLIC),
            key=lambda g: (g["member"], g["role"]),
        ),
        "service_accounts_with_basic_roles": sorted(
            (
                {**_grant(*g), "google_managed": bool(SERVICE_AGENT.match(g[0]))}
                for g in grants
                if g[1] in BASIC_ROLES and g[0].startswith("serviceAccount:")
            ),
            key=lambda g: (g["member"], g["role"]),
        ),
        "conditional_bindings": [
            {
                "role": b["role"],
                "members": len(b.get("members", [])),
                "title": b["condition"].get("title", ""),
                "expression": b["condition"].get("expression", ""),
            }
            for b in bindings
            if b.get("condition")
        ],
        "audit_configs": {service: sorted(types) for service, types in sorted(log_types.items())},
        "data_access_logging": sorted(s for s, types in log_types.items() if types >= DATA_ACCESS),
        "audit_exempted_members": [
            {"service": config["service"], "log_type": log["logType"], "member": member}
            for config in audit_configs
            for log in config.get("auditLogConfigs", [])
            for member in log.get("exemptedMembers", [])
        ],
    }


def transform_project(project: Mapping[str, Any]) -> dict[str, Any]:
    """Project metadata from the Resource Manager v3 REST shape (``name`` is projects/<number>)."""
    return {
        "project_number": project["name"].rsplit("/", 1)[-1],
        "display_name": project.get("displayName", ""),
        "parent": project.get("parent") or None,
        "state": project.get("state", "STATE_UNSPECIFIED"),
        "labels": dict(project.get("labels", {})),
    }


PROJECT_FIELDS = ("project_number", "display_name", "parent", "state", "labels")
