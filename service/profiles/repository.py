"""Queries for profiles: a learner's extractions, and the tenant's for category statistics."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import ExtractionRecord


class ProfileRepository:
    """Works within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def learner_extractions(self, tenant_id: str,
                                  learner_ref: str) -> Sequence[ExtractionRecord]:
        """A learner's extractions in one tenant, oldest first."""
        return (await self.session.scalars(
            select(ExtractionRecord)
            .where(ExtractionRecord.tenant_id == tenant_id,
                   ExtractionRecord.learner_ref == learner_ref)
            .order_by(ExtractionRecord.created_at, ExtractionRecord.id))).all()

    async def tenant_extractions(self, tenant_id: str) -> Sequence[ExtractionRecord]:
        """Every extraction of a tenant."""
        return (await self.session.scalars(
            select(ExtractionRecord).where(ExtractionRecord.tenant_id == tenant_id)
            .order_by(ExtractionRecord.created_at, ExtractionRecord.id))).all()
