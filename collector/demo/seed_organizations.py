"""Demo seed: the demo account is the management account of a small organization.

Service control policies are enabled on the root; a production account carries an owner tag, a
sandbox account created in a hurry does not.
"""

from __future__ import annotations


def seed() -> None:
    """Create the organization and two member accounts through the simulated endpoint."""
    import boto3

    org = boto3.client("organizations", region_name="us-east-1")
    org.create_organization(FeatureSet="ALL")
    root = org.list_roots()["Roots"][0]["Id"]
    org.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    org.create_account(
        AccountName="production",
        Email="aws-production@example.com",
        Tags=[{"Key": "owner", "Value": "platform-team"}],
    )
    org.create_account(AccountName="sandbox", Email="aws-sandbox@example.com")
