"""Pass and fail examples for the folder and organization rules."""

ORG = "organizations/987654321098"

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "gcp.hierarchy.node.no-basic-roles-for-users": (
        {"name": ORG, "basic_role_users": []},
        {
            "name": ORG,
            "basic_role_users": [
                {"member": "user:cto@acme.example", "role": "roles/owner", "conditional": False}
            ],
        },
    ),
    "gcp.hierarchy.node.no-public-members": (
        {"name": ORG, "public_members": []},
        {
            "name": ORG,
            "public_members": [
                {"member": "allUsers", "role": "roles/viewer", "conditional": False}
            ],
        },
    ),
    "gcp.hierarchy.node.data-access-logging": (
        {"name": ORG, "node_type": "organization", "data_access_logging": ["allServices"]},
        {
            "name": ORG,
            "node_type": "organization",
            "data_access_logging": ["storage.googleapis.com"],
        },
    ),
}
