"""RDS instances and clusters through boto3 against moto over HTTP, in two regions.

moto 5.2.5 differs from AWS where it matters here: it reports ``PubliclyAccessible`` (false) on
Aurora clusters, which AWS does not (the connector ignores it for Aurora engines), but leaves it
out of Aurora member instances created without it, where AWS always reports it; it always
reports ``AutoMinorVersionUpgrade`` on clusters, invents ``KmsKeyId`` "default_kms_key_id" and
never sends ``StorageEncryptionType``. Real AWS's shapes are therefore tested with Stubber:
Marker paging with MaxRecords 100, Aurora clusters without ``PubliclyAccessible`` or
``AutoMinorVersionUpgrade``, an Aurora cluster encrypted with an AWS owned key
(``StorageEncrypted`` false, ``StorageEncryptionType`` sse-rds), a DocumentDB instance, read
replicas of an instance in another region and of a cluster, and an instance whose answer lacks
``PubliclyAccessible`` (a gap).
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.stub import Stubber

from annexa.collector.runner import check_observation
from annexa.connectors.aws.provider import AwsProvider
from annexa.connectors.aws.rds import RdsConnector, transform_cluster, transform_instance
from annexa.connectors.base import UnitContext, Unreadable
from annexa.connectors.errors import PermissionDenied
from annexa.connectors.records import Observation, Scope
from annexa.mappings.engine import RuleEngine
from annexa.mappings.rules import load_rules
from tests.support.aws import ACCOUNT, by_id, client, open_session, run_unit

OPERATIONS = {"rds:DescribeDBInstances": 1, "rds:DescribeDBClusters": 1}
PASSWORD = "not-a-real-password"  # moto's fake database
INHERITED = ("storage-encrypted", "backup-retention", "deletion-protection", "iam-authentication")


def db_arn(region: str, name: str) -> str:
    return f"arn:aws:rds:{region}:{ACCOUNT}:db:{name}"


def cluster_arn(region: str, name: str) -> str:
    return f"arn:aws:rds:{region}:{ACCOUNT}:cluster:{name}"


def make_instance(rds: Any, name: str, engine: str = "postgres", **settings: Any) -> None:
    rds.create_db_instance(
        DBInstanceIdentifier=name,
        Engine=engine,
        DBInstanceClass="db.t3.micro",
        AllocatedStorage=20,
        MasterUsername="admin_user",
        MasterUserPassword=PASSWORD,
        **settings,
    )


@pytest.fixture
def estate(moto: str) -> None:
    """us-east-1: a locked-down postgres, a public unencrypted mysql and its read replica;
    eu-west-1: an Aurora PostgreSQL cluster with one member and a public Multi-AZ DB cluster."""
    us = client(moto, "rds", "us-east-1")
    make_instance(
        us,
        "orders",
        StorageEncrypted=True,
        BackupRetentionPeriod=7,
        DeletionProtection=True,
        EnableIAMDatabaseAuthentication=True,
        PubliclyAccessible=False,
        MultiAZ=True,
        Tags=[{"Key": "team", "Value": "payments"}],
    )
    make_instance(
        us,
        "legacy",
        engine="mysql",
        BackupRetentionPeriod=1,
        PubliclyAccessible=True,
        AutoMinorVersionUpgrade=False,
    )
    us.create_db_instance_read_replica(
        DBInstanceIdentifier="legacy-replica", SourceDBInstanceIdentifier="legacy"
    )

    eu = client(moto, "rds", "eu-west-1")
    eu.create_db_cluster(
        DBClusterIdentifier="ledger",
        Engine="aurora-postgresql",
        MasterUsername="admin_user",
        MasterUserPassword=PASSWORD,
        StorageEncrypted=True,
        BackupRetentionPeriod=14,
        DeletionProtection=True,
        EnableIAMDatabaseAuthentication=True,
        Tags=[{"Key": "env", "Value": "prod"}],
    )
    eu.create_db_instance(
        DBInstanceIdentifier="ledger-1",
        Engine="aurora-postgresql",
        DBInstanceClass="db.r6g.large",
        DBClusterIdentifier="ledger",
    )
    eu.create_db_cluster(
        DBClusterIdentifier="reports",
        Engine="postgres",
        DBClusterInstanceClass="db.m6gd.large",
        AllocatedStorage=100,
        StorageType="io1",
        Iops=1000,
        MasterUsername="admin_user",
        MasterUserPassword=PASSWORD,
        PubliclyAccessible=True,
        BackupRetentionPeriod=3,
    )


def evaluate(observation: Observation) -> dict[str, tuple[str, str]]:
    engine = RuleEngine([r for r in load_rules() if r.kind == observation.kind])
    return {e.rule_id: (e.status, e.reason) for e in engine.evaluate(observation)}


def statuses(observation: Observation) -> dict[str, str]:
    prefix = f"{observation.kind}."
    return {rid.removeprefix(prefix): s for rid, (s, _) in evaluate(observation).items()}


def test_standalone_instances(moto: str, estate: None) -> None:
    observations, _ = run_unit(RdsConnector, moto, "us-east-1")
    instances = by_id(observations, "aws.rds.instance")
    assert set(instances) == {
        db_arn("us-east-1", n) for n in ("orders", "legacy", "legacy-replica")
    }
    assert by_id(observations, "aws.rds.cluster") == {}

    orders = instances[db_arn("us-east-1", "orders")]
    attributes = orders.attributes
    assert {k: attributes[k] for k in ("identifier", "engine", "instance_class", "status")} == {
        "identifier": "orders",
        "engine": "postgres",
        "instance_class": "db.t3.micro",
        "status": "available",
    }
    assert attributes["cluster_identifier"] is None and attributes["replica_source"] is None
    assert attributes["storage_encrypted"] is True and attributes["kms_key_id"]
    assert attributes["publicly_accessible"] is False and attributes["multi_az"] is True
    assert attributes["backup_retention_days"] == 7
    assert attributes["deletion_protection"] is True and attributes["iam_auth_enabled"] is True
    assert attributes["auto_minor_version_upgrade"] is True
    assert attributes["tags"] == {"team": "payments"}
    assert orders.source == ("rds:DescribeDBInstances",) and orders.gaps == {}
    assert set(statuses(orders).values()) == {"pass"} and len(statuses(orders)) == 6

    legacy = instances[db_arn("us-east-1", "legacy")]
    assert legacy.attributes["storage_encrypted"] is False
    assert legacy.attributes["kms_key_id"] is None
    assert legacy.attributes["publicly_accessible"] is True
    assert legacy.attributes["backup_retention_days"] == 1
    verdicts = evaluate(legacy)
    assert {rid: s for rid, (s, _) in verdicts.items()} == {
        f"aws.rds.instance.{slug}": "fail"
        for slug in (*INHERITED, "not-publicly-accessible", "auto-minor-version-upgrade")
    }
    status, reason = verdicts["aws.rds.instance.backup-retention"]
    assert reason == "legacy keeps automated backups for 1 day(s) (0: off; minimum 7)"
    assert verdicts["aws.rds.instance.not-publicly-accessible"][1].startswith(
        "legacy (mysql) is publicly accessible"
    )

    replica = instances[db_arn("us-east-1", "legacy-replica")]
    assert replica.attributes["replica_source"] == "legacy"
    status, reason = evaluate(replica)["aws.rds.instance.backup-retention"]
    assert (status, reason) == (
        "not_applicable",
        "legacy-replica is backed up through its replication source legacy",
    )
    assert statuses(replica)["deletion-protection"] == "fail"


def test_aurora_cluster_and_member(moto: str, estate: None) -> None:
    observations, _ = run_unit(RdsConnector, moto, "eu-west-1")
    clusters = by_id(observations, "aws.rds.cluster")
    assert set(clusters) == {cluster_arn("eu-west-1", n) for n in ("ledger", "reports")}

    ledger = clusters[cluster_arn("eu-west-1", "ledger")]
    assert ledger.attributes["engine"] == "aurora-postgresql"
    assert ledger.attributes["members"] == [{"identifier": "ledger-1", "writer": True}]
    assert ledger.attributes["storage_encrypted"] is True
    assert ledger.attributes["backup_retention_days"] == 14
    assert ledger.attributes["deletion_protection"] is True
    assert ledger.attributes["iam_auth_enabled"] is True
    assert ledger.attributes["publicly_accessible"] is None  # moto's false is not Aurora's
    assert ledger.attributes["tags"] == {"env": "prod"}
    assert ledger.source == ("rds:DescribeDBClusters",)
    verdicts = evaluate(ledger)
    assert verdicts["aws.rds.cluster.not-publicly-accessible"][0] == "not_applicable"
    assert {rid for rid, (s, _) in verdicts.items() if s == "pass"} == {
        f"aws.rds.cluster.{slug}" for slug in (*INHERITED, "auto-minor-version-upgrade")
    }

    [member] = by_id(observations, "aws.rds.instance").values()
    assert member.resource_id == db_arn("eu-west-1", "ledger-1")
    assert member.attributes["cluster_identifier"] == "ledger"
    member_statuses = statuses(member)
    assert {slug: member_statuses[slug] for slug in INHERITED} == dict.fromkeys(
        INHERITED, "not_applicable"
    )
    # moto leaves PubliclyAccessible out of an Aurora member created without it (AWS always
    # reports it: see the Stubber test), and a missing setting is a gap, never a pass
    assert member.gaps == {"publicly_accessible": "PubliclyAccessible not reported"}
    assert member_statuses["not-publicly-accessible"] == "error"
    assert member_statuses["auto-minor-version-upgrade"] == "pass"
    _, reason = evaluate(member)["aws.rds.instance.iam-authentication"]
    assert reason == "ledger-1 (aurora-postgresql): IAM authentication is set on its cluster ledger"

    reports = clusters[cluster_arn("eu-west-1", "reports")]
    assert reports.attributes["engine"] == "postgres" and reports.attributes["members"] == []
    assert reports.attributes["publicly_accessible"] is True
    report_statuses = statuses(reports)
    assert report_statuses["not-publicly-accessible"] == "fail"
    assert report_statuses["storage-encrypted"] == "fail"
    assert report_statuses["backup-retention"] == "fail"
    assert report_statuses["iam-authentication"] == "fail"


def test_regions_are_separate_and_calls_do_not_grow(moto: str, estate: None) -> None:
    """Two listings per region, however many instances and clusters there are."""
    session = open_session(moto)
    us, us_counter = run_unit(RdsConnector, moto, "us-east-1", session)
    eu, eu_counter = run_unit(RdsConnector, moto, "eu-west-1", session)
    assert len(us) == 3 and len(eu) == 3
    assert all(o.scope.region == "us-east-1" for o in us)
    assert all(o.scope.region == "eu-west-1" for o in eu)
    for counter in (us_counter, eu_counter):
        assert dict(counter.operations) == OPERATIONS and counter.requests == 2

    rds = client(moto, "rds", "us-east-1")
    for index in range(12):
        make_instance(rds, f"more-{index}")
    more, counter = run_unit(RdsConnector, moto, "us-east-1", session)
    assert len(more) == 15
    assert dict(counter.operations) == OPERATIONS and counter.requests == 2


def collect(session: Any, region: str) -> tuple[list[Observation], list[str]]:
    """One unit with its notes (run_unit does not return them), sequentially so that Stubber
    answers in order."""
    ctx = UnitContext(
        run_id="test-run",
        unit_id=f"test/aws.rds/{region}",
        scope=Scope("aws", ACCOUNT, region),
        session=session,
        translate=AwsProvider().translate_error,
    )
    observations = list(RdsConnector().collect(ctx))
    for obs in observations:
        check_observation(RdsConnector, obs)
    return observations, ctx.notes


def test_denied_clusters_leave_instances(estate: None, proxy: Any) -> None:
    proxy.deny(service="rds", operation="DescribeDBClusters")
    observations, notes = collect(open_session(proxy.url), "eu-west-1")
    assert [o.resource_id for o in observations] == [db_arn("eu-west-1", "ledger-1")]
    assert len(notes) == 1 and notes[0].startswith("RDS DB clusters not listed:")
    assert "PermissionDenied" in notes[0]
    # The member's inherited rules stay not applicable: they are judged on the cluster, whose
    # listing failed and is reported on the unit, not passed here.
    assert statuses(observations[0])["storage-encrypted"] == "not_applicable"

    proxy.deny(service="rds", operation="DescribeDBInstances")
    with pytest.raises(PermissionDenied) as denied:
        collect(open_session(proxy.url), "eu-west-1")
    assert "DescribeDBInstances" in denied.value.describe()  # the first listing's error


def test_denied_instances_leave_clusters(estate: None, proxy: Any) -> None:
    proxy.deny(service="rds", operation="DescribeDBInstances")
    observations, notes = collect(open_session(proxy.url), "eu-west-1")
    assert {o.kind for o in observations} == {"aws.rds.cluster"} and len(observations) == 2
    assert len(notes) == 1 and notes[0].startswith("RDS DB instances not listed:")
    rds_calls = [s.operation for s in proxy.seen if s.service == "rds"]
    assert rds_calls == ["DescribeDBInstances", "DescribeDBClusters"]


KEY = "arn:aws:kms:eu-west-1:123456789012:key/0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"
INSTANCE_PAGE_ONE = {
    "DBInstances": [
        {
            "DBInstanceIdentifier": "docs",
            "DBInstanceArn": db_arn("eu-west-1", "docs"),
            "DBInstanceClass": "db.r6g.large",
            "Engine": "docdb",
            "EngineVersion": "5.0.0",
            "DBInstanceStatus": "available",
            "DBClusterIdentifier": "docs-cluster",
            "StorageEncrypted": True,
            "KmsKeyId": KEY,
            "PubliclyAccessible": False,
            "BackupRetentionPeriod": 1,
            "AutoMinorVersionUpgrade": True,
            "MultiAZ": False,
            "CACertificateIdentifier": "rds-ca-rsa2048-g1",
            "TagList": [],
        }
    ],
    "Marker": "page-2",
}
AURORA_MEMBER = {
    "DBInstanceIdentifier": "ledger-b",
    "DBInstanceArn": db_arn("eu-west-1", "ledger-b"),
    "DBInstanceClass": "db.r7g.large",
    "Engine": "aurora-mysql",
    "EngineVersion": "8.0.mysql_aurora.3.05.2",
    "DBInstanceStatus": "available",
    "DBClusterIdentifier": "ledger",
    "StorageEncrypted": True,
    "KmsKeyId": KEY,
    "PubliclyAccessible": True,
    "BackupRetentionPeriod": 1,
    "DeletionProtection": False,
    "IAMDatabaseAuthenticationEnabled": False,
    "AutoMinorVersionUpgrade": True,
    "MultiAZ": False,
    "CACertificateIdentifier": "rds-ca-rsa2048-g1",
    "TagList": [{"Key": "env", "Value": "prod"}],
}
INSTANCE_PAGE_TWO = {
    "DBInstances": [
        {  # a cross-region read replica names its source by ARN; no KmsKeyId, no TagList
            "DBInstanceIdentifier": "orders-dr",
            "DBInstanceArn": db_arn("eu-west-1", "orders-dr"),
            "DBInstanceClass": "db.m7g.large",
            "Engine": "postgres",
            "EngineVersion": "16.3",
            "DBInstanceStatus": "available",
            "ReadReplicaSourceDBInstanceIdentifier": db_arn("us-east-1", "orders"),
            "StorageEncrypted": False,
            "PubliclyAccessible": False,
            "BackupRetentionPeriod": 0,
            "DeletionProtection": False,
            "IAMDatabaseAuthenticationEnabled": False,
            "AutoMinorVersionUpgrade": False,
            "MultiAZ": False,
        },
        {  # a read replica of a Multi-AZ DB cluster, its accessibility left out of the answer
            "DBInstanceIdentifier": "reports-ro",
            "DBInstanceArn": db_arn("eu-west-1", "reports-ro"),
            "DBInstanceClass": "db.m7g.large",
            "Engine": "mysql",
            "ReadReplicaSourceDBClusterIdentifier": "reports",
            "StorageEncrypted": True,
            "KmsKeyId": KEY,
            "BackupRetentionPeriod": 0,
            "AutoMinorVersionUpgrade": True,
        },
        AURORA_MEMBER,
    ]
}
CLUSTERS = {
    "DBClusters": [
        {  # Aurora reports neither PubliclyAccessible nor (here) AutoMinorVersionUpgrade
            "DBClusterIdentifier": "ledger",
            "DBClusterArn": cluster_arn("eu-west-1", "ledger"),
            "Engine": "aurora-mysql",
            "EngineVersion": "8.0.mysql_aurora.3.05.2",
            "Status": "available",
            "StorageEncrypted": True,
            "StorageEncryptionType": "sse-kms",
            "KmsKeyId": KEY,
            "BackupRetentionPeriod": 1,
            "DeletionProtection": False,
            "IAMDatabaseAuthenticationEnabled": False,
            "DBClusterMembers": [
                {"DBInstanceIdentifier": "ledger-a", "IsClusterWriter": True},
                {"DBInstanceIdentifier": "ledger-b", "IsClusterWriter": False},
            ],
            "TagList": [{"Key": "env", "Value": "prod"}],
        },
        {
            "DBClusterIdentifier": "docs-cluster",
            "DBClusterArn": cluster_arn("eu-west-1", "docs-cluster"),
            "Engine": "docdb",
            "Status": "available",
            "StorageEncrypted": True,
            "BackupRetentionPeriod": 7,
            "DeletionProtection": True,
            "DBClusterMembers": [{"DBInstanceIdentifier": "docs", "IsClusterWriter": True}],
        },
        {  # new Aurora clusters are encrypted with an AWS owned key unless told otherwise
            "DBClusterIdentifier": "events",
            "DBClusterArn": cluster_arn("eu-west-1", "events"),
            "Engine": "aurora-postgresql",
            "EngineVersion": "17.5",
            "Status": "available",
            "StorageEncrypted": False,
            "StorageEncryptionType": "sse-rds",
            "BackupRetentionPeriod": 7,
            "DeletionProtection": True,
            "IAMDatabaseAuthenticationEnabled": True,
            "AutoMinorVersionUpgrade": True,
            "DBClusterMembers": [],
        },
    ]
}


def test_paging_and_real_aws_shapes(moto: str) -> None:
    """Through Stubber, since moto adds fields AWS leaves out and drops ones AWS sends: Marker
    paging with MaxRecords 100, Aurora clusters without PubliclyAccessible or
    AutoMinorVersionUpgrade, one encrypted with an AWS owned key (sse-rds), DocumentDB, replicas
    of a remote instance and of a cluster, and a publicly accessible Aurora member."""
    session = open_session(moto)
    rds = session.client("rds", "eu-west-1")
    with Stubber(rds) as stub:
        stub.add_response("describe_db_instances", INSTANCE_PAGE_ONE, {"MaxRecords": 100})
        stub.add_response(
            "describe_db_instances", INSTANCE_PAGE_TWO, {"MaxRecords": 100, "Marker": "page-2"}
        )
        stub.add_response("describe_db_clusters", CLUSTERS, {"MaxRecords": 100})
        observations, notes = collect(session, "eu-west-1")
        stub.assert_no_pending_responses()
    assert notes == []
    instances = by_id(observations, "aws.rds.instance")
    names = ("docs", "orders-dr", "reports-ro", "ledger-b")
    assert list(instances) == [db_arn("eu-west-1", n) for n in names]

    docs = instances[db_arn("eu-west-1", "docs")]
    assert docs.attributes["ca_certificate"] == "rds-ca-rsa2048-g1"
    assert docs.attributes["iam_auth_enabled"] is False
    assert statuses(docs)["iam-authentication"] == "not_applicable"

    remote = instances[db_arn("eu-west-1", "orders-dr")]
    assert remote.attributes["replica_source"] == db_arn("us-east-1", "orders")
    assert remote.attributes["kms_key_id"] is None and remote.attributes["tags"] == {}
    assert statuses(remote) == {
        "storage-encrypted": "fail",
        "not-publicly-accessible": "pass",
        "backup-retention": "not_applicable",
        "deletion-protection": "fail",
        "iam-authentication": "fail",
        "auto-minor-version-upgrade": "fail",
    }
    from_cluster = instances[db_arn("eu-west-1", "reports-ro")]
    assert from_cluster.attributes["replica_source"] == "reports"
    assert from_cluster.attributes["engine_version"] is None
    assert from_cluster.attributes["deletion_protection"] is False
    assert "publicly_accessible" not in from_cluster.attributes  # a gap, never a pass
    assert from_cluster.gaps == {"publicly_accessible": "PubliclyAccessible not reported"}
    status, reason = evaluate(from_cluster)["aws.rds.instance.not-publicly-accessible"]
    assert status == "error" and "PubliclyAccessible not reported" in reason

    member = instances[db_arn("eu-west-1", "ledger-b")]
    assert member.attributes["publicly_accessible"] is True
    assert member.attributes["cluster_identifier"] == "ledger"
    assert statuses(member) == {
        **dict.fromkeys(INHERITED, "not_applicable"),
        "not-publicly-accessible": "fail",  # the one Aurora setting that is the instance's
        "auto-minor-version-upgrade": "pass",
    }

    clusters = by_id(observations, "aws.rds.cluster")
    ledger = clusters[cluster_arn("eu-west-1", "ledger")]
    assert ledger.attributes["publicly_accessible"] is None
    assert ledger.attributes["auto_minor_version_upgrade"] is None
    assert ledger.attributes["members"] == [
        {"identifier": "ledger-a", "writer": True},
        {"identifier": "ledger-b", "writer": False},
    ]
    assert statuses(ledger) == {
        "storage-encrypted": "pass",
        "not-publicly-accessible": "not_applicable",
        "backup-retention": "fail",
        "deletion-protection": "fail",
        "iam-authentication": "fail",
        "auto-minor-version-upgrade": "not_applicable",
    }
    assert ledger.attributes["encryption_type"] == "sse-kms"
    assert ledger.attributes["kms_key_id"] == KEY

    events = clusters[cluster_arn("eu-west-1", "events")]
    assert events.attributes["storage_encrypted"] is True  # though StorageEncrypted is false
    assert events.attributes["encryption_type"] == "sse-rds"
    assert events.attributes["kms_key_id"] is None
    assert statuses(events) == {
        **dict.fromkeys((*INHERITED, "auto-minor-version-upgrade"), "pass"),
        "not-publicly-accessible": "not_applicable",
    }
    assert evaluate(events)["aws.rds.cluster.storage-encrypted"] == (
        "pass",
        "events (aurora-postgresql) storage encrypted with an AWS owned key",
    )

    docs_cluster = clusters[cluster_arn("eu-west-1", "docs-cluster")]
    assert docs_cluster.attributes["engine_version"] is None
    assert statuses(docs_cluster)["iam-authentication"] == "not_applicable"
    assert statuses(docs_cluster)["backup-retention"] == "pass"


def test_transforms_read_missing_settings_as_off() -> None:
    """An absent flag is never read as on: a missing setting fails its rule."""
    db = transform_instance(
        {"DBInstanceIdentifier": "bare", "Engine": "mariadb", "DBInstanceArn": "arn"}
    )
    assert db["storage_encrypted"] is False and db["deletion_protection"] is False
    assert db["backup_retention_days"] == 0 and db["iam_auth_enabled"] is False
    assert db["publicly_accessible"] == Unreadable("PubliclyAccessible not reported")
    assert db["tags"] == {}
    cluster = transform_cluster(
        {"DBClusterIdentifier": "maz", "Engine": "mysql", "PubliclyAccessible": False}
    )
    assert cluster["publicly_accessible"] is False and cluster["members"] == []
    assert cluster["auto_minor_version_upgrade"] is None
    assert cluster["storage_encrypted"] is False and cluster["encryption_type"] is None
    unencrypted = transform_cluster(
        {
            "DBClusterIdentifier": "plain",
            "Engine": "aurora-mysql",
            "StorageEncrypted": False,
            "StorageEncryptionType": "none",
        }
    )
    assert unencrypted["storage_encrypted"] is False
    assert unencrypted["encryption_type"] == "none"
