"""The folder or organization a target names: its own IAM policy and audit configuration.

Roles granted at a folder or the organization are inherited by every project beneath it, so an
owner grant or an ``allUsers`` member there is worse than in any one project, and the
organization's audit configuration is where Data Access logging is usually switched on. This
connector runs once per folder or organization target (``level = "hierarchy"``), never per
project; it reads the same policy attributes as ``gcp.iam`` reads for projects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from google.cloud import resourcemanager_v3
from google.protobuf import json_format

from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.gcp.iam import POLICY_VERSION, PROJECT
from annexa.connectors.gcp.iam_policy import POLICY_FIELDS, transform_policy
from annexa.connectors.records import Observation

NODE = Kind(
    "gcp.hierarchy.node",
    "A folder or organization, its IAM policy (inherited by every project beneath) and audit "
    "configuration",
    {
        "name": "folders/<n> or organizations/<n>",
        "node_type": "folder or organization",
        "display_name": "display name",
        "parent": "parent (folders/<n> or organizations/<n>; null for an organization)",
        "state": "lifecycle state",
        **{field: PROJECT.attributes[field] for field in POLICY_FIELDS},
    },
)


def _describe(node: Any) -> dict[str, Any]:
    data = type(node).to_dict(node, preserving_proto_field_name=False, use_integers_for_enums=False)
    return {
        "display_name": data.get("displayName"),
        "parent": data.get("parent") or None,
        "state": data.get("state"),
    }


class HierarchyConnector(Connector):
    name = "gcp.hierarchy"
    provider = "gcp"
    description = "Folder and organization IAM policies and audit configs (inherited by projects)"
    regional = False
    level: ClassVar[str] = "hierarchy"
    kinds = (NODE,)
    permissions = (
        "resourcemanager.folders.get",
        "resourcemanager.folders.getIamPolicy",
        "resourcemanager.organizations.get",
        "resourcemanager.organizations.getIamPolicy",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        node = ctx.session.project  # folders/<n> or organizations/<n> for hierarchy targets
        folder = node.startswith("folders/")
        client: Any = (
            ctx.session.client("resourcemanager-folders", resourcemanager_v3.FoldersClient)
            if folder
            else ctx.session.client(
                "resourcemanager-organizations", resourcemanager_v3.OrganizationsClient
            )
        )
        kind = "folders" if folder else "organizations"
        reads = ctx.reads(f"resourcemanager.{kind}.get", f"resourcemanager.{kind}.getIamPolicy")
        reads.set("name", node)
        reads.set("node_type", "folder" if folder else "organization")
        getter = client.get_folder if folder else client.get_organization
        # an unreadable node is still observed, its unread attributes named as gaps (partial unit)
        reads.read_many(("display_name", "parent", "state"), lambda: _describe(getter(name=node)))
        reads.read_many(
            POLICY_FIELDS,
            lambda: transform_policy(
                json_format.MessageToDict(
                    client.get_iam_policy(
                        request={
                            "resource": node,
                            "options": {"requested_policy_version": POLICY_VERSION},
                        }
                    )
                )
            ),
        )
        yield ctx.observe(NODE.name, f"//cloudresourcemanager.googleapis.com/{node}", reads)
