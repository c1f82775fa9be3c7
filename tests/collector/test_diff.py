"""`annexa diff`: every section on runs written through the real writer (SQLite and PostgreSQL),
the default choice of runs, prefixes, formats, exit codes, and the merge's own guarantees."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from annexa.collector.cli import main
from annexa.collector.diff import EvaluationChange, ResourceChange, UnitChange, diff_runs, sides
from annexa.collector.history import choose_runs, compute_diff
from annexa.store import Signer, Store
from annexa.store.history import KeyedEvaluation, ObservedResource
from tests.support.diffruns import ACCOUNT, Res, begin, write

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
S3, IAM, KMS = "t/aws.s3/global", "t/aws.iam/global", "t/aws.kms/eu-west-1"
CONFIG, TRAIL = "t/aws.config/eu-west-1", "t/aws.cloudtrail/eu-west-1"
VERSIONING, NOT_PUBLIC = "aws.s3.bucket.versioning", "aws.s3.bucket.not-public"
MFA, ROTATION = "aws.iam.user.console-mfa", "aws.kms.key.rotation"
RECORDING = "aws.config.recorder.recording"
BUCKET, USER, KEY = "aws.s3.bucket", "aws.iam.user", "aws.kms.key"


def bucket(name: str, **outcomes: str) -> Res:
    rules = {f"aws.s3.bucket.{rule.replace('_', '-')}": status for rule, status in outcomes.items()}
    return Res(1, BUCKET, f"arn:aws:s3:::{name}", "us-east-1", rules)


def user(name: str, status: str) -> Res:
    return Res(2, USER, f"arn:aws:iam::{ACCOUNT}:user/{name}", "global", {MFA: status})


def key(name: str, status: str) -> Res:
    return Res(
        3, KEY, f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/{name}", "eu-west-1", {ROTATION: status}
    )


BEFORE = (
    [(S3, "ok"), (IAM, "ok"), (KMS, "ok"), (CONFIG, "denied")],
    [
        bucket("a", versioning="pass", not_public="pass"),
        bucket("b", versioning="fail", not_public="pass"),
        bucket("c", versioning="fail"),
        user("alice", "fail"),
        user("bob", "fail"),
        user("carol", "pass"),
        user("dave", "error"),
        key("k1", "fail"),
        key("k2", "pass"),
    ],
)
AFTER = (
    [(S3, "ok"), (IAM, "partial"), (KMS, "denied"), (CONFIG, "ok"), (TRAIL, "error")],
    [
        bucket("a", versioning="pass", not_public="fail"),
        bucket("b", versioning="fail", not_public="pass"),
        bucket("d", versioning="fail"),
        user("alice", "pass"),
        user("bob", "fail"),
        user("carol", "error"),
        user("dave", "pass"),
        Res(4, "aws.config.recorder", "recorder/default", "eu-west-1", {RECORDING: "fail"}),
    ],
)


def write_pair(store: Store, signer: Signer) -> tuple[str, str]:
    first = write(store, signer, T0, BEFORE[0], BEFORE[1])
    second = write(store, signer, T0 + timedelta(days=1), AFTER[0], AFTER[1])
    return first.run_id, second.run_id


def change(
    rule: str,
    kind: str,
    resource_id: str,
    region: str,
    before: str | None,
    after: str,
    new: bool | None = False,
) -> EvaluationChange:
    return EvaluationChange(
        rule,
        "aws",
        ACCOUNT,
        region,
        kind,
        resource_id,
        before,
        after,
        f"{rule} is {after}",
        ("A.8.9",),
        "medium",
        new,
    )


def resource(kind: str, resource_id: str, region: str, unit: str, status: str) -> ResourceChange:
    return ResourceChange("aws", ACCOUNT, region, kind, resource_id, unit, status)


@pytest.fixture
def signer(tmp_path: Path) -> Signer:
    return Signer.load_or_create(tmp_path / "keys" / "annexa.key")


def test_every_section(store_url: str, signer: Signer) -> None:
    store = Store.open(store_url)
    first, second = write_pair(store, signer)
    before, after = choose_runs(store, None, None)
    assert (before.id, after.id) == (first, second)
    result = compute_diff(store, before, after)
    store.close()

    user_arn = f"arn:aws:iam::{ACCOUNT}:user/"
    key_arn = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/"
    # Resource order: provider, account, region (eu-west-1 < global < us-east-1), kind, id.
    assert result.new_failures == [
        change(
            RECORDING, "aws.config.recorder", "recorder/default", "eu-west-1", None, "fail", None
        ),
        change(NOT_PUBLIC, BUCKET, "arn:aws:s3:::a", "us-east-1", "pass", "fail"),
        change(VERSIONING, BUCKET, "arn:aws:s3:::d", "us-east-1", None, "fail", True),
    ]
    assert result.fixed == [change(MFA, USER, user_arn + "alice", "global", "fail", "pass")]
    assert result.still_failing == 2  # bucket b's versioning, bob's MFA
    assert result.new_resources == [resource(BUCKET, "arn:aws:s3:::d", "us-east-1", S3, "ok")]
    assert result.removed_resources == [resource(BUCKET, "arn:aws:s3:::c", "us-east-1", S3, "ok")]
    assert result.new_gap_units == [
        UnitChange(KMS, "ok", "denied", "denied: no access"),
        UnitChange(TRAIL, None, "error", "error: no access"),
    ]
    assert result.new_gap_evaluations == [
        change(MFA, USER, user_arn + "carol", "global", "pass", "error")
    ]
    # The denied KMS unit hid its keys: they are gaps, not removals, and k1's failure is not fixed.
    assert result.unobservable_resources == [
        resource(KEY, key_arn + "k1", "eu-west-1", KMS, "denied"),
        resource(KEY, key_arn + "k2", "eu-west-1", KMS, "denied"),
    ]
    assert result.closed_gap_units == [UnitChange(CONFIG, "denied", "ok", None)]
    assert result.closed_gap_evaluations == [
        change(MFA, USER, user_arn + "dave", "global", "error", "pass")
    ]
    assert result.observable_resources == [
        resource("aws.config.recorder", "recorder/default", "eu-west-1", CONFIG, "denied")
    ]
    assert result.has_new


def cli(store_url: str, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["diff", "--store", store_url, *args])
    return result.exit_code, result.output


@pytest.fixture
def sqlite_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.chdir(tmp_path)  # no ./annexa.toml: --store alone is enough
    return f"sqlite:///{tmp_path / 'evidence.db'}"


def test_json_shape_and_default_runs(sqlite_store: str, signer: Signer) -> None:
    store = Store.open(sqlite_store)
    first, second = write_pair(store, signer)
    begin(store, signer, T0 + timedelta(days=2))  # never closed: not a candidate
    store.close()

    code, output = cli(sqlite_store, "--format", "json")
    assert code == 0, output
    document = json.loads(output)
    assert list(document) == [
        "from",
        "to",
        "summary",
        "new_failures",
        "fixed",
        "new_resources",
        "removed_resources",
        "new_gaps",
        "closed_gaps",
    ]
    assert document["from"] == {
        "run": first,
        "status": "complete",
        "started_at": "2026-03-02T09:00:00.000000Z",
        "finished_at": "2026-03-02T09:00:00.000000Z",
    }
    assert document["to"]["run"] == second
    assert document["summary"] == {
        "new_failures": 3,
        "fixed": 1,
        "still_failing": 2,
        "new_resources": 1,
        "removed_resources": 1,
        "new_gap_units": 2,
        "new_gap_evaluations": 1,
        "unobservable_resources": 2,
        "closed_gap_units": 1,
        "closed_gap_evaluations": 1,
        "observable_resources": 1,
    }
    assert document["new_failures"][2] == {
        "rule_id": VERSIONING,
        "provider": "aws",
        "account": ACCOUNT,
        "region": "us-east-1",
        "kind": BUCKET,
        "resource_id": "arn:aws:s3:::d",
        "before": None,
        "after": "fail",
        "reason": f"{VERSIONING} is fail",
        "controls": ["A.8.9"],
        "severity": "medium",
        "new_resource": True,
    }
    assert [f["new_resource"] for f in document["new_failures"]] == [None, False, True]
    assert "new_resource" not in document["fixed"][0]
    assert document["removed_resources"] == [
        {
            "provider": "aws",
            "account": ACCOUNT,
            "region": "us-east-1",
            "kind": BUCKET,
            "resource_id": "arn:aws:s3:::c",
            "unit_key": S3,
            "unit_status": "ok",
        }
    ]
    gaps = document["new_gaps"]
    assert [u["unit_key"] for u in gaps["units"]] == [KMS, TRAIL]
    assert [r["resource_id"].rsplit("/", 1)[1] for r in gaps["resources"]] == ["k1", "k2"]
    assert {r["unit_status"] for r in gaps["resources"]} == {"denied"}
    assert document["closed_gaps"]["units"] == [
        {"unit_key": CONFIG, "before": "denied", "after": "ok", "error": None}
    ]


def test_prefixes_and_explicit_runs(sqlite_store: str, signer: Signer) -> None:
    store = Store.open(sqlite_store)
    first, second = write_pair(store, signer)
    third = write(store, signer, T0 + timedelta(days=2), AFTER[0], AFTER[1]).run_id
    store.close()

    def runs(*args: str) -> tuple[str, str]:
        code, output = cli(sqlite_store, "--format", "json", *args)
        assert code == 0, output
        document = json.loads(output)
        return document["from"]["run"], document["to"]["run"]

    assert runs() == (second, third)
    assert runs("--to", second[:8]) == (first, second)
    assert runs("--from", first[:8]) == (first, third)
    assert runs("--from", third[:6], "--to", first[:6]) == (third, first)

    code, output = cli(sqlite_store, "--fail-on-new")
    assert code == 0, output  # second and third are identical
    assert "0 new failures, 0 fixed, 5 still failing; 0 new resources, 0 removed;" in output
    code, output = cli(sqlite_store, "--from", first[:8], "--to", second[:8], "--fail-on-new")
    assert code == 1
    assert "New failures (3)" in output and "Removed resources (1)" in output
    assert "New gaps: resources no longer observable (2)" in output

    code, output = cli(sqlite_store, "--from", second, "--to", second)
    assert code == 2 and "--from and --to are the same run" in output
    code, output = cli(sqlite_store, "--from", "zzzz")
    assert code == 3 and "no single run matches 'zzzz'" in output


def test_csv_rows(sqlite_store: str, signer: Signer) -> None:
    store = Store.open(sqlite_store)
    write_pair(store, signer)
    store.close()
    code, output = cli(sqlite_store, "--format", "csv")
    assert code == 0, output
    rows = list(csv.DictReader(io.StringIO(output)))
    assert [r["section"] for r in rows] == [
        "new_failure",
        "new_failure",
        "new_failure",
        "fixed",
        "new_resource",
        "removed_resource",
        "new_gap_unit",
        "new_gap_unit",
        "new_gap_evaluation",
        "unobservable",
        "unobservable",
        "closed_gap_unit",
        "closed_gap_evaluation",
        "observable",
    ]
    assert [r["new_resource"] for r in rows[:4]] == ["unknown", "no", "yes", ""]
    assert rows[1]["resource_id"] == "arn:aws:s3:::a" and rows[1]["controls"] == "A.8.9"
    assert rows[6] | {"detail": ""} == dict.fromkeys(rows[6], "") | {
        "section": "new_gap_unit",
        "unit_key": KMS,
        "before": "ok",
        "after": "denied",
    }
    assert rows[9]["detail"] == f"unit {KMS}: denied in the later run"


def test_needs_two_runs(sqlite_store: str, signer: Signer) -> None:
    code, output = cli(sqlite_store)
    assert code == 3 and "holds no finished run yet" in output
    store = Store.open(sqlite_store)
    only = write(store, signer, T0, BEFORE[0], []).run_id
    running = begin(store, signer, T0 + timedelta(hours=1)).run_id
    store.close()
    code, output = cli(sqlite_store)
    assert code == 3 and f"no finished run before {only}" in output
    code, output = cli(sqlite_store, "--from", running[:8], "--to", only[:8])
    assert code == 3 and "was never closed" in output


def test_unit_not_collected_again_hides_rather_than_removes(signer: Signer, tmp_path: Path) -> None:
    """A run limited to one connector says nothing about the others' resources."""
    store = Store.open(f"sqlite:///{tmp_path / 'e.db'}")
    write(store, signer, T0, [(S3, "ok"), (IAM, "ok")], [bucket("a"), user("bob", "fail")])
    write(store, signer, T0 + timedelta(hours=1), [(S3, "ok")], [bucket("a")])
    before, after = choose_runs(store, None, None)
    result = compute_diff(store, before, after)
    store.close()
    assert result.removed_resources == [] and result.fixed == []
    assert result.unobservable_resources == [
        resource(USER, f"arn:aws:iam::{ACCOUNT}:user/bob", "global", IAM, "not collected")
    ]


