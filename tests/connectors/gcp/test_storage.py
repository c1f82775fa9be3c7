"""Cloud Storage through google-cloud-storage against the fake Google server."""

from __future__ import annotations

import pytest

from annexa.connectors.errors import PermissionDenied
from annexa.connectors.gcp.errors import translate
from annexa.connectors.gcp.storage import StorageConnector
from tests.support.gcp import FakeGoogle, run_unit

KEY = "projects/acme-prod/locations/europe/keyRings/data/cryptoKeys/buckets"


def bucket(name: str, **fields) -> dict:
    return {
        "kind": "storage#bucket",
        "id": name,
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{name}",
        "projectNumber": "123456789012",
        "name": name,
        "timeCreated": "2023-03-01T12:00:00.000Z",
        "updated": "2023-03-01T12:00:00.000Z",
        "metageneration": "1",
        "location": "EU",
        "locationType": "multi-region",
        "storageClass": "STANDARD",
        "etag": "CAE=",
        "iamConfiguration": {
            "bucketPolicyOnly": {"enabled": False},
            "uniformBucketLevelAccess": {"enabled": False},
            "publicAccessPrevention": "inherited",
        },
        "softDeletePolicy": {
            "retentionDurationSeconds": "604800",
            "effectiveTime": "2024-03-01T00:00:00Z",
        },
        **fields,
    }


LOCKED_DOWN = {
    "bucketPolicyOnly": {"enabled": True, "lockedTime": "2023-06-01T00:00:00Z"},
    "uniformBucketLevelAccess": {"enabled": True, "lockedTime": "2023-06-01T00:00:00Z"},
    "publicAccessPrevention": "enforced",
}


def policy(*bindings: tuple[str, list[str]]) -> dict:
    return {
        "kind": "storage#policy",
        "resourceId": "projects/_/buckets/x",
        "version": 1,
        "etag": "CAE=",
        "bindings": [{"role": role, "members": members} for role, members in bindings],
    }


OWNERS = ("roles/storage.legacyBucketOwner", ["projectOwner:acme-prod"])


@pytest.fixture
def google():
    with FakeGoogle().running() as server:
        server.get(
            r"/storage/v1/b",
            (
                "items",
                [
                    bucket(
                        "acme-records",
                        iamConfiguration=LOCKED_DOWN,
                        encryption={"defaultKmsKeyName": KEY},
                        versioning={"enabled": True},
                        retentionPolicy={
                            "retentionPeriod": "31536000",
                            "effectiveTime": "2023-03-01T12:00:00Z",
                            "isLocked": True,
                        },
                        logging={"logBucket": "acme-logs", "logObjectPrefix": "records"},
                        labels={"data": "records"},
                    ),
                    bucket("acme-site"),
                    bucket("acme-shared"),
                    bucket("acme-logs", iamConfiguration=LOCKED_DOWN),
                    bucket("acme-scratch"),
                ],
            ),
        )
        server.get(
            r"/storage/v1/b/acme-site/iam",
            policy(OWNERS, ("roles/storage.objectViewer", ["allUsers", "user:web@acme.example"])),
        )
        server.get(
            r"/storage/v1/b/acme-shared/iam",
            policy(
                OWNERS,
                ("roles/storage.objectViewer", ["allAuthenticatedUsers"]),
                ("roles/storage.legacyBucketReader", ["allUsers"]),
            ),
        )
        server.get(r"/storage/v1/b/[a-z-]+/iam", policy(OWNERS))
        yield server


def buckets(observations) -> dict[str, dict]:
    assert all(o.kind == "gcp.storage.bucket" for o in observations)
    return {o.resource_id: o for o in observations}


def test_buckets_exposure_encryption_and_retention(google: FakeGoogle) -> None:
    observations, counter = run_unit(StorageConnector, google)
    found = buckets(observations)
    assert sorted(found) == [
        f"//storage.googleapis.com/buckets/acme-{n}"
        for n in ("logs", "records", "scratch", "shared", "site")
    ]
    records = found["//storage.googleapis.com/buckets/acme-records"]
    assert not records.gaps
    assert records.attributes == {
        "name": "acme-records",
        "location": "EU",
        "location_type": "multi-region",
        "storage_class": "STANDARD",
        "created_at": "2023-03-01T12:00:00Z",
        "uniform_bucket_level_access": True,
        "public_access_prevention": "enforced",
        "public_members": [],
        "default_kms_key": KEY,
        "cmek": True,
        "versioning": True,
        "retention_policy": {"period_days": 365, "locked": True},
        "soft_delete_days": 7,
        "logging_enabled": True,
        "log_bucket": "acme-logs",
        "labels": {"data": "records"},
    }
    site = found["//storage.googleapis.com/buckets/acme-site"].attributes
    assert site["public_members"] == [{"member": "allUsers", "role": "roles/storage.objectViewer"}]
    assert site["uniform_bucket_level_access"] is False
    assert site["public_access_prevention"] == "inherited"
    assert site["cmek"] is False and site["default_kms_key"] is None
    assert site["versioning"] is False and site["retention_policy"] is None
    assert site["logging_enabled"] is False and site["log_bucket"] is None
    shared = found["//storage.googleapis.com/buckets/acme-shared"].attributes
    assert shared["public_members"] == [
        {"member": "allAuthenticatedUsers", "role": "roles/storage.objectViewer"},
        {"member": "allUsers", "role": "roles/storage.legacyBucketReader"},
    ]
    assert counter.operations == {"GET storage/v1/b": 3, "GET storage/v1/b/*/iam": 5}
    iam_reads = [q for _, p, q in google.requests if p.endswith("/iam")]
    assert all("optionsRequestedPolicyVersion=3" in q for q in iam_reads)


def test_a_denied_iam_policy_is_a_gap_for_that_bucket_only(google: FakeGoogle) -> None:
    google.deny(r"/storage/v1/b/acme-site/iam$")
    observations, _ = run_unit(StorageConnector, google)
    found = buckets(observations)
    site = found["//storage.googleapis.com/buckets/acme-site"]
    assert "public_members" not in site.attributes
    assert "PermissionDenied" in site.gaps["public_members"]
    assert site.attributes["uniform_bucket_level_access"] is False  # the listing still counts
    others = [o for o in observations if o is not site]
    assert len(others) == 4 and all("public_members" in o.attributes for o in others)
    assert not any(o.gaps for o in others)
    assert found["//storage.googleapis.com/buckets/acme-shared"].attributes["public_members"]


def test_a_denied_bucket_listing_fails_the_unit(google: FakeGoogle) -> None:
    google.deny(r"/storage/v1/b$")
    with pytest.raises(Exception) as denied:
        run_unit(StorageConnector, google)
    assert isinstance(translate(denied.value), PermissionDenied)


def test_no_hidden_background_requests(google) -> None:
    """The storage library's tracing would GET every bucket again from a background thread;
    annexa's requests are exactly those it counts."""
    import time

    run_unit(StorageConnector, google)
    time.sleep(0.5)  # a background fetch would have arrived by now
    sent = [path for _, path, _ in google.requests if path != "/token"]
    assert sent.count("/storage/v1/b") == 3  # five buckets, pages of two
    assert all(path.endswith("/iam") for path in sent if path != "/storage/v1/b")
