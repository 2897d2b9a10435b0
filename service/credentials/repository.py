"""Queries on issued credentials."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import CredentialRecord
from service.errors import DecisionConflict


class CredentialRepository:
    """Works within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def for_extraction(self, extraction_id: str) -> Sequence[CredentialRecord]:
        """The credentials issued from one extraction."""
        return (await self.session.scalars(
            select(CredentialRecord).where(CredentialRecord.extraction_id == extraction_id)
            .order_by(CredentialRecord.issued_at, CredentialRecord.id))).all()

    async def for_learner(self, tenant_id: str, learner_ref: str) -> Sequence[CredentialRecord]:
        """A learner's credentials in one tenant, oldest first."""
        return (await self.session.scalars(
            select(CredentialRecord)
            .where(CredentialRecord.tenant_id == tenant_id,
                   CredentialRecord.learner_ref == learner_ref)
            .order_by(CredentialRecord.issued_at, CredentialRecord.id))).all()

    async def add(self, records: Sequence[CredentialRecord]) -> None:
        """Store newly signed credentials."""
        self.session.add_all(records)
        try:
            await self.session.flush()
        except IntegrityError as exc:  # a concurrent call issued the same assertion
            raise DecisionConflict(
                "Credentials for this extraction were issued at the same moment by another "
                "request; issue again to read them.") from exc
