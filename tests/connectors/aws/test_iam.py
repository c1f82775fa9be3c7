"""IAM through boto3 against moto over HTTP; real-AWS shapes moto lacks through Stubber."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.stub import Stubber

from annexa.connectors.aws.iam import (
    IamConnector,
    get_root_report,
    mask_key_id,
    transform_root_row,
)
from tests.support.aws import ACCOUNT, by_id, client, open_session, run_unit

ADMIN = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)
SCOPED = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:List*", "Resource": "*"}],
    }
)


def backdate(user: str, days: int) -> None:
    """moto stamps 'now'; age a user's keys in the moto backend (same process)."""
    from moto.iam.models import iam_backends

    for key in iam_backends[ACCOUNT]["global"].users[user].access_keys:
        key.create_date = datetime.now(UTC) - timedelta(days=days)


@pytest.fixture
def estate(moto: str) -> str:
    iam = client(moto, "iam")
    admin_arn = iam.create_policy(PolicyName="FullAdmin", PolicyDocument=ADMIN)["Policy"]["Arn"]
    scoped_arn = iam.create_policy(PolicyName="Scoped", PolicyDocument=SCOPED)["Policy"]["Arn"]
    iam.create_group(GroupName="admins")
    iam.attach_group_policy(GroupName="admins", PolicyArn=admin_arn)

    iam.create_user(UserName="mfa-user")
    iam.create_login_profile(UserName="mfa-user", Password="A-long-Passw0rd!")
    serial = iam.create_virtual_mfa_device(VirtualMFADeviceName="mfa-user")["VirtualMFADevice"][
        "SerialNumber"
    ]
    iam.enable_mfa_device(
        UserName="mfa-user",
        SerialNumber=serial,
        AuthenticationCode1="123456",
        AuthenticationCode2="654321",
    )
    iam.add_user_to_group(GroupName="admins", UserName="mfa-user")

    iam.create_user(UserName="no-mfa-admin")
    iam.create_login_profile(UserName="no-mfa-admin", Password="A-long-Passw0rd!")
    iam.attach_user_policy(UserName="no-mfa-admin", PolicyArn=admin_arn)
    iam.put_user_policy(UserName="no-mfa-admin", PolicyName="inline-admin", PolicyDocument=ADMIN)
    iam.create_access_key(UserName="no-mfa-admin")
    backdate("no-mfa-admin", 200)

    iam.create_user(UserName="robot")
    iam.attach_user_policy(UserName="robot", PolicyArn=scoped_arn)
    iam.create_access_key(UserName="robot")
    iam.update_account_password_policy(MinimumPasswordLength=16, PasswordReusePrevention=24)
    return moto


def test_users_mfa_keys_and_admin_grants(estate: str) -> None:
    observations, counter = run_unit(IamConnector, estate, "global")
    users = by_id(observations, "aws.iam.user")
    mfa = users[f"arn:aws:iam::{ACCOUNT}:user/mfa-user"].attributes
    assert mfa["console_access"] is True and mfa["mfa_active"] is True and mfa["mfa_devices"] == 1
    assert mfa["admin_policies"] == [] and mfa["admin_via_groups"] == ["admins"]

    admin = users[f"arn:aws:iam::{ACCOUNT}:user/no-mfa-admin"].attributes
    assert admin["console_access"] is True and admin["mfa_active"] is False
    assert sorted(admin["admin_policies"]) == ["FullAdmin", "inline-admin"]
    assert admin["attached_policies"][0]["name"] == "FullAdmin"
    assert admin["inline_policies"] == ["inline-admin"]
    [key] = admin["access_keys"]
    assert key["status"] == "Active" and key["age_days"] == 200 and key["last_used_at"] is None
    assert key["key_id"].startswith("AKIA") and "…" in key["key_id"] and len(key["key_id"]) == 9

    robot = users[f"arn:aws:iam::{ACCOUNT}:user/robot"].attributes
    assert robot["console_access"] is False and robot["admin_policies"] == []
    assert robot["active_access_keys"] == 1 and robot["days_since_last_activity"] == 0
    assert all(not o.gaps for o in users.values())
    assert "iam:ListMFADevices" in users[f"arn:aws:iam::{ACCOUNT}:user/robot"].source
    assert counter.requests > 0


