"""API keys, tenants, the assertion index, append-only review decisions

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_APPEND_ONLY_SQLITE = """
CREATE TRIGGER assertion_decisions_no_{verb} BEFORE {verb_upper} ON assertion_decisions
BEGIN SELECT RAISE(ABORT, 'assertion_decisions is append-only'); END
"""
_APPEND_ONLY_POSTGRESQL = [
    """CREATE FUNCTION assertion_decisions_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'assertion_decisions is append-only'; END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER assertion_decisions_append_only BEFORE UPDATE OR DELETE
    ON assertion_decisions FOR EACH ROW EXECUTE FUNCTION assertion_decisions_append_only()""",
]


def upgrade() -> None:
    # Rows stored before tenants existed belong to the "default" tenant.
    with op.batch_alter_table("extractions") as batch:
        batch.add_column(sa.Column("tenant_id", sa.String(64), nullable=False,
                                   server_default="default"))
        batch.add_column(sa.Column("review_status", sa.String(16), nullable=False,
                                   server_default="pending"))
    with op.batch_alter_table("extractions") as batch:
        batch.alter_column("tenant_id", server_default=None)
        batch.create_index("ix_extractions_queue", ["tenant_id", "review_status", "created_at"])

    op.create_table(
        "extraction_assertions",
        sa.Column("extraction_id", sa.String(40), nullable=False),
        sa.Column("assertion_id", sa.String(64), nullable=False),
        sa.Column("framework", sa.String(64), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("confidence", sa.String(8), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(["extraction_id"], ["extractions.id"], ondelete="CASCADE",
                                name=op.f("fk_extraction_assertions_extraction_id_extractions")),
        sa.PrimaryKeyConstraint("extraction_id", "assertion_id",
                                name=op.f("pk_extraction_assertions")),
    )
    op.create_index("ix_extraction_assertions_filter", "extraction_assertions",
                    ["framework", "confidence"])
    _index_existing_assertions()

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("tenant_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("name", sa.String(128), nullable=True),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
    )
    op.create_index(op.f("ix_api_keys_tenant_id"), "api_keys", ["tenant_id"])

    op.create_table(
        "assertion_decisions",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("extraction_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("assertion_id", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(32), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["extraction_id"], ["extractions.id"],
                                name=op.f("fk_assertion_decisions_extraction_id_extractions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assertion_decisions")),
        sa.UniqueConstraint("extraction_id", "seq", name="uq_assertion_decisions_extraction_seq"),
    )
    op.create_index(op.f("ix_assertion_decisions_extraction_id"), "assertion_decisions",
                    ["extraction_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for verb in ("update", "delete"):
            op.execute(_APPEND_ONLY_SQLITE.format(verb=verb, verb_upper=verb.upper()))
    elif dialect == "postgresql":
        for statement in _APPEND_ONLY_POSTGRESQL:
            op.execute(statement)


def _index_existing_assertions() -> None:
    """Fill the assertion index from extractions stored before it existed."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, result_json FROM extractions")).all()
    index = sa.table("extraction_assertions", sa.column("extraction_id"),
                     sa.column("assertion_id"), sa.column("framework"), sa.column("code"),
                     sa.column("confidence"), sa.column("score"))
    values = [
        {"extraction_id": extraction_id, "assertion_id": a["id"],
         "framework": a["skill"]["framework"], "code": a["skill"]["code"],
         "confidence": a["confidence"], "score": a["score"]}
        for extraction_id, result_json in rows
        for a in json.loads(result_json)["assertions"]
    ]
    if values:
        op.bulk_insert(index, values)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("DROP TRIGGER assertion_decisions_append_only ON assertion_decisions")
        op.execute("DROP FUNCTION assertion_decisions_append_only()")
    op.drop_table("assertion_decisions")
    op.drop_table("api_keys")
    op.drop_table("extraction_assertions")
    with op.batch_alter_table("extractions") as batch:
        batch.drop_index("ix_extractions_queue")
        batch.drop_column("review_status")
        batch.drop_column("tenant_id")
