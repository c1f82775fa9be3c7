"""ACM through boto3 against moto over HTTP; real AWS's list filter and shapes via Stubber.

moto 5.2.5 returns every key type from ListCertificates even without a filter, while real AWS
returns only RSA_2048 certificates unless ``Includes.keyTypes`` asks for more; moto also refuses
to import an expired certificate. Both are covered with ``botocore.stub.Stubber``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.stub import Stubber
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from annexa.connectors.aws.acm import KEY_TYPES, AcmConnector, days_to_expiry, key_bits
from tests.support.aws import ACCOUNT, by_id, client, open_session, run_unit


def self_signed(domain: str, key, days: int) -> tuple[bytes, bytes]:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), pem_key


def imported(acm, domain: str, key, days: int) -> str:
    cert, private = self_signed(domain, key, days)
    return acm.import_certificate(Certificate=cert, PrivateKey=private)["CertificateArn"]


@pytest.fixture
def estate(moto: str) -> dict[str, str]:
    acm = client(moto, "acm", "us-east-1")
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    strong = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "endpoint": moto,
        "weak": imported(acm, "legacy.example.com", weak, 400),
        "expiring": imported(acm, "soon.example.com", strong, 10),
        "ec": imported(acm, "ec.example.com", ec.generate_private_key(ec.SECP256R1()), 200),
        "requested": acm.request_certificate(
            DomainName="shop.example.com", SubjectAlternativeNames=["www.shop.example.com"]
        )["CertificateArn"],
    }


def test_certificates(estate: dict[str, str]) -> None:
    session = open_session(estate["endpoint"])
    us, _ = run_unit(AcmConnector, estate["endpoint"], "us-east-1", session)
    eu, _ = run_unit(AcmConnector, estate["endpoint"], "eu-west-1", session)
    assert eu == []
    certs = {arn: o.attributes for arn, o in by_id(us, "aws.acm.certificate").items()}
    assert set(certs) == {estate[k] for k in ("weak", "expiring", "ec", "requested")}

    weak = certs[estate["weak"]]
    assert weak["domain"] == "legacy.example.com" and weak["type"] == "IMPORTED"
    assert weak["status"] == "ISSUED" and weak["key_algorithm"] == "RSA_1024"
    assert weak["key_bits"] == 1024 and weak["days_to_expiry"] == 399
    assert weak["in_use_by"] == 0 and weak["not_after"]

    assert certs[estate["expiring"]]["days_to_expiry"] == 9
    assert certs[estate["expiring"]]["key_bits"] == 2048
    ec_cert = certs[estate["ec"]]
    assert ec_cert["key_algorithm"] == "EC_prime256v1" and ec_cert["key_bits"] == 256

    requested = certs[estate["requested"]]
    assert requested["type"] == "AMAZON_ISSUED" and requested["status"] == "PENDING_VALIDATION"
    assert requested["alternative_names"] == ["shop.example.com", "www.shop.example.com"]
    assert requested["renewal_eligibility"] == "INELIGIBLE"


def test_real_aws_listing_filter_and_expired_certificate(moto: str) -> None:
    """Real AWS lists only RSA_2048 without Includes.keyTypes, so every key type is asked for;
    moto ignores the filter and refuses expired imports. Real AWS's shapes, stubbed."""
    arn = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/old"
    not_after = datetime.now(UTC) - timedelta(days=2, hours=1)
    session = open_session(moto)
    acm = session.client("acm", "us-east-1")
    with Stubber(acm) as stub:
        stub.add_response(
            "list_certificates",
            {"CertificateSummaryList": [{"CertificateArn": arn}]},
            {"Includes": {"keyTypes": list(KEY_TYPES)}},
        )
        stub.add_response(
            "describe_certificate",
            {
                "Certificate": {
                    "CertificateArn": arn,
                    "DomainName": "old.example",
                    "Status": "EXPIRED",
                    "Type": "IMPORTED",
                    "KeyAlgorithm": "RSA-1024",
                    "NotAfter": not_after,
                    "InUseBy": ["arn:1", "arn:2"],
                    "RenewalEligibility": "INELIGIBLE",
                }
            },
            {"CertificateArn": arn},
        )
        observations, _ = run_unit(AcmConnector, moto, "us-east-1", session)
        stub.assert_no_pending_responses()
    [cert] = observations
    assert cert.attributes["status"] == "EXPIRED" and cert.attributes["days_to_expiry"] == -3
    assert cert.attributes["key_algorithm"] == "RSA_1024" and cert.attributes["key_bits"] == 1024
    assert cert.attributes["in_use_by"] == 2 and not cert.gaps


def test_key_bits_and_days() -> None:
    assert [key_bits(a) for a in ("RSA_4096", "EC_secp384r1", "EC_secp521r1", None)] == [
        4096,
        384,
        521,
        None,
    ]
    now = datetime.now(UTC)
    assert days_to_expiry(now + timedelta(days=30, hours=1), now) == 30
    assert days_to_expiry(now - timedelta(hours=1), now) == -1
    assert days_to_expiry(None, now) is None


def test_denied_describe_is_a_gap(estate: dict[str, str], proxy) -> None:
    proxy.deny(service="acm", operation="DescribeCertificate")
    observations, _ = run_unit(AcmConnector, proxy.url, "us-east-1")
    assert len(observations) == 4
    for obs in observations:
        assert "PermissionDenied" in obs.gaps["status"]
        assert "days_to_expiry" in obs.gaps and not obs.attributes


def test_denied_listing_is_a_denied_unit(estate: dict[str, str], proxy) -> None:
    proxy.deny(service="acm", operation="ListCertificates")
    with pytest.raises(Exception, match="AccessDenied"):
        run_unit(AcmConnector, proxy.url, "us-east-1")