def test_password_policy_and_root(estate: str) -> None:
    observations, _ = run_unit(IamConnector, estate, "global")
    [policy] = by_id(observations, "aws.iam.password_policy").values()
    assert policy.attributes["configured"] is True
    assert policy.attributes["minimum_length"] == 16 and policy.attributes["reuse_prevention"] == 24
    [root] = by_id(observations, "aws.iam.root").values()
    assert root.resource_id == f"arn:aws:iam::{ACCOUNT}:root"
    assert (
        root.attributes["mfa_active"] is False and root.attributes["access_keys_present"] is False
    )
    # moto's credential report has no <root_account> row: a named gap, never a guess.
    assert (
        "days_since_last_use" in root.gaps
        and "no <root_account> row" in root.gaps["days_since_last_use"]
    )


def test_no_password_policy_is_recorded_as_not_configured(moto: str) -> None:
    observations, _ = run_unit(IamConnector, moto, "global")
    [policy] = by_id(observations, "aws.iam.password_policy").values()
    assert policy.attributes["configured"] is False and policy.attributes["minimum_length"] is None


def test_root_row_of_a_real_credential_report(moto: str) -> None:
    """Real AWS always has the root row; moto never does, so this shape is stubbed."""
    session = open_session(moto)
    iam = session.client("iam")
    report = (
        "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
        "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
        "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
        "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
        "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,"
        "cert_1_last_rotated,cert_2_active,cert_2_last_rotated\n"
        "<root_account>,arn:aws:iam::123456789012:root,2019-01-01T00:00:00+00:00,not_supported,"
        "2026-11-20T08:00:00+00:00,not_supported,not_supported,true,true,2020-01-01T00:00:00+00:00,"
        "2026-11-01T00:00:00+00:00,us-east-1,s3,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"
    )
    generated = datetime(2026, 11, 22, tzinfo=UTC)
    with Stubber(iam) as stub:
        stub.add_response("generate_credential_report", {"State": "COMPLETE"})
        stub.add_response(
            "get_credential_report",
            {"Content": report.encode(), "ReportFormat": "text/csv", "GeneratedTime": generated},
        )
        found = get_root_report(iam, datetime(2026, 11, 23, tzinfo=UTC))
    assert found["report_generated_at"] == "2026-11-22T00:00:00.000000Z"
    assert found["access_key_1_active"] is True and found["access_key_2_active"] is False
    assert found["days_since_last_use"] == 2  # 2 days 16 hours, counted in whole days
    assert found["password_last_used"] == "2026-11-20T08:00:00.000000Z"


def test_root_row_never_used() -> None:
    row = {
        "password_last_used": "no_information",
        "access_key_1_last_used_date": "N/A",
        "access_key_2_last_used_date": "N/A",
    }
    assert transform_root_row(row, datetime.now(UTC))["days_since_last_use"] is None


def test_mask_key_id_keeps_no_credential() -> None:
    assert mask_key_id("AKIAIOSFODNN7EXAMPLE") == "AKIA…MPLE"


def test_access_denied_on_iam_is_a_unit_error(proxy) -> None:
    proxy.deny(service="iam")
    from annexa.connectors.aws.errors import translate

    with pytest.raises(Exception) as raised:
        run_unit(IamConnector, proxy.url, "global")
    error = translate(raised.value)
    assert error is not None and error.status == "denied"


def test_denied_mfa_listing_becomes_a_gap_on_that_attribute(estate: str, proxy) -> None:
    proxy.deny(service="iam", operation="ListMFADevices")
    observations, _ = run_unit(IamConnector, proxy.url, "global")
    user = by_id(observations, "aws.iam.user")[f"arn:aws:iam::{ACCOUNT}:user/robot"]
    assert "mfa_active" not in user.attributes
    assert "PermissionDenied [AccessDenied]" in user.gaps["mfa_active"]
    assert user.attributes["console_access"] is False
