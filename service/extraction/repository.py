"""Queries on stored extractions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import ExtractionAssertionRecord, ExtractionRecord


class ExtractionRepository:
    """Reads and writes ExtractionRecord rows within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: ExtractionRecord,
                  assertions: list[ExtractionAssertionRecord]) -> None:
        """Stage a new extraction with its assertion index and flush them."""
        self.session.add(record)
        await self.session.flush()
        self.session.add_all(assertions)
        await self.session.flush()

    async def get(self, extraction_id: str, tenant_id: str) -> ExtractionRecord | None:
        """One extraction of a tenant by id; another tenant's is not found."""
        record = await self.session.get(ExtractionRecord, extraction_id)
        return record if record is not None and record.tenant_id == tenant_id else None