def keyed(resource_id: str, rule: str, status: str) -> KeyedEvaluation:
    return KeyedEvaluation(
        ("aws", ACCOUNT, "global", USER, resource_id), rule, status, "", (), "low"
    )


def seen(resource_id: str, unit: int = 1) -> ObservedResource:
    return ObservedResource(("aws", ACCOUNT, "global", USER, resource_id), unit)


def test_repeated_observations_keep_the_worst_outcome() -> None:
    [side] = sides(
        [seen("u"), seen("u", unit=2)],
        [keyed("u", MFA, "pass"), keyed("u", MFA, "fail"), keyed("u", MFA, "error")],
    )
    assert side.unit_seq == 1 and side.evaluations[MFA].status == "fail"


def test_streams_out_of_order_are_refused() -> None:
    with pytest.raises(ValueError, match="resources are not in key order"):
        list(sides([seen("b"), seen("a")], []))
    with pytest.raises(ValueError, match="evaluations are not in key order"):
        list(sides([seen("a")], [keyed("a", "z", "pass"), keyed("a", "b", "pass")]))


def test_merge_streams_lazily() -> None:
    """The merge pulls rows as it goes: a million-row side is never held."""
    pulled = []

    def resources(n: int):
        for index in range(n):
            pulled.append(index)
            yield seen(f"user-{index:07d}")

    def evaluations(n: int):
        for index in range(n):
            yield keyed(f"user-{index:07d}", MFA, "fail" if index == 5 else "pass")

    groups = sides(resources(1_000_000), evaluations(1_000_000))
    for _ in range(3):
        next(groups)
    assert len(pulled) <= 4
    pulled.clear()
    result = diff_runs(
        [],
        [],
        (resources(200_000), evaluations(200_000)),
        (resources(200_000), evaluations(200_000)),
    )
    assert result.still_failing == 1 and result.summary()["new_failures"] == 0


