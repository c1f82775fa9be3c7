"""IAM Access Analyzer: whether an external-access analyzer watches the region, and how many
resources it finds shared outside the zone of trust, per region.

One ListAnalyzers call lists every analyzer type. External-access analyzers (``ACCOUNT`` and
``ORGANIZATION``) are the ones the rules judge; unused-access and internal-access analyzers are
recorded in ``analyzers`` only. For each ACTIVE external-access analyzer the ACTIVE findings are
paged through ListFindings and counted, keeping up to :data:`SAMPLE_SIZE` resource ARNs as
examples; no finding detail is stored. The count is summed over those analyzers, so when an
account analyzer and an organization analyzer both run, one resource may count twice.

A region without any analyzer is a real observation that fails, not a gap. A failed ListAnalyzers
fails the unit; a failed ListFindings makes the count and the sample gaps, never zero.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from annexa.connectors.aws.common import paginate
from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.records import Observation

EXTERNAL_ACCESS = ("ACCOUNT", "ORGANIZATION")
SAMPLE_SIZE = 20
PAGE_SIZE = 100
ACTIVE_FINDINGS = {"status": {"eq": ["ACTIVE"]}}

REGION = Kind(
    "aws.accessanalyzer.region",
    "The region's IAM Access Analyzer analyzers and active external-access findings",
    {
        "analyzers": "every analyzer in the region: {name, type, status}; type ACCOUNT or "
        "ORGANIZATION (external access), *_UNUSED_ACCESS or *_INTERNAL_ACCESS",
        "external_access_analyzer_active": "an ACCOUNT or ORGANIZATION analyzer is ACTIVE",
        "active_external_findings": "ACTIVE findings of the active external-access analyzers, "
        "summed over them (null: no such analyzer)",
        "finding_resources": f"up to {SAMPLE_SIZE} ARNs of resources with an active finding "
        "(sorted)",
    },
)


def transform_analyzer(analyzer: dict[str, Any]) -> dict[str, Any]:
    return {"name": analyzer["name"], "type": analyzer["type"], "status": analyzer["status"]}


def active_external(analyzers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [a for a in analyzers if a["type"] in EXTERNAL_ACCESS and a["status"] == "ACTIVE"]


def get_active_findings(analyzer: Any, arns: list[str]) -> dict[str, Any]:
    """Count the ACTIVE findings of each analyzer (all pages); keep a sample of resources."""
    count, resources = 0, set[str]()
    for arn in arns:
        for finding in paginate(
            analyzer,
            "list_findings",
            "findings",
            analyzerArn=arn,
            filter=ACTIVE_FINDINGS,
            maxResults=PAGE_SIZE,
        ):
            count += 1
            resource = finding.get("resource")
            if resource and len(resources) < SAMPLE_SIZE:
                resources.add(resource)
    return {"active_external_findings": count, "finding_resources": sorted(resources)}


class AccessAnalyzerConnector(Connector):
    name = "aws.accessanalyzer"
    provider = "aws"
    description = "IAM Access Analyzer coverage and active external-access findings"
    regional = True
    kinds = (REGION,)
    permissions = (
        "access-analyzer:ListAnalyzers",
        "access-analyzer:ListFindings",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        analyzer = ctx.session.client("accessanalyzer", ctx.scope.region)
        found = list(paginate(analyzer, "list_analyzers", "analyzers", maxResults=PAGE_SIZE))
        reads = ctx.reads("accessanalyzer:ListAnalyzers")
        reads.set("analyzers", sorted((transform_analyzer(a) for a in found), key=_order))
        active = [a["arn"] for a in active_external(found)]
        reads.set("external_access_analyzer_active", bool(active))
        if active:
            reads.read_many(
                ("active_external_findings", "finding_resources"),
                lambda: get_active_findings(analyzer, active),
            )
        else:
            reads.set("active_external_findings", None)
            reads.set("finding_resources", [])
        arn = f"arn:aws:access-analyzer:{ctx.scope.region}:{ctx.scope.account}:analyzers"
        yield ctx.observe("aws.accessanalyzer.region", arn, reads)


def _order(analyzer: dict[str, Any]) -> tuple[str, str]:
    return analyzer["type"], analyzer["name"]
