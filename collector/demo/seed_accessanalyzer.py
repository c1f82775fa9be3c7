"""Demo seed: IAM Access Analyzer (nothing to seed).

moto, which simulates the demo account, has no Access Analyzer: it answers every call with
HTTP 500, so no analyzer can be created. The demo therefore shows the aws.accessanalyzer units
in eu-west-1 and us-east-1 as errors, evidence gaps for A.5.15 and A.8.3, exactly as an
unreachable API would in a real account. This module exists so that the family has its seed
when the simulator learns the service: create an ACCOUNT analyzer in eu-west-1 here then.
"""

from __future__ import annotations

REGION = "eu-west-1"


def seed() -> None:
    """Nothing to seed: the simulated endpoint does not implement Access Analyzer."""
