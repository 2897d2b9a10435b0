"""HTTP routes for API keys: an admin manages its own tenant's keys."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status

from service.access.repository import ApiKeyRepository
from service.access.roles import Permission, Principal
from service.access.schemas import ApiKeyCreate, ApiKeyCreated, ApiKeyList, ApiKeyOut
from service.api.deps import AccessServiceDep, SessionDep, allowed
from service.api.responses import ERROR_RESPONSES

router = APIRouter(prefix="/v1/keys", tags=["access"])

Admin = Annotated[Principal, allowed(Permission.MANAGE_KEYS)]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ApiKeyCreated,
             responses=ERROR_RESPONSES, summary="Create an API key in your tenant")
async def create_key(body: ApiKeyCreate, service: AccessServiceDep, session: SessionDep,
                     principal: Admin) -> ApiKeyCreated:
    """A new key with a role in the admin's tenant; the answer holds the only copy of it."""
    return await service.create_key(ApiKeyRepository(session), principal.tenant_id, body.role,
                                    body.name)


@router.get("", response_model=ApiKeyList, responses=ERROR_RESPONSES,
            summary="List your tenant's API keys")
async def list_keys(service: AccessServiceDep, session: SessionDep,
                    principal: Admin) -> ApiKeyList:
    """The tenant's keys, without secrets."""
    records = await service.list_keys(ApiKeyRepository(session), principal.tenant_id)
    return ApiKeyList(keys=[ApiKeyOut.of(r) for r in records])


@router.delete("/{key_id}", response_model=ApiKeyOut, responses=ERROR_RESPONSES,
               summary="Revoke an API key")
async def revoke_key(key_id: str, service: AccessServiceDep, session: SessionDep,
                     principal: Admin) -> ApiKeyOut:
    """Revoke one of the tenant's keys; it is refused from the next request on."""
    record = await service.revoke_key(ApiKeyRepository(session), key_id, principal.tenant_id)
    return ApiKeyOut.of(record)
