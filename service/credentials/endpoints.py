"""HTTP routes for credentials: issue for an extraction, a learner's CLR, verify."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Response, status

from service.access.roles import Permission, Principal
from service.api.deps import CredentialServiceDep, ReviewServiceDep, SessionDep, allowed
from service.api.responses import ERROR_RESPONSES
from service.credentials.repository import CredentialRepository
from service.credentials.schemas import IssuedCredentials, VerificationOut
from service.domain.experience import OpaqueRef
from service.review.repository import ReviewRepository

extractions = APIRouter(prefix="/v1/extractions", tags=["credentials"])
learners = APIRouter(prefix="/v1/learners", tags=["credentials"])
credentials = APIRouter(prefix="/v1/credentials", tags=["credentials"])


@extractions.post("/{extraction_id}/credentials", response_model=IssuedCredentials,
                  status_code=status.HTTP_201_CREATED, responses=ERROR_RESPONSES,
                  summary="Issue Open Badges 3.0 credentials for accepted assertions")
async def issue(extraction_id: str, response: Response, service: CredentialServiceDep,
                reviews: ReviewServiceDep, session: SessionDep,
                principal: Annotated[Principal, allowed(Permission.ISSUE_CREDENTIALS)],
                ) -> IssuedCredentials:
    """Sign one OpenBadgeCredential per accepted assertion; re-issuing returns the same ones.

    201 when this call signed any, 200 when every credential already existed.
    """
    issued = await service.issue(reviews, ReviewRepository(session),
                                 CredentialRepository(session), extraction_id, principal)
    if not issued.issued:
        response.status_code = status.HTTP_200_OK
    return issued


@learners.get("/{learner_ref}/clr", responses=ERROR_RESPONSES,
              summary="A learner's credentials as a CLR 2.0 ClrCredential")
async def clr(learner_ref: OpaqueRef, service: CredentialServiceDep, session: SessionDep,
              principal: Annotated[Principal, allowed(Permission.READ_PROFILES)],
              ) -> dict[str, Any]:
    """A freshly signed ClrCredential bundling every credential issued to the learner."""
    return await service.clr(CredentialRepository(session), learner_ref, principal)


@credentials.post("/verify", response_model=VerificationOut, responses=ERROR_RESPONSES,
                  summary="Verify an Open Badges 3.0 or CLR 2.0 credential")
async def verify(document: Annotated[dict[str, Any], Body(description="The credential.")],
                 service: CredentialServiceDep,
                 principal: Annotated[Principal, allowed(Permission.VERIFY_CREDENTIALS)],
                 ) -> VerificationOut:
    """Check its eddsa-rdfc-2022 proof, that its issuer signed it, and its JSON Schema."""
    return await service.verify(document)
