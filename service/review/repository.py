"""Queries for review: the decision log, review status, the queue, reviewed extractions."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import (
    AssertionDecisionRecord,
    ExtractionAssertionRecord,
    ExtractionRecord,
)
from service.errors import DecisionConflict


class ReviewRepository:
    """Works within the caller's transaction. The log has no update or delete."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def extraction(self, extraction_id: str, tenant_id: str) -> ExtractionRecord | None:
        """One extraction of a tenant by id; another tenant's is not found."""
        record = await self.session.get(ExtractionRecord, extraction_id)
        return record if record is not None and record.tenant_id == tenant_id else None

    async def decisions(self, extraction_id: str) -> Sequence[AssertionDecisionRecord]:
        """An extraction's log, in order."""
        return (await self.session.scalars(
            select(AssertionDecisionRecord)
            .where(AssertionDecisionRecord.extraction_id == extraction_id)
            .order_by(AssertionDecisionRecord.seq))).all()

    async def append(self, decision: AssertionDecisionRecord, extraction: ExtractionRecord,
                     review_status: str) -> None:
        """Add a decision at the end of the log and set the extraction's review status."""
        self.session.add(decision)
        extraction.review_status = review_status
        try:
            await self.session.flush()
        except IntegrityError as exc:  # another decision took this position in the log
            raise DecisionConflict(
                "Another decision on this extraction was recorded at the same moment; reload "
                "the review and decide again.") from exc

    async def queue(self, tenant_id: str, status: str | None, framework: str | None,
                    confidence: str | None, limit: int,
                    offset: int) -> tuple[int, Sequence[ExtractionRecord]]:
        """A tenant's extractions, oldest first, with an assertion matching the filters."""
        query = select(ExtractionRecord).where(ExtractionRecord.tenant_id == tenant_id)
        if status is not None:
            query = query.where(ExtractionRecord.review_status == status)
        if framework is not None or confidence is not None:
            matching = select(ExtractionAssertionRecord.extraction_id)
            if framework is not None:
                matching = matching.where(ExtractionAssertionRecord.framework == framework)
            if confidence is not None:
                matching = matching.where(ExtractionAssertionRecord.confidence == confidence)
            query = query.where(ExtractionRecord.id.in_(matching))
        total = await self.session.scalar(select(func.count()).select_from(query.subquery()))
        page = await self.session.scalars(
            query.order_by(ExtractionRecord.created_at, ExtractionRecord.id)
            .limit(limit).offset(offset))
        return total or 0, page.all()

    async def confidence_counts(self, extraction_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """Per extraction, how many machine assertions each confidence level has."""
        rows = await self.session.execute(
            select(ExtractionAssertionRecord.extraction_id, ExtractionAssertionRecord.confidence,
                   func.count())
            .where(ExtractionAssertionRecord.extraction_id.in_(extraction_ids))
            .group_by(ExtractionAssertionRecord.extraction_id,
                      ExtractionAssertionRecord.confidence))
        counts: dict[str, dict[str, int]] = {i: {} for i in extraction_ids}
        for extraction_id, level, n in rows:
            counts[extraction_id][level] = n
        return counts

    async def reviewed(self, tenant_id: str) -> Sequence[ExtractionRecord]:
        """A tenant's reviewed extractions, oldest first."""
        return (await self.session.scalars(
            select(ExtractionRecord)
            .where(ExtractionRecord.tenant_id == tenant_id,
                   ExtractionRecord.review_status == "reviewed")
            .order_by(ExtractionRecord.created_at, ExtractionRecord.id))).all()