def ids(entries: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(e["kind"], e["resource_id"]) for e in entries]


def test_two_collections_against_moto(proxy, tmp_path: Path) -> None:
    """Between two `annexa collect` runs a bucket goes public, a user and a bucket are deleted,
    a bucket appears and KMS starts refusing: each lands in its section, the keys as gaps."""
    from tests.collector.test_collect_e2e import CORE, write_config
    from tests.support.aws import client

    iam, s3 = client(proxy.url, "iam"), client(proxy.url, "s3")
    for name in ("alice", "bob"):
        iam.create_user(UserName=name)
    for name in ("site", "old-logs"):
        s3.create_bucket(Bucket=name)
    key_id = client(proxy.url, "kms").create_key()["KeyMetadata"]["Arn"]
    config = write_config(tmp_path, proxy.url, regions='"us-east-1"')
    text = config.read_text().replace(
        json.dumps(CORE), json.dumps(["aws.iam", "aws.s3", "aws.kms"])
    )
    config.write_text(text)

    def collect() -> None:
        result = CliRunner().invoke(main, ["collect", "--config", str(config), "--quiet"])
        assert result.exit_code in (0, 1), result.output

    collect()
    iam.delete_user(UserName="bob")
    s3.delete_bucket(Bucket="old-logs")
    s3.create_bucket(Bucket="new-data")
    public = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": "arn:aws:s3:::site/*",
            }
        ],
    }
    s3.put_bucket_policy(Bucket="site", Policy=json.dumps(public))
    proxy.deny(service="kms")
    collect()

    result = CliRunner().invoke(
        main, ["diff", "--config", str(config), "--format", "json", "--fail-on-new"]
    )
    assert result.exit_code == 1, result.output
    document = json.loads(result.output)
    assert ids(document["new_resources"]) == [("aws.s3.bucket", "arn:aws:s3:::new-data")]
    assert ids(document["removed_resources"]) == [
        ("aws.iam.user", f"arn:aws:iam::{ACCOUNT}:user/bob"),
        ("aws.s3.bucket", "arn:aws:s3:::old-logs"),
    ]
    assert [(u["unit_key"], u["before"], u["after"]) for u in document["new_gaps"]["units"]] == [
        ("acme/aws.kms/us-east-1", "ok", "denied")
    ]
    assert ids(document["new_gaps"]["resources"]) == [("aws.kms.key", key_id)]
    site = [f for f in document["new_failures"] if f["resource_id"] == "arn:aws:s3:::site"]
    assert [(f["rule_id"], f["before"], f["new_resource"]) for f in site] == [
        ("aws.s3.bucket.not-public", "pass", False)
    ]
    fresh = {f["rule_id"] for f in document["new_failures"] if "new-data" in f["resource_id"]}
    assert "aws.s3.bucket.versioning" in fresh
    assert {f["resource_id"] for f in document["new_failures"]} == {
        "arn:aws:s3:::site",
        "arn:aws:s3:::new-data",
    }
    assert document["fixed"] == [] and document["closed_gaps"]["units"] == []
