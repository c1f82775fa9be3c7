"""`annexa collect` end to end: boto3 over HTTP to moto, two regions, the store, the CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from annexa.collector.cli import main
from annexa.collector.demo import seed
from annexa.store import Store
from tests.support.aws import client

SECRETS = (
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzSECRETKEY",  # 40 characters, as AWS issues them
    "AKIAZZZZZZZZZZZZZZZZ",
    "hunter2-very-secret",
    "Tr0ub4dor-and-3",
)


# The foundation's connectors: these tests pin them so that adding a family changes no count.
CORE = ["aws.iam", "aws.s3", "aws.cloudtrail", "aws.config", "aws.kms", "aws.organizations"]


def write_config(
    tmp_path: Path,
    endpoint: str,
    store_url: str | None = None,
    regions: str = '"eu-west-1", "us-east-1"',
) -> Path:
    path = tmp_path / "annexa.toml"
    path.write_text(
        f"""
[store]
url = "{store_url or "sqlite:///" + str(tmp_path / "evidence.db")}"

[signing]
key_path = "annexa.key"

[collector]
max_workers = 4
max_attempts = 1

[[targets]]
name = "acme"
provider = "aws"
regions = [{regions}]
endpoint_url = "{endpoint}"
connectors = {json.dumps(CORE)}
"""
    )
    return path


def cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


@pytest.fixture
def estate(moto: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("AWS_ENDPOINT_URL", moto)
    seed()
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    return moto


def units(config: Path) -> dict[str, tuple[str, str | None]]:
    store = Store.open(f"sqlite:///{config.parent / 'evidence.db'}")
    run = store.run()
    found = {u.unit_key: (u.status, u.error_message) for u in store.units(run.id)}
    store.close()
    return found


def status_json(config: Path) -> dict[str, dict]:
    code, output = cli("status", "--config", str(config), "--format", "json")
    assert code == 0, output
    return {c["control"]: c for c in json.loads(output)["controls"]}


def test_collect_two_regions_and_read_it_back(estate: str, tmp_path: Path) -> None:
    config = write_config(tmp_path, estate)
    code, output = cli("collect", "--config", str(config), "--quiet")
    assert code == 0, output
    assert "complete: 9 units" in output and "Signed at chain position 1" in output

    found = units(config)
    assert set(found) == {
        "acme/aws.iam/global",
        "acme/aws.s3/global",
        "acme/aws.cloudtrail/eu-west-1",
        "acme/aws.cloudtrail/us-east-1",
        "acme/aws.config/eu-west-1",
        "acme/aws.config/us-east-1",
        "acme/aws.kms/eu-west-1",
        "acme/aws.kms/us-east-1",
        "acme/aws.organizations/global",
    }
    assert found["acme/aws.kms/eu-west-1"][0] == "ok"
    assert found["acme/aws.organizations/global"][0] == "ok"
    # moto lacks DescribeDeliveryChannelStatus: that attribute is a recorded gap, the unit partial.
    assert found["acme/aws.config/us-east-1"][0] == "partial"
    assert "DescribeDeliveryChannelStatus" in found["acme/aws.config/us-east-1"][1]

    controls = status_json(config)
    assert controls["A.8.24"]["fail"] > 0 and controls["A.8.24"]["pass"] > 0
    assert controls["A.8.9"]["gap"] >= 1  # the unreadable delivery status
    assert "A.5.1" not in controls  # manual, no rules: only with --all

    code, output = cli(
        "findings",
        "--config",
        str(config),
        "--status",
        "fail",
        "--control",
        "A.8.5",
        "--format",
        "json",
    )
    rows = json.loads(output)
    assert (
        code == 0 and rows and all(r["status"] == "fail" and "A.8.5" in r["controls"] for r in rows)
    )
    assert {"arn:aws:iam::123456789012:user/bob", "arn:aws:iam::123456789012:root"} <= {
        r["resource_id"] for r in rows
    }

    code, output = cli(
        "findings", "--config", str(config), "--kind", "aws.kms.key", "--format", "csv"
    )
    lines = output.strip().splitlines()
    assert lines[0].startswith("status,rule_id,kind,resource_id") and all(
        ",aws.kms.key," in line for line in lines[1:]
    )
    assert any(",eu-west-1," in line for line in lines) and any(
        ",us-east-1," in line for line in lines
    )

    code, output = cli("findings", "--config", str(config), "--status", "fail")
    assert (
        code == 0 and "rule_id" in output and "aws.s3.bucket.not-public" in output.replace("\n", "")
    )

    code, output = cli("verify", "--config", str(config))
    assert code == 0 and "OK: 1 run(s)" in output

    code, output = cli("collect", "--config", str(config), "--quiet", "--connector", "aws.kms")
    assert code == 0 and "complete: 2 units" in output and "chain position 2" in output
    code, output = cli("verify", "--config", str(config))
    assert code == 0 and "OK: 2 run(s)" in output


def test_access_denied_on_one_service(estate: str, proxy, tmp_path: Path) -> None:
    proxy.deny(service="s3")  # S3 and the account-level S3 Control API
    config = write_config(tmp_path, proxy.url)
    code, output = cli("collect", "--config", str(config), "--quiet")
    assert code == 1, output  # the run completed, with an evidence gap
    found = units(config)
    assert found["acme/aws.s3/global"][0] == "denied"
    assert "PermissionDenied [AccessDenied]" in found["acme/aws.s3/global"][1]
    assert all(
        status in ("ok", "partial")
        for key, (status, _) in found.items()
        if key != "acme/aws.s3/global"
    )

    code, output = cli(
        "findings", "--config", str(config), "--kind", "aws.s3.bucket", "--format", "json"
    )
    assert json.loads(output) == []  # nothing observed, so nothing can pass
    controls = status_json(config)
    assert controls["A.8.3"]["gap"] >= 1 and any(
        "aws.s3/global: denied" in r for r in controls["A.8.3"]["gap_reasons"]
    )
    assert controls["A.8.3"]["status"] != "pass"

    code, output = cli("units", "--config", str(config), "--status", "denied", "--format", "json")
    assert code == 0, output
    [denied] = json.loads(output)
    assert denied["unit"] == "acme/aws.s3/global" and denied["api_calls"] >= 1
    assert denied["error"].startswith("PermissionDenied [AccessDenied] in ListBuckets")
    code, output = cli("units", "--config", str(config), "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(output)))
    assert {r["unit"] for r in rows} == set(found)
    assert all(int(r["api_calls"]) > 0 for r in rows if r["status"] == "ok")


def test_access_denied_in_one_region(estate: str, proxy, tmp_path: Path) -> None:
    # Like a region-deny SCP that exempts STS: every regional read in eu-west-1 is refused.
    for service in ("cloudtrail", "config", "kms", "s3"):
        proxy.deny(service=service, region="eu-west-1")
    config = write_config(tmp_path, proxy.url, regions='"us-east-1", "eu-west-1"')
    code, _ = cli("collect", "--config", str(config), "--quiet")
    assert code == 1
    found = units(config)
    for family in ("cloudtrail", "config", "kms"):
        assert found[f"acme/aws.{family}/eu-west-1"][0] == "denied"
        assert found[f"acme/aws.{family}/us-east-1"][0] in ("ok", "partial")
    # Buckets in eu-west-1 are read through that region: their attributes are gaps, not passes.
    assert found["acme/aws.s3/global"][0] == "partial"
    code, output = cli(
        "findings", "--config", str(config), "--kind", "aws.s3.bucket", "--format", "json"
    )
    eu = [r for r in json.loads(output) if r["region"] == "eu-west-1"]
    assert eu and all(r["status"] == "error" for r in eu)
    assert all("evidence gap" in r["reason"] for r in eu)


def test_planted_secrets_never_reach_the_store(estate: str, tmp_path: Path) -> None:
    s3 = client(estate, "s3")
    s3.put_bucket_tagging(
        Bucket="acme-ml-datasets",
        Tagging={
            "TagSet": [
                {"Key": "db_password", "Value": SECRETS[2]},
                {"Key": "note", "Value": f"rotate {SECRETS[1]} / {SECRETS[0]}"},
            ]
        },
    )
    kms = client(estate, "kms", "eu-west-1")
    kms.create_key(
        Description=f"legacy: password={SECRETS[3]}",
        Tags=[{"TagKey": "aws_secret", "TagValue": SECRETS[0]}],
    )
    config = write_config(tmp_path, estate)
    code, output = cli("collect", "--config", str(config), "--quiet")
    assert code == 0, output
    code, findings = cli("findings", "--config", str(config), "--format", "json")
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("evidence.db*"))
    assert stored, "the database files exist"
    for secret in SECRETS:
        assert secret.encode() not in stored, f"{secret} reached the database"
        assert secret not in output and secret not in findings
    assert b"[REDACTED:secret-key-name]" in stored and b"[REDACTED:aws-access-key-id]" in stored


def test_collect_on_postgresql(estate: str, tmp_path: Path, postgres_url: str) -> None:
    config = write_config(tmp_path, estate, store_url=postgres_url)
    code, output = cli(
        "collect",
        "--config",
        str(config),
        "--quiet",
        "--connector",
        "aws.iam",
        "--connector",
        "aws.kms",
    )
    assert code == 0, output
    code, output = cli("status", "--config", str(config))
    assert code == 0 and "A.8.24" in output
    code, output = cli("verify", "--config", str(config))
    assert code == 0 and "OK: 1 run(s)" in output


def test_read_commands(tmp_path: Path) -> None:
    code, output = cli("controls", "--format", "json")
    controls = json.loads(output)
    assert code == 0 and len(controls) == 93
    assert next(c for c in controls if c["id"] == "A.8.24")["rules"] > 0
    code, output = cli("controls", "--automation", "automated")
    assert code == 0 and "A.8.15" in output and "A.6.1" not in output
    code, output = cli("connectors", "--format", "json")
    data = json.loads(output)
    assert (
        code == 0
        and data["broken"] == []
        and {c["name"] for c in data["connectors"]} >= {"aws.iam", "aws.kms"}
    )
    code, output = cli("connectors")
    assert code == 0 and "iam:GetCredentialReport" in output
    code, output = cli("policy", "aws")
    assert code == 0 and json.loads(output)["Statement"][0]["Effect"] == "Allow"
    code, output = cli("status", "--store", f"sqlite:///{tmp_path / 'empty.db'}")
    assert code == 3 and "no finished run yet" in output


def test_sigterm_mid_run_signs_an_interrupted_run(estate: str, proxy, tmp_path: Path) -> None:
    """A real SIGTERM to `annexa collect`: running units stop, the rest are interrupted, and
    what was collected is signed and verifies."""
    import signal
    import subprocess
    import sys
    import time

    proxy.slow(0.3, service="kms")  # keeps the KMS units busy long enough to be interrupted
    config = write_config(tmp_path, proxy.url)
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from annexa.collector.cli import main; main()",
            "collect",
            "--config",
            str(config),
            "--quiet",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while not any(s.service == "kms" for s in proxy.seen) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 1, out + err
    assert "SIGTERM: stopping after the running units" in err
    assert "interrupted" in out
    store = Store.open(f"sqlite:///{tmp_path / 'evidence.db'}")
    run = store.run()
    assert run.status == "interrupted" and run.chain_position == 1
    statuses = {u.unit_key: u.status for u in store.units(run.id)}
    assert len(statuses) == 9 and "interrupted" in statuses.values()
    assert "ok" not in {statuses[k] for k in statuses if "kms" in k}
    store.close()
    code, output = cli("verify", "--config", str(config))
    assert code == 0, output
