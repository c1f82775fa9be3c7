"""Pass and fail examples for the rules of the project IAM policy and service account keys."""

OWNER = {"member": "user:alice@acme.example", "role": "roles/owner", "conditional": False}
PUBLIC = {"member": "allUsers", "role": "roles/viewer", "conditional": False}
AGENT = {
    "member": "serviceAccount:123@cloudservices.gserviceaccount.com",
    "role": "roles/editor",
    "conditional": False,
    "google_managed": True,
}
DEFAULT_SA = {
    "member": "serviceAccount:123-compute@developer.gserviceaccount.com",
    "role": "roles/editor",
    "conditional": False,
    "google_managed": False,
}
KEY = {
    "service_account": "ci@acme-prod.iam.gserviceaccount.com",
    "key_id": "0123abcd",
    "disabled": False,
    "service_account_disabled": False,
}

# rule id -> (passing attributes, failing attributes)
EXAMPLES: dict[str, tuple[dict, dict]] = {
    "gcp.iam.project.no-basic-roles-for-users": (
        {"basic_role_users": [], "bindings_count": 4},
        {"basic_role_users": [OWNER], "bindings_count": 4},
    ),
    "gcp.iam.project.no-public-members": ({"public_members": []}, {"public_members": [PUBLIC]}),
    "gcp.iam.project.no-service-account-basic-roles": (
        {"service_accounts_with_basic_roles": [AGENT]},
        {"service_accounts_with_basic_roles": [AGENT, DEFAULT_SA]},
    ),
    "gcp.iam.project.data-access-logging": (
        {"data_access_logging": ["allServices"]},
        {"data_access_logging": ["storage.googleapis.com"]},
    ),
    "gcp.iam.project.no-audit-exemptions": (
        {"audit_exempted_members": []},
        {
            "audit_exempted_members": [
                {
                    "service": "allServices",
                    "log_type": "DATA_READ",
                    "member": "user:bob@acme.example",
                }
            ]
        },
    ),
    "gcp.iam.service_account_key.rotation": ({**KEY, "age_days": 30}, {**KEY, "age_days": 400}),
}
