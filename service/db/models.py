"""Tables."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from service.db.base import Base


class ExtractionRecord(Base):
    """One extraction: what was asked, exactly what was answered, and what produced it."""

    __tablename__ = "extractions"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
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
