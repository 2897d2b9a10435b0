"""Queries on API keys."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from service.db.models import ApiKeyRecord


class ApiKeyRepository:
    """Reads and writes ApiKeyRecord rows within the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, record: ApiKeyRecord) -> None:
        """Stage a new key and flush it."""
        self.session.add(record)
        await self.session.flush()

    async def flush(self) -> None:
        """Write staged changes to the transaction."""
        await self.session.flush()

    async def get(self, key_id: str) -> ApiKeyRecord | None:
        """One key by id, whatever its tenant (authentication only)."""
        return await self.session.get(ApiKeyRecord, key_id)

    async def get_in_tenant(self, key_id: str, tenant_id: str) -> ApiKeyRecord | None:
        """One key of a tenant."""
        record = await self.get(key_id)
        return record if record is not None and record.tenant_id == tenant_id else None

    async def list(self, tenant_id: str | None) -> Sequence[ApiKeyRecord]:
        """A tenant's keys (every key when ``tenant_id`` is None), oldest first."""
        query = select(ApiKeyRecord).order_by(ApiKeyRecord.created_at, ApiKeyRecord.id)
        if tenant_id is not None:
            query = query.where(ApiKeyRecord.tenant_id == tenant_id)
        return (await self.session.scalars(query)).all()
