"""Examiner certificates: the public half of each examiner's report-signing key.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "examiner_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("examiner_id", sa.Integer(), nullable=False),
        sa.Column("fingerprint_sha256", sa.String(64), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("certificate_pem", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["examiner_id"],
            ["examiners.id"],
            name=op.f("fk_examiner_certificates_examiner_id_examiners"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_examiner_certificates")),
        sa.UniqueConstraint(
            "fingerprint_sha256", name=op.f("uq_examiner_certificates_fingerprint_sha256")
        ),
    )
    op.create_index(
        op.f("ix_examiner_certificates_examiner_id"),
        "examiner_certificates",
        ["examiner_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_examiner_certificates_examiner_id"), table_name="examiner_certificates")
    op.drop_table("examiner_certificates")
