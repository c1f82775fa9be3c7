"""ACM: certificates with their status, validity, key algorithm, renewal and use, per region.

ListCertificates returns only RSA_2048 certificates unless other key types are asked for, so every
key type is requested: a weak RSA_1024 certificate must not drop out of the evidence. Days to
expiry are computed against the observation time. Only metadata is read, never a certificate
body or a private key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from annexa.connectors.aws.common import iso, paginate
from annexa.connectors.base import Connector, Kind, UnitContext
from annexa.connectors.records import Observation

CERTIFICATE = Kind(
    "aws.acm.certificate",
    "An ACM certificate: status, validity, key strength, renewal and what uses it",
    {
        "domain": "DomainName",
        "alternative_names": "SubjectAlternativeNames",
        "status": "ISSUED, PENDING_VALIDATION, EXPIRED, REVOKED, FAILED, ...",
        "type": "AMAZON_ISSUED, IMPORTED or PRIVATE",
        "issuer": "Issuer",
        "key_algorithm": "KeyAlgorithm, normalised (RSA_2048, EC_prime256v1, ...)",
        "key_bits": "key size in bits (RSA modulus or EC curve size; null: unknown)",
        "signature_algorithm": "SignatureAlgorithm",
        "not_before": "NotBefore (null: not issued)",
        "not_after": "NotAfter (null: not issued)",
        "days_to_expiry": "whole days from observation to NotAfter, negative once expired",
        "in_use_by": "number of AWS resources using the certificate (InUseBy)",
        "renewal_eligibility": "ELIGIBLE or INELIGIBLE for managed renewal",
        "renewal_status": "RenewalSummary.RenewalStatus (null: no renewal in progress)",
    },
)

KEY_TYPES = (
    "RSA_1024",
    "RSA_2048",
    "RSA_3072",
    "RSA_4096",
    "EC_prime256v1",
    "EC_secp384r1",
    "EC_secp521r1",
)
CURVE_BITS = {"prime256v1": 256, "secp384r1": 384, "secp521r1": 521}
DETAIL_FIELDS = tuple(name for name in CERTIFICATE.attributes if name != "days_to_expiry")


def normalise_algorithm(value: str | None) -> str | None:
    """DescribeCertificate has been seen answering ``RSA-2048`` where the enum says ``RSA_2048``."""
    return value.replace("-", "_", 1) if value else None


def key_bits(algorithm: str | None) -> int | None:
    if not algorithm:
        return None
    family, _, size = algorithm.partition("_")
    if family == "RSA" and re.fullmatch(r"\d+", size):
        return int(size)
    return CURVE_BITS.get(size) if family == "EC" else None


def days_to_expiry(not_after: datetime | None, now: datetime) -> int | None:
    """Whole days left (floor), so a certificate that expired an hour ago has -1."""
    if not_after is None:
        return None
    return (not_after - now).days


def transform_certificate(detail: dict[str, Any]) -> dict[str, Any]:
    algorithm = normalise_algorithm(detail.get("KeyAlgorithm"))
    return {
        "domain": detail.get("DomainName"),
        "alternative_names": sorted(detail.get("SubjectAlternativeNames") or []),
        "status": detail.get("Status"),
        "type": detail.get("Type"),
        "issuer": detail.get("Issuer"),
        "key_algorithm": algorithm,
        "key_bits": key_bits(algorithm),
        "signature_algorithm": detail.get("SignatureAlgorithm"),
        "not_before": iso(detail.get("NotBefore")),
        "not_after": iso(detail.get("NotAfter")),
        "in_use_by": len(detail.get("InUseBy") or []),
        "renewal_eligibility": detail.get("RenewalEligibility"),
        "renewal_status": (detail.get("RenewalSummary") or {}).get("RenewalStatus"),
    }


class AcmConnector(Connector):
    name = "aws.acm"
    provider = "aws"
    description = "ACM certificates: status, expiry, key strength, renewal and use, per region"
    regional = True
    kinds = (CERTIFICATE,)
    permissions = ("acm:ListCertificates", "acm:DescribeCertificate")

    def collect(self, ctx: UnitContext) -> Iterator[Observation]:
        acm = ctx.session.client("acm", ctx.scope.region)
        summaries = list(
            paginate(
                acm,
                "list_certificates",
                "CertificateSummaryList",
                Includes={"keyTypes": list(KEY_TYPES)},
            )
        )
        yield from ctx.map(lambda summary: _certificate(ctx, acm, summary), summaries)


def _certificate(ctx: UnitContext, acm: Any, summary: dict[str, Any]) -> Observation:
    arn = summary["CertificateArn"]
    reads = ctx.reads("acm:ListCertificates")
    not_after: list[datetime | None] = []

    def describe() -> dict[str, Any]:
        detail = acm.describe_certificate(CertificateArn=arn)["Certificate"]
        not_after.append(detail.get("NotAfter"))
        return transform_certificate(detail)

    reads.read_many(DETAIL_FIELDS, describe)
    reads.derive("days_to_expiry", ["not_after"], lambda: days_to_expiry(not_after[0], ctx.now()))
    return ctx.observe("aws.acm.certificate", arn, reads)
