"""The Google Cloud provider: target schema, credentials, project discovery, unit planning.

A target names one project, a folder or an organization. Folders and organizations are expanded
while planning into one target per ACTIVE project beneath them (folders are walked recursively),
named ``<target>/<project id>``, plus one for the folder or organization itself
(``<target>/folders-<n>``), where the hierarchy connectors read its own IAM policy; a project
whose resources cannot be read is a gap for that project's units alone. Credentials are
Application Default Credentials, a service-account key file, or either of those impersonating
a service account.
"""

from __future__ import annotations

import threading
from typing import Any, Literal

import google.auth
from google.auth import impersonated_credentials
from google.cloud import resourcemanager_v3
from google.oauth2 import service_account
from pydantic import Field, model_validator

from annexa.connectors.base import Connector
from annexa.connectors.errors import ConnectorError
from annexa.connectors.gcp.errors import translate
from annexa.connectors.gcp.permissions import role_definition
from annexa.connectors.gcp.session import GcpSession
from annexa.connectors.memo import Memo
from annexa.connectors.provider import Provider, RuntimeSettings, TargetConfig

SCOPES = ("https://www.googleapis.com/auth/cloud-platform.read-only",)
PROJECT_PATTERN = r"^[a-z][a-z0-9-]{4,28}[a-z0-9]$"


class GcpTarget(TargetConfig):
    """One project, or every project under a folder or an organization."""

    provider: Literal["gcp"] = "gcp"
    project: str | None = Field(default=None, pattern=PROJECT_PATTERN, description="project id")
    folder: str | None = Field(default=None, pattern=r"^\d+$", description="folder number")
    organization: str | None = Field(
        default=None, pattern=r"^\d+$", description="organization number"
    )
    exclude_projects: tuple[str, ...] = Field(default=(), description="project ids to skip")
    credentials_file: str | None = Field(
        default=None,
        description="service-account key file (default: Application Default Credentials)",
    )
    impersonate_service_account: str | None = Field(
        default=None,
        pattern=r"^[^@\s]+@[^@\s]+\.iam\.gserviceaccount\.com$",
        description="read-only service account to impersonate",
    )
    endpoints: dict[str, str] = Field(
        default_factory=dict,
        description="API endpoint per service (resourcemanager, kms, storage, ...; '*' for all): "
        "private endpoints, tests",
    )

    @model_validator(mode="after")
    def _one_scope(self) -> GcpTarget:
        given = [n for n in ("project", "folder", "organization") if getattr(self, n)]
        if len(given) != 1:
            raise ValueError("name exactly one of project, folder or organization")
        return self


def credentials_for(target: GcpTarget) -> Any:
    """The target's credentials, read-only scoped, impersonating when asked."""
    if target.credentials_file:
        source: Any = service_account.Credentials.from_service_account_file(
            target.credentials_file, scopes=SCOPES
        )
    else:
        source, _ = google.auth.default(scopes=SCOPES)
    if target.impersonate_service_account:
        return impersonated_credentials.Credentials(
            source_credentials=source,
            target_principal=target.impersonate_service_account,
            target_scopes=list(SCOPES),
        )
    return source


class GcpProvider(Provider):
    """Discovers projects, opens one guarded session per project."""

    name = "gcp"
    target_model = GcpTarget

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._credentials: dict[str, Any] = {}  # target name -> credentials, shared by members
        self._memo = Memo()

    def _credentials_for(self, target: GcpTarget) -> Any:
        key = target.name.split("/", 1)[0]
        with self._lock:
            if key not in self._credentials:
                self._credentials[key] = credentials_for(target)
            return self._credentials[key]

    def expand(self, target: GcpTarget, settings: RuntimeSettings) -> list[GcpTarget]:
        if target.project:
            return [target]
        session = GcpSession("discovery", self._credentials_for(target), target.endpoints)
        projects = discover_projects(session, target)
        node = hierarchy_node(target)
        hierarchy = target.model_copy(update={"name": f"{target.name}/{node.replace('/', '-')}"})
        return [hierarchy] + [
            target.model_copy(
                update={
                    "name": f"{target.name}/{project}",
                    "project": project,
                    "folder": None,
                    "organization": None,
                }
            )
            for project in sorted(projects)
            if project not in target.exclude_projects
        ]

    def open_session(self, target: GcpTarget, settings: RuntimeSettings) -> GcpSession:
        account = target.project or hierarchy_node(target)
        return GcpSession(account, self._credentials_for(target), target.endpoints, self._memo)

    def scopes(self, target: GcpTarget, connector: type[Connector]) -> tuple[str, ...]:
        """Project connectors run on projects; hierarchy connectors (``level = "hierarchy"``) on
        the folder or organization a target names."""
        on_hierarchy = getattr(connector, "level", "project") == "hierarchy"
        return ("global",) if on_hierarchy == (target.project is None) else ()

    def describe_scope(self, connector: type[Connector]) -> str:
        return "per project"

    def translate_error(self, exc: BaseException) -> ConnectorError | None:
        return translate(exc)

    def least_privilege(self, connectors: list[type[Connector]]) -> str | None:
        return role_definition(connectors)

    def placeholder_account(self, target: GcpTarget) -> str:
        return target.project or hierarchy_node(target)


def hierarchy_node(target: GcpTarget) -> str:
    """``folders/<n>`` or ``organizations/<n>`` for a target that names one."""
    return f"folders/{target.folder}" if target.folder else f"organizations/{target.organization}"


def discover_projects(session: GcpSession, target: GcpTarget) -> list[str]:
    """ACTIVE project ids under the target's folder or organization, folders walked recursively."""
    projects = session.client("resourcemanager", resourcemanager_v3.ProjectsClient)
    folders = session.client("resourcemanager-folders", resourcemanager_v3.FoldersClient)
    root = hierarchy_node(target)
    found: list[str] = []
    pending = [root]
    while pending:
        parent = pending.pop(0)
        found += [
            p.project_id
            for p in projects.list_projects(parent=parent)
            if p.state == resourcemanager_v3.Project.State.ACTIVE
        ]
        pending += [
            f.name
            for f in folders.list_folders(parent=parent)
            if f.state == resourcemanager_v3.Folder.State.ACTIVE
        ]
    return found
