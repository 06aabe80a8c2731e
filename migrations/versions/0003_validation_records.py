"""Validation records of detectors (metrics, calibration), append-only.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from forensics.migrations import append_only

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "validation_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("detector", sa.String(100), nullable=False),
        sa.Column("detector_version", sa.String(50), nullable=False),
        sa.Column("weights_digest", sa.String(64), nullable=True),
        sa.Column("data_digest", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_validation_records")),
        sa.UniqueConstraint("digest", name=op.f("uq_validation_records_digest")),
    )
    op.create_index(
        op.f("ix_validation_records_detector"), "validation_records", ["detector"], unique=False
    )
    append_only.create(["validation_records"])


def downgrade() -> None:
    append_only.drop(["validation_records"])
    op.drop_index(op.f("ix_validation_records_detector"), table_name="validation_records")
    op.drop_table("validation_records")
