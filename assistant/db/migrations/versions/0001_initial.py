"""Initial schema: plan records, append-only follow-up entries, users.

Revision ID: 0001_initial
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001_initial"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen copies (a migration must not change when the models do).
STATUSES = ("Ej påbörjad", "Pågår", "Klar", "Försenad", "Struken")
ROLES = ("reader", "editor", "admin")


def _in_list(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{value}'" for value in values) + ")"


SQLITE_TRIGGERS = (
    """CREATE TRIGGER trg_followup_entries_no_update BEFORE UPDATE ON followup_entries
       BEGIN SELECT RAISE(ABORT, 'followup_entries is append-only'); END""",
    """CREATE TRIGGER trg_followup_entries_no_delete BEFORE DELETE ON followup_entries
       BEGIN SELECT RAISE(ABORT, 'followup_entries is append-only'); END""",
)
POSTGRES_TRIGGERS = (
    """CREATE FUNCTION followup_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'followup_entries is append-only'; END $$""",
    """CREATE TRIGGER trg_followup_entries_append_only BEFORE UPDATE OR DELETE ON followup_entries
       FOR EACH ROW EXECUTE FUNCTION followup_entries_append_only()""",
    """CREATE TRIGGER trg_followup_entries_no_truncate BEFORE TRUNCATE ON followup_entries
       FOR EACH STATEMENT EXECUTE FUNCTION followup_entries_append_only()""",
)


def upgrade() -> None:
    op.create_table(
        "plan_records",
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("council", sa.Text(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("activity", sa.Text(), nullable=False),
        sa.Column("focus_area", sa.Text(), nullable=False),
        sa.Column("owner", sa.Text(), nullable=False),
        sa.Column("timeline", sa.Text(), nullable=False),
        sa.Column("follow_up", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("first_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen", sa.DateTime(timezone=True), nullable=False),
        sa.Column("in_plan", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("record_id", name="pk_plan_records"),
    )
    op.create_index("ix_plan_records_source", "plan_records", ["source"])
    op.create_index("ix_plan_records_council", "plan_records", ["council"])

    op.create_table(
        "followup_entries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("record_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(150), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_followup_entries"),
        sa.ForeignKeyConstraint(
            ["record_id"], ["plan_records.record_id"],
            name="fk_followup_entries_record_id_plan_records", ondelete="RESTRICT",
        ),
        sa.CheckConstraint(_in_list("status", STATUSES), name="ck_followup_entries_status"),
    )
    op.create_index("ix_followup_entries_record_id_entry_date", "followup_entries", ["record_id", "entry_date"])

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(150), nullable=False),
        sa.Column("username_key", sa.String(150), nullable=False),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        sa.UniqueConstraint("username_key", name="uq_users_username_key"),
        sa.CheckConstraint(_in_list("role", ROLES), name="ck_users_role"),
    )

    # Append-only history, enforced by the database itself (not only by the repository API).
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in POSTGRES_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS followup_entries_append_only() CASCADE")
    op.drop_table("users")
    op.drop_index("ix_followup_entries_record_id_entry_date", table_name="followup_entries")
    op.drop_table("followup_entries")
    op.drop_index("ix_plan_records_council", table_name="plan_records")
    op.drop_index("ix_plan_records_source", table_name="plan_records")
    op.drop_table("plan_records")
