"""Pass and fail examples for the ACM rules."""

CERT = {"domain": "shop.example.com", "not_after": "2030-01-01T00:00:00Z"}

EXAMPLES: dict[str, tuple[dict, dict]] = {
    "aws.acm.certificate.not-expiring": (
        {**CERT, "days_to_expiry": 200, "renewal_eligibility": "ELIGIBLE", "status": "ISSUED"},
        {**CERT, "days_to_expiry": -3, "renewal_eligibility": "INELIGIBLE", "status": "EXPIRED"},
    ),
    "aws.acm.certificate.issued": (
        {**CERT, "status": "ISSUED"},
        {**CERT, "status": "PENDING_VALIDATION"},
    ),
    "aws.acm.certificate.rsa-key-size": (
        {**CERT, "key_algorithm": "RSA_2048", "key_bits": 2048},
        {**CERT, "key_algorithm": "RSA_1024", "key_bits": 1024},
    ),
}
