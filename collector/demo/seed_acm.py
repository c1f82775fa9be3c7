"""Demo seed: ACM certificates.

In eu-west-1 an imported legacy certificate with a 1024-bit RSA key, an imported certificate that
expires in 12 days, and a healthy imported EC certificate; the ELBv2 seed adds an Amazon-issued
certificate that is still pending validation.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

REGION = "eu-west-1"


def _self_signed(domain: str, key: Any, days: int) -> tuple[bytes, bytes]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509.oid import NameOID

    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=30))
        .not_valid_after(now + timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    private = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    return cert.public_bytes(serialization.Encoding.PEM), private


def seed() -> None:
    """Import demo certificates through the simulated endpoint ($AWS_ENDPOINT_URL)."""
    import boto3
    from cryptography.hazmat.primitives.asymmetric import ec, rsa

    acm = boto3.client("acm", region_name=REGION)
    weak = rsa.generate_private_key(public_exponent=65537, key_size=1024)  # noqa: S505 (on purpose)
    for domain, key, days in (
        ("legacy.example.org", weak, 300),
        ("billing.example.org", rsa.generate_private_key(public_exponent=65537, key_size=2048), 12),
        ("api.example.org", ec.generate_private_key(ec.SECP256R1()), 200),
    ):
        cert, private = _self_signed(domain, key, days)
        acm.import_certificate(
            Certificate=cert, PrivateKey=private, Tags=[{"Key": "owner", "Value": "platform"}]
        )
