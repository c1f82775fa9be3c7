"""Pass and fail examples for the Vertex AI rules."""

OWNED = {"name": "x", "labels": {"owner": "ml-platform"}}
UNOWNED = {"name": "x", "labels": {"team": "ml"}}
ENDPOINT = {"name": "chat", "region": "europe-west4", "network": None}
MODEL = {"name": "ranker", "region": "europe-west4"}
NOTEBOOK = {"name": "research-1", "zone": "europe-west4-a"}
KEY = "projects/acme-sec/locations/europe-west4/keyRings/ml/cryptoKeys/vertex"

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "gcp.vertex.endpoint.request-response-logging": (
        {
            **ENDPOINT,
            "request_response_logging": True,
            "logging_sampling_rate": 0.1,
            "logging_destination": "bq://acme-prod.vertex.chat_log",
        },
        {
            **ENDPOINT,
            "request_response_logging": False,
            "logging_sampling_rate": None,
            "logging_destination": None,
        },
    ),
    "gcp.vertex.endpoint.cmek": ({**ENDPOINT, "cmek": KEY}, {**ENDPOINT, "cmek": None}),
    "gcp.vertex.endpoint.private": (
        {**ENDPOINT, "private": True, "network": "projects/123/global/networks/ml"},
        {**ENDPOINT, "private": False},
    ),
    "gcp.vertex.endpoint.owner": (OWNED, UNOWNED),
    "gcp.vertex.model.cmek": ({**MODEL, "cmek": KEY}, {**MODEL, "cmek": None}),
    "gcp.vertex.model.image-pinned": (
        {
            **MODEL,
            "image_uri": "europe-docker.pkg.dev/acme/serve/ranker@sha256:" + "a" * 64,
            "image_pinned": True,
        },
        {
            **MODEL,
            "image_uri": "europe-docker.pkg.dev/acme/serve/ranker:latest",
            "image_pinned": False,
        },
    ),
    "gcp.vertex.model.owner": (OWNED, UNOWNED),
    "gcp.vertex.notebook.root-access": (
        {**NOTEBOOK, "root_access_disabled": True},
        {**NOTEBOOK, "root_access_disabled": False},
    ),
    "gcp.vertex.notebook.no-public-ip": (
        {**NOTEBOOK, "no_public_ip": True},
        {**NOTEBOOK, "no_public_ip": False},
    ),
    "gcp.vertex.notebook.cmek": (
        {**NOTEBOOK, "cmek": KEY, "data_disks_cmek": True},
        {**NOTEBOOK, "cmek": KEY, "data_disks_cmek": False},
    ),
    "gcp.vertex.notebook.owner": (OWNED, UNOWNED),
}
