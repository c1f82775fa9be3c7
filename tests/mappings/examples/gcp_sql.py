"""Pass and fail examples for the Cloud SQL instance rules."""


def _instance(**extra: object) -> dict:
    return {
        "name": "orders-db",
        "database_version": "POSTGRES_15",
        "region": "europe-west1",
        "instance_type": "CLOUD_SQL_INSTANCE",
        **extra,
    }


EXAMPLES: dict[str, tuple[dict, dict]] = {
    "gcp.sql.instance.ssl-required": (
        _instance(require_ssl=True, ssl_mode="ENCRYPTED_ONLY"),
        _instance(require_ssl=False, ssl_mode="ALLOW_UNENCRYPTED_AND_ENCRYPTED"),
    ),
    "gcp.sql.instance.no-world-public-ip": (
        _instance(public_ip=True, authorized_networks=["198.51.100.0/24"], world_open=False),
        _instance(public_ip=True, authorized_networks=["0.0.0.0/0"], world_open=True),
    ),
    "gcp.sql.instance.automated-backups": (
        _instance(backups_enabled=True, point_in_time_recovery=True),
        _instance(backups_enabled=False, point_in_time_recovery=False),
    ),
    "gcp.sql.instance.cmek": (
        _instance(cmek="projects/p/locations/europe-west1/keyRings/r/cryptoKeys/sql"),
        _instance(cmek=None),
    ),
}
