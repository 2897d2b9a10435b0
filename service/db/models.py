"""Tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base


class ExtractionRecord(Base):
    """One extraction: what was asked, exactly what was answered, and what produced it."""

    __tablename__ = "extractions"
    __table_args__ = (Index("ix_extractions_queue", "tenant_id", "review_status", "created_at"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    # The platform that submitted it; every read and write is scoped to it.
    tenant_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    learner_ref: Mapped[str | None] = mapped_column(String(128), index=True)
    external_id: Mapped[str | None] = mapped_column(String(128), index=True)
    category: Mapped[str] = mapped_column(String(32))
    model_id: Mapped[str] = mapped_column(String(128))
    pipeline_version: Mapped[str] = mapped_column(String(32))
    components: Mapped[dict[str, str]] = mapped_column(JSON)
    taxonomy_versions: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    request_json: Mapped[str] = mapped_column(Text)
    # The response body byte for byte, so GET answers exactly what POST first returned.
    result_json: Mapped[str] = mapped_column(Text)
    # pending, in_review or reviewed: derived from the decision log, kept here for the queue.
    review_status: Mapped[str] = mapped_column(String(16), default="pending",
                                               server_default="pending")


class ExtractionAssertionRecord(Base):
    """The machine's assertions of an extraction, one row each, so the queue can filter."""

    __tablename__ = "extraction_assertions"
    __table_args__ = (Index("ix_extraction_assertions_filter", "framework", "confidence"),)

    extraction_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("extractions.id", ondelete="CASCADE"), primary_key=True)
    assertion_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    framework: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
    confidence: Mapped[str] = mapped_column(String(8))
    score: Mapped[float] = mapped_column(Float)


class ApiKeyRecord(Base):
    """An API key: only a hash of its secret is stored."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # the visible key id
    tenant_id: Mapped[str] = mapped_column(String(64), index=True)
    role: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(128))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # when the key last signed out of the review console: its sessions opened before are over
    console_signed_out_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AssertionDecisionRecord(Base):
    """One reviewer decision. Append-only: the database refuses updates and deletes."""

    __tablename__ = "assertion_decisions"
    __table_args__ = (UniqueConstraint("extraction_id", "seq",
                                       name="uq_assertion_decisions_extraction_seq"),)

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    extraction_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("extractions.id"), index=True)
    # Position in the extraction's log; two concurrent decisions cannot take the same one.
    seq: Mapped[int] = mapped_column(Integer)
    assertion_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16))
    comment: Mapped[str | None] = mapped_column(Text)
    decided_by: Mapped[str] = mapped_column(String(32))  # the key id
    decided_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any]] = mapped_column(JSON)


class CredentialRecord(Base):
    """An issued, signed credential: one per (extraction, assertion), so re-issuing is a no-op."""

    __tablename__ = "credentials"
    __table_args__ = (
        UniqueConstraint("extraction_id", "assertion_id",
                         name="uq_credentials_extraction_assertion"),
        Index("ix_credentials_learner", "tenant_id", "learner_ref"),
    )

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # urn:uuid:...
    tenant_id: Mapped[str] = mapped_column(String(64))
    learner_ref: Mapped[str] = mapped_column(String(128))
    extraction_id: Mapped[str] = mapped_column(
        String(40), ForeignKey("extractions.id"), index=True)
    assertion_id: Mapped[str] = mapped_column(String(64))
    framework: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    issued_by: Mapped[str] = mapped_column(String(32))  # the key id
    credential_json: Mapped[str] = mapped_column(Text)  # the signed credential, byte for byte
