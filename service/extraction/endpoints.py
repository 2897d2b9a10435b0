"""HTTP routes for extractions: translate HTTP to one service call."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response, status

from service.access.roles import Permission, Principal
from service.api.deps import ExtractionServiceDep, SessionDep, allowed
from service.api.responses import ERROR_RESPONSES
from service.extraction.repository import ExtractionRepository
from service.extraction.schemas import ExtractionRequest, ExtractionResponse

router = APIRouter(prefix="/v1/extractions", tags=["extractions"])


@router.post("", status_code=status.HTTP_201_CREATED, response_model=ExtractionResponse,
             responses=ERROR_RESPONSES, summary="Extract skills from an experience")
async def create_extraction(
    request: ExtractionRequest, service: ExtractionServiceDep, session: SessionDep,
    principal: Annotated[Principal, allowed(Permission.CREATE_EXTRACTIONS)],
) -> Response:
    """Read an experience and its evidence; answer with scored, evidence-backed skills."""
    body = await service.extract(request, ExtractionRepository(session), principal.tenant_id)
    return Response(body, status_code=status.HTTP_201_CREATED, media_type="application/json")


@router.get("/{extraction_id}", response_model=ExtractionResponse, responses=ERROR_RESPONSES,
            summary="Read a stored extraction")
async def get_extraction(
    extraction_id: str, service: ExtractionServiceDep, session: SessionDep,
    principal: Annotated[Principal, allowed(Permission.READ_EXTRACTIONS)],
) -> Response:
    """The stored extraction, exactly as first returned (the machine result, before review)."""
    body = await service.stored_body(extraction_id, ExtractionRepository(session),
                                     principal.tenant_id)
    return Response(body, media_type="application/json")
