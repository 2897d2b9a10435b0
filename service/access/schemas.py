"""Request and response bodies of the key management API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from service.access.roles import Role
from service.db.models import ApiKeyRecord

TenantId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9._-]{0,63}$")]
KeyName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)]


class ApiKeyCreate(BaseModel):
    """A key to create in the caller's tenant."""

    model_config = ConfigDict(extra="forbid")

    role: Role
    name: KeyName | None = Field(None, description="Who holds it, e.g. 'Dana, reviewer'.")


class ApiKeyOut(BaseModel):
    """A key without its secret."""

    id: str
    tenant_id: str
    role: Role
    name: str | None
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, record: ApiKeyRecord) -> ApiKeyOut:
        """Render a stored key."""
        return cls(id=record.id, tenant_id=record.tenant_id, role=Role(record.role),
                   name=record.name, created_at=record.created_at, revoked_at=record.revoked_at)


class ApiKeyCreated(ApiKeyOut):
    """A new key, with the only copy of its secret."""

    key: str = Field(description="Send as `Authorization: Bearer <key>`. Shown once.")


class ApiKeyList(BaseModel):
    """A tenant's keys."""

    keys: list[ApiKeyOut]
