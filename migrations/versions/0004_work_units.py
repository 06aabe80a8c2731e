"""Work units of distributed analysis (queued, running, done, failed).

Operational state, updated in place, so not append-only: what a unit produced is
recorded as findings and custody events.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "work_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("evidence_id", sa.Integer(), nullable=False),
        sa.Column("method", sa.String(100), nullable=False),
        sa.Column("method_version", sa.String(50), nullable=False),
        sa.Column("config_digest", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("queued_by", sa.String(200), nullable=False),
        sa.Column("queued_at", sa.DateTime(), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("worker", sa.String(300), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("finding_digests", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_work_units_case_id_cases")
        ),
        sa.ForeignKeyConstraint(
            ["evidence_id"], ["evidence_items.id"],
            name=op.f("fk_work_units_evidence_id_evidence_items"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_work_units")),
        sa.UniqueConstraint(
            "evidence_id", "method", "method_version", "config_digest",
            name=op.f("uq_work_units_evidence_id_method_method_version_config_digest"),
        ),
    )
    op.create_index(op.f("ix_work_units_case_id"), "work_units", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_work_units_case_id"), table_name="work_units")
    op.drop_table("work_units")
