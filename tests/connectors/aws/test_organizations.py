"""Organizations: the connector, and fan-out over member accounts through assumed roles."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from annexa.collector.cli import main
from annexa.connectors.aws.organizations import OrganizationsConnector
from annexa.connectors.aws.provider import AwsProvider, AwsTarget
from annexa.connectors.provider import RuntimeSettings
from annexa.store import Store
from tests.support.aws import ACCOUNT, by_id, client, run_unit


@pytest.fixture
def organization(moto: str) -> dict[str, str]:
    """An organization with two created member accounts, each holding one bucket of its own."""
    orgs = client(moto, "organizations")
    orgs.create_organization(FeatureSet="ALL")
    root = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root, PolicyType="SERVICE_CONTROL_POLICY")
    members = {}
    for name in ("prod", "staging"):
        status = orgs.create_account(
            AccountName=name,
            Email=f"{name}@example.com",
            Tags=[{"Key": "owner", "Value": "platform"}] if name == "prod" else [],
        )
        members[name] = status["CreateAccountStatus"]["AccountId"]
    sts = client(moto, "sts")
    for name, account in members.items():
        credentials = sts.assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/annexa-readonly", RoleSessionName="seed"
        )["Credentials"]
        import boto3
        from botocore.config import Config

        s3 = boto3.client(
            "s3",
            region_name="us-east-1",
            endpoint_url=moto,
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            config=Config(s3={"addressing_style": "path"}),
        )
        s3.create_bucket(Bucket=f"{name}-data-{account}")
    client(moto, "s3").create_bucket(Bucket="management-only")
    return {"endpoint": moto, **members}


def test_organization_from_the_management_account(organization: dict[str, str]) -> None:
    observations, _ = run_unit(OrganizationsConnector, organization["endpoint"], "global")
    [org] = by_id(observations, "aws.organizations.organization").values()
    assert (
        org.attributes["is_management_account"] is True
        and org.attributes["management_account"] == ACCOUNT
    )
    assert (
        org.attributes["feature_set"] == "ALL"
        and "SERVICE_CONTROL_POLICY" in org.attributes["enabled_policy_types"]
    )
    assert org.attributes["member_accounts"] == 3
    accounts = {
        o.attributes["account_id"]: o.attributes
        for o in by_id(observations, "aws.organizations.account").values()
    }
    assert set(accounts) == {ACCOUNT, organization["prod"], organization["staging"]}
    assert accounts[organization["prod"]]["tags"] == {"owner": "platform"}
    assert accounts[organization["staging"]]["name"] == "staging"


def test_not_in_an_organization_is_not_applicable(moto: str) -> None:
    from annexa.connectors.errors import NotApplicable

    with pytest.raises(NotApplicable):
        run_unit(OrganizationsConnector, moto, "global")


def test_expansion_into_member_targets(organization: dict[str, str]) -> None:
    target = AwsTarget(
        name="org",
        regions=("us-east-1",),
        endpoint_url=organization["endpoint"],
        organization=True,
        exclude_accounts=(organization["staging"],),
    )
    provider = AwsProvider()
    members = provider.expand(target, RuntimeSettings(max_attempts=1))
    assert [m.name for m in members] == sorted([f"org/{ACCOUNT}", f"org/{organization['prod']}"])
    prod = next(m for m in members if m.name.endswith(organization["prod"]))
    assert (
        prod.role_arn == f"arn:aws:iam::{organization['prod']}:role/annexa-readonly"
        and not prod.organization
    )
    session = provider.open_session(prod, RuntimeSettings(max_attempts=1))
    assert session.account == organization["prod"]
    assert [b["Name"] for b in session.client("s3").list_buckets()["Buckets"]] == [
        f"prod-data-{organization['prod']}"
    ]


def write_config(tmp_path: Path, endpoint: str) -> Path:
    path = tmp_path / "annexa.toml"
    path.write_text(
        f"""
[store]
url = "sqlite:///{tmp_path / "evidence.db"}"

[signing]
key_path = "annexa.key"

[collector]
max_attempts = 1

[[targets]]
name = "org"
provider = "aws"
regions = ["us-east-1", "eu-west-1"]
endpoint_url = "{endpoint}"
organization = true
member_role_name = "annexa-readonly"
connectors = ["aws.s3", "aws.kms", "aws.organizations"]
"""
    )
    return path


def test_fan_out_collects_each_account_and_a_failed_assumption_is_that_accounts_gap(
    organization: dict[str, str], proxy, tmp_path: Path
) -> None:
    staging = organization["staging"]
    proxy.deny(service="sts", operation="AssumeRole", body_contains=staging)
    config = write_config(tmp_path, proxy.url)
    result = CliRunner().invoke(main, ["collect", "--config", str(config), "--quiet"])
    assert result.exit_code == 1, result.output  # gaps: the staging account
    store = Store.open(f"sqlite:///{tmp_path / 'evidence.db'}")
    run = store.run()
    units = {u.unit_key: u for u in store.units(run.id)}
    assert len(units) == 3 * 4  # 3 accounts x (s3 + organizations + kms in 2 regions)
    for key, unit in units.items():
        if staging in key:
            assert unit.status == "denied" and "AssumeRole" in (unit.error_message or "")
            assert unit.account == staging
        else:
            assert unit.status in ("ok", "partial"), (key, unit.error_message)
    buckets = {f.resource_id: f.account for f in store.findings(run.id, kind="aws.s3.bucket")}
    assert buckets[f"arn:aws:s3:::prod-data-{organization['prod']}"] == organization["prod"]
    assert buckets["arn:aws:s3:::management-only"] == ACCOUNT
    assert not any(staging in bucket for bucket in buckets)
    store.close()


def test_discovery_failure_is_a_recorded_gap(
    organization: dict[str, str], proxy, tmp_path: Path
) -> None:
    proxy.deny(service="organizations", operation="ListAccounts")
    result = CliRunner().invoke(
        main, ["collect", "--config", str(write_config(tmp_path, proxy.url)), "--quiet"]
    )
    assert result.exit_code == 1
    store = Store.open(f"sqlite:///{tmp_path / 'evidence.db'}")
    [unit] = store.units(store.run().id)
    assert unit.unit_key == "org/discovery/accounts" and unit.status == "denied"
    assert "ListAccounts" in unit.error_message
    store.close()
