"""extractions table

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "extractions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("learner_ref", sa.String(128), nullable=True),
        sa.Column("external_id", sa.String(128), nullable=True),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("model_id", sa.String(128), nullable=False),
        sa.Column("pipeline_version", sa.String(32), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("taxonomy_versions", sa.JSON(), nullable=False),
        sa.Column("request_json", sa.Text(), nullable=False),
        sa.Column("result_json", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_extractions")),
    )
    op.create_index(op.f("ix_extractions_created_at"), "extractions", ["created_at"])
    op.create_index(op.f("ix_extractions_learner_ref"), "extractions", ["learner_ref"])
    op.create_index(op.f("ix_extractions_external_id"), "extractions", ["external_id"])


def downgrade() -> None:
    op.drop_table("extractions")
