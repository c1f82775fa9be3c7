"""Pass and fail examples for the IAM Access Analyzer rules."""

ACCOUNT_ANALYZER = {"name": "account-analyzer", "type": "ACCOUNT", "status": "ACTIVE"}
UNUSED = {"name": "unused-access", "type": "ACCOUNT_UNUSED_ACCESS", "status": "ACTIVE"}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.accessanalyzer.region.external-access-analyzer": (
        {"analyzers": [ACCOUNT_ANALYZER, UNUSED], "external_access_analyzer_active": True},
        {"analyzers": [UNUSED], "external_access_analyzer_active": False},
    ),
    "aws.accessanalyzer.region.no-active-external-findings": (
        {
            "external_access_analyzer_active": True,
            "active_external_findings": 0,
            "finding_resources": [],
        },
        {
            "external_access_analyzer_active": True,
            "active_external_findings": 2,
            "finding_resources": ["arn:aws:s3:::public-assets", "arn:aws:kms:eu-west-1:1:key/k"],
        },
    ),
}
