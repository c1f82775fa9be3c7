"""Cloud KMS through the real client (REST) against the fake Google server."""

from __future__ import annotations

import pytest

from annexa.connectors.errors import PermissionDenied
from annexa.connectors.gcp.errors import translate
from annexa.connectors.gcp.kms import KmsConnector
from tests.support.gcp import FakeGoogle, run_unit

PROJECT = "projects/acme-prod"
LOCATIONS = ("us-east1", "europe-west1", "asia-east1", "global")


def ring(location: str, name: str) -> dict:
    return {
        "name": f"{PROJECT}/locations/{location}/keyRings/{name}",
        "createTime": "2023-01-05T10:00:00Z",
    }


def key(ring_path: str, name: str, **fields) -> dict:
    return {
        "name": f"{ring_path}/cryptoKeys/{name}",
        "purpose": "ENCRYPT_DECRYPT",
        "createTime": "2023-02-01T09:30:00Z",
        "versionTemplate": {
            "protectionLevel": "SOFTWARE",
            "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION",
        },
        "destroyScheduledDuration": "2592000s",
        **fields,
    }


def primary(ring_path: str, name: str, state: str = "ENABLED") -> dict:
    return {
        "name": f"{ring_path}/cryptoKeys/{name}/cryptoKeyVersions/1",
        "state": state,
        "protectionLevel": "SOFTWARE",
        "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION",
        "createTime": "2023-02-01T09:30:00Z",
    }


APP = f"{PROJECT}/locations/us-east1/keyRings/app"
OPS = f"{PROJECT}/locations/europe-west1/keyRings/ops"


@pytest.fixture
def google():
    with FakeGoogle().running() as server:
        server.get(
            r"/v1/projects/acme-prod/locations",
            (
                "locations",
                [{"name": f"{PROJECT}/locations/{loc}", "locationId": loc} for loc in LOCATIONS],
            ),
        )
        server.get(
            r"/v1/projects/acme-prod/locations/us-east1/keyRings",
            ("keyRings", [ring("us-east1", n) for n in ("app", "data", "empty")]),
        )
        server.get(
            r"/v1/projects/acme-prod/locations/europe-west1/keyRings",
            ("keyRings", [ring("europe-west1", "ops")]),
        )
        server.get(r"/v1/projects/acme-prod/locations/[a-z0-9-]+/keyRings", ("keyRings", []))
        server.get(
            r"/v1/projects/acme-prod/locations/us-east1/keyRings/app/cryptoKeys",
            (
                "cryptoKeys",
                [
                    key(
                        APP,
                        "rotated",
                        primary=primary(APP, "rotated"),
                        rotationPeriod="7776000s",
                        nextRotationTime="2024-05-01T00:00:00Z",
                        labels={"team": "data"},
                    ),
                    key(
                        APP,
                        "yearly",
                        primary=primary(APP, "yearly"),
                        rotationPeriod="31536000s",
                        nextRotationTime="2024-12-01T00:00:00Z",
                    ),
                    key(APP, "unrotated", primary=primary(APP, "unrotated")),
                ],
            ),
        )
        server.get(
            r"/v1/projects/acme-prod/locations/us-east1/keyRings/[a-z]+/cryptoKeys",
            ("cryptoKeys", []),
        )
        server.get(
            r"/v1/projects/acme-prod/locations/europe-west1/keyRings/ops/cryptoKeys",
            (
                "cryptoKeys",
                [
                    key(
                        OPS,
                        "signing",
                        purpose="ASYMMETRIC_SIGN",
                        versionTemplate={
                            "protectionLevel": "HSM",
                            "algorithm": "EC_SIGN_P256_SHA256",
                        },
                    ),
                    key(OPS, "doomed", primary=primary(OPS, "doomed", "DESTROY_SCHEDULED")),
                ],
            ),
        )
        yield server


def keys(observations) -> dict[str, dict]:
    assert all(o.kind == "gcp.kms.key" for o in observations)
    return {o.resource_id.rsplit("/", 1)[1]: o.attributes for o in observations}


def test_keys_rotation_and_destruction(google: FakeGoogle) -> None:
    observations, counter = run_unit(KmsConnector, google)
    found = keys(observations)
    assert set(found) == {"rotated", "yearly", "unrotated", "signing", "doomed"}
    assert observations[0].resource_id == f"{APP}/cryptoKeys/rotated"
    rotated = found["rotated"]
    assert rotated == {
        "location": "us-east1",
        "key_ring": "app",
        "purpose": "ENCRYPT_DECRYPT",
        "protection_level": "SOFTWARE",
        "algorithm": "GOOGLE_SYMMETRIC_ENCRYPTION",
        "created_at": "2023-02-01T09:30:00Z",
        "primary_state": "ENABLED",
        "destroy_scheduled": False,
        "destroy_scheduled_days": 30,
        "rotation_applicable": True,
        "rotation_enabled": True,
        "rotation_period_days": 90,
        "next_rotation_time": "2024-05-01T00:00:00Z",
        "labels": {"team": "data"},
    }
    assert found["yearly"]["rotation_period_days"] == 365
    unrotated = found["unrotated"]
    assert unrotated["rotation_enabled"] is False and unrotated["rotation_period_days"] is None
    assert unrotated["next_rotation_time"] is None and unrotated["labels"] == {}
    signing = found["signing"]
    assert signing["rotation_applicable"] is False and signing["rotation_enabled"] is None
    assert signing["primary_state"] is None and signing["destroy_scheduled"] is None
    assert signing["protection_level"] == "HSM" and signing["algorithm"] == "EC_SIGN_P256_SHA256"
    doomed = found["doomed"]
    assert doomed["destroy_scheduled"] is True and doomed["primary_state"] == "DESTROY_SCHEDULED"
    assert all(not o.gaps for o in observations)
    assert set(counter.operations) == {
        "GET v1/projects/*/locations",
        "GET v1/projects/*/locations/*/keyRings",
        "GET v1/projects/*/locations/*/keyRings/*/cryptoKeys",
    }
    assert counter.operations["GET v1/projects/*/locations"] == 2  # four locations, pages of 2
    assert counter.operations["GET v1/projects/*/locations/*/keyRings"] == 5  # us-east1: 2 pages
    assert counter.operations["GET v1/projects/*/locations/*/keyRings/*/cryptoKeys"] == 5


def test_a_location_whose_key_rings_are_denied_is_noted(google: FakeGoogle) -> None:
    google.deny(r"/locations/europe-west1/keyRings$")
    notes: list[str] = []
    observations, _ = run_unit(KmsConnector, google, notes=notes)
    assert set(keys(observations)) == {"rotated", "yearly", "unrotated"}
    [note] = notes
    assert "europe-west1" in note and "PermissionDenied" in note


def test_denied_location_listing_fails_the_unit(google: FakeGoogle) -> None:
    google.deny(r"/v1/projects/acme-prod/locations$")
    with pytest.raises(Exception) as denied:
        run_unit(KmsConnector, google)
    assert isinstance(translate(denied.value), PermissionDenied)
