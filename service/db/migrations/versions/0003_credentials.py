"""issued credentials

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("learner_ref", sa.String(128), nullable=False),
        sa.Column("extraction_id", sa.String(40), nullable=False),
        sa.Column("assertion_id", sa.String(64), nullable=False),
        sa.Column("framework", sa.String(64), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.String(32), nullable=False),
        sa.Column("credential_json", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["extraction_id"], ["extractions.id"],
                                name=op.f("fk_credentials_extraction_id_extractions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
        sa.UniqueConstraint("extraction_id", "assertion_id",
                            name="uq_credentials_extraction_assertion"),
    )
    op.create_index("ix_credentials_learner", "credentials", ["tenant_id", "learner_ref"])
    op.create_index(op.f("ix_credentials_extraction_id"), "credentials", ["extraction_id"])


def downgrade() -> None:
    op.drop_table("credentials")
