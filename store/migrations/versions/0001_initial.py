"""Initial schema: runs, units, payloads, observations, evaluations, chain head; append-only.

Revision ID: 0001
Revises:
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

from annexa.store.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

APPEND_ONLY = ("units", "payloads", "observations", "evaluations")


def upgrade() -> None:
    op.create_table(
        "runs",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("trigger", sa.String(16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("agent_version", sa.String(64), nullable=False),
        sa.Column("host", sa.String(255), nullable=False),
        sa.Column("config_digest", sa.String(64), nullable=False),
        sa.Column("ruleset_digest", sa.String(64), nullable=False),
        sa.Column("catalogue_version", sa.String(64), nullable=False),
        sa.Column("chain_position", sa.Integer(), nullable=True, unique=True),
        sa.Column("digest", sa.Text(), nullable=True),
        sa.Column("digest_sha256", sa.String(64), nullable=True),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.Column("key_id", sa.String(64), nullable=True),
    )
    op.create_index("ix_runs_status", "runs", ["status"])
    op.create_table(
        "units",
        sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("unit_key", sa.String(512), nullable=False),
        sa.Column("target", sa.String(128), nullable=False),
        sa.Column("connector", sa.String(128), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("account", sa.String(256), nullable=False),
        sa.Column("region", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("error_class", sa.String(128), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("api_calls", sa.Integer(), nullable=False),
        sa.Column("observations", sa.Integer(), nullable=False),
        sa.Column("kinds", sa.Text(), nullable=False),
        sa.Column("record_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_units_run_target", "units", ["run_id", "target"])
    op.create_table(
        "payloads",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
    )
    op.create_table(
        "observations",
        sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("unit_seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(128), nullable=False),
        sa.Column("resource_id", sa.String(2048), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("account", sa.String(256), nullable=False),
        sa.Column("region", sa.String(128), nullable=False),
        sa.Column("observed_at", UTCDateTime(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column(
            "payload_sha256", sa.String(64), sa.ForeignKey("payloads.sha256"), nullable=False
        ),
        sa.Column("record_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_observations_run_kind", "observations", ["run_id", "kind"])
    op.create_index("ix_observations_observed_at", "observations", ["observed_at"])
    op.create_index("ix_observations_resource", "observations", ["resource_id"])
    op.create_table(
        "evaluations",
        sa.Column("run_id", sa.String(36), sa.ForeignKey("runs.id"), primary_key=True),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("observation_seq", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.String(128), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("controls", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("record_hash", sa.String(64), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id", "observation_seq"], ["observations.run_id", "observations.seq"]
        ),
    )
    op.create_index("ix_evaluations_run_status", "evaluations", ["run_id", "status"])
    op.create_index("ix_evaluations_rule", "evaluations", ["rule_id"])
    chain_head = op.create_table(
        "chain_head",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(36), nullable=True),
        sa.Column("digest_sha256", sa.String(64), nullable=True),
    )
    op.bulk_insert(chain_head, [{"id": 1, "position": 0, "run_id": None, "digest_sha256": None}])
    _append_only_triggers()


def _append_only_triggers() -> None:
    """Refuse UPDATE/DELETE on evidence, and any change to a run once it has closed."""
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for table in APPEND_ONLY:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER annexa_{table}_no_{action.lower()} BEFORE {action} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'annexa: {table} is append-only'); END"
                )
        op.execute(
            "CREATE TRIGGER annexa_runs_no_delete BEFORE DELETE ON runs "
            "BEGIN SELECT RAISE(ABORT, 'annexa: runs are append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER annexa_runs_closed BEFORE UPDATE ON runs WHEN OLD.status <> 'running' "
            "BEGIN SELECT RAISE(ABORT, 'annexa: a closed run cannot change'); END"
        )
    elif dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION annexa_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION 'annexa: % is append-only', TG_TABLE_NAME;
            END $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            """
            CREATE FUNCTION annexa_runs_guard() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' THEN
                    RAISE EXCEPTION 'annexa: runs are append-only';
                END IF;
                IF OLD.status <> 'running' THEN
                    RAISE EXCEPTION 'annexa: a closed run cannot change';
                END IF;
                RETURN NEW;
            END $$ LANGUAGE plpgsql
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER annexa_{table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION annexa_append_only()"
            )
        op.execute(
            "CREATE TRIGGER annexa_runs_guard BEFORE UPDATE OR DELETE ON runs "
            "FOR EACH ROW EXECUTE FUNCTION annexa_runs_guard()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS annexa_append_only() CASCADE")
        op.execute("DROP FUNCTION IF EXISTS annexa_runs_guard() CASCADE")
    for table in ("chain_head", "evaluations", "observations", "payloads", "units", "runs"):
        op.drop_table(table)
