"""Queries on stored extractions."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import ExtractionRecord


class ExtractionRepository:
    """Reads and writes ExtractionRecord rows within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: ExtractionRecord) -> None:
        """Stage a new extraction and flush it (the request's transaction commits)."""
        self.session.add(record)
        await self.session.flush()

    async def get(self, extraction_id: str) -> ExtractionRecord | None:
        """One extraction by id."""
        return await self.session.get(ExtractionRecord, extraction_id)
