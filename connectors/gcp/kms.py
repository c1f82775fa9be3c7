"""Cloud KMS: the project's crypto keys, their purpose, primary version state and rotation.

Locations come from the KMS locations endpoint (the ``google.cloud.location`` mixin,
``GET v1/projects/*/locations``) rather than a fixed list, so new regions are scanned without a
release; if that listing fails, nothing can be observed and the unit fails with its error. A
location whose key rings cannot be listed, or a key ring whose keys cannot be listed, is noted
on the unit while every other location and ring is still observed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from google.cloud import kms_v1
from google.cloud.location import locations_pb2

from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.errors import ConnectorError
from annexa.connectors.records import Observation

KEY = Kind(
    "gcp.kms.key",
    "A Cloud KMS crypto key",
    {
        "location": "the key ring's location (us-east1, europe, global, ...)",
        "key_ring": "the key ring's id",
        "purpose": "ENCRYPT_DECRYPT, ASYMMETRIC_SIGN, ASYMMETRIC_DECRYPT, MAC, ...",
        "protection_level": "SOFTWARE, HSM, EXTERNAL or EXTERNAL_VPC (of the version template)",
        "algorithm": "algorithm of new versions (GOOGLE_SYMMETRIC_ENCRYPTION, RSA_SIGN_...)",
        "created_at": "creation time",
        "primary_state": "state of the primary version (null: no primary, e.g. asymmetric keys)",
        "destroy_scheduled": "primary version scheduled for destruction (null: no primary)",
        "destroy_scheduled_days": "days a scheduled destruction waits (destroyScheduledDuration)",
        "rotation_applicable": "automatic rotation is possible (symmetric ENCRYPT_DECRYPT keys)",
        "rotation_enabled": "a rotation period and next rotation time are set (null: n/a)",
        "rotation_period_days": "automatic rotation period in days (null: unset)",
        "next_rotation_time": "when the next automatic rotation happens (null: unset)",
        "labels": "key labels",
    },
)

DESTROY_SCHEDULED = "DESTROY_SCHEDULED"


def _name(enum: Any) -> str | None:
    """A proto enum's name, or None for its UNSPECIFIED zero value."""
    return None if int(enum) == 0 else str(enum.name)


def _days(period: timedelta | None) -> int | float | None:
    if period is None:
        return None
    seconds = period.total_seconds()
    return int(seconds // 86400) if seconds % 86400 == 0 else round(seconds / 86400, 2)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def transform_key(key: kms_v1.CryptoKey) -> dict[str, Any]:
    """The observation attributes of one crypto key as ``list_crypto_keys`` returns it."""
    _, location, _, ring, *_ = key.name.split("/")[2:]
    purpose = _name(key.purpose)
    has_primary = "primary" in key
    primary_state = _name(key.primary.state) if has_primary else None
    applicable = purpose == "ENCRYPT_DECRYPT"
    period = key.rotation_period if "rotation_period" in key else None
    next_rotation = key.next_rotation_time if "next_rotation_time" in key else None
    level = key.version_template.protection_level if "version_template" in key else 0
    if not level and has_primary:
        level = key.primary.protection_level
    algorithm = key.version_template.algorithm if "version_template" in key else 0
    return {
        "location": location,
        "key_ring": ring,
        "purpose": purpose,
        "protection_level": _name(kms_v1.ProtectionLevel(level)),
        "algorithm": _name(kms_v1.CryptoKeyVersion.CryptoKeyVersionAlgorithm(algorithm)),
        "created_at": _iso(key.create_time) if "create_time" in key else None,
        "primary_state": primary_state,
        "destroy_scheduled": primary_state == DESTROY_SCHEDULED if has_primary else None,
        "destroy_scheduled_days": _days(key.destroy_scheduled_duration)
        if "destroy_scheduled_duration" in key
        else None,
        "rotation_applicable": applicable,
        "rotation_enabled": (period is not None and next_rotation is not None)
        if applicable
        else None,
        "rotation_period_days": _days(period),
        "next_rotation_time": _iso(next_rotation),
        "labels": dict(key.labels),
    }


def list_locations(kms: kms_v1.KeyManagementServiceClient, project: str) -> list[str]:
    """Every KMS location name of the project (the mixin returns pages, not a pager)."""
    names: list[str] = []
    token = ""
    while True:
        page = kms.list_locations(
            locations_pb2.ListLocationsRequest(name=f"projects/{project}", page_token=token)
        )
        names += [location.name for location in page.locations]
        token = page.next_page_token
        if not token:
            return names


def _fan_out(
    ctx: UnitContext, label: str, parents: list[str], fetch: Callable[[str], list[Any]]
) -> Iterator[tuple[str, list[Any]]]:
    """``fetch(parent)`` for each parent in parallel; failures are noted (all failing: raise)."""
    found = list(ctx.map(lambda parent: (parent, ctx.attempt(lambda: fetch(parent))), parents))
    errors = [(p, r) for p, r in found if isinstance(r, ConnectorError)]
    if errors and len(errors) == len(found):
        raise errors[0][1]
    for parent, error in errors:
        ctx.note(f"{label} {parent} not listed: {error.describe()}")
    for parent, result in found:
        if not isinstance(result, ConnectorError):
            yield parent, result


class KmsConnector(Connector):
    name = "gcp.kms"
    provider = "gcp"
    description = "Cloud KMS crypto keys: purpose, protection level, primary state, rotation"
    regional = False
    kinds = (KEY,)
    permissions = (
        "cloudkms.locations.list",
        "cloudkms.keyRings.list",
        "cloudkms.cryptoKeys.list",
    )

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        kms = ctx.session.client("kms", kms_v1.KeyManagementServiceClient)
        locations = list_locations(kms, ctx.session.project)
        rings = [
            ring.name
            for _, found in _fan_out(
                ctx,
                "key rings in",
                locations,
                lambda location: list(kms.list_key_rings(parent=location)),
            )
            for ring in found
        ]
        listed = _fan_out(
            ctx, "crypto keys of", rings, lambda ring: list(kms.list_crypto_keys(parent=ring))
        )
        for _, keys in listed:
            for key in keys:
                reads = ctx.reads("cloudkms.cryptoKeys.list")
                for name, value in transform_key(key).items():
                    reads.set(name, value)
                yield ctx.observe("gcp.kms.key", key.name, reads)
