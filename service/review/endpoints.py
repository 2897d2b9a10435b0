"""HTTP routes for review: decisions, an extraction's review, the queue and the export."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from service.access.roles import Permission, Principal
from service.api.deps import ReviewServiceDep, SessionDep, allowed
from service.api.responses import ERROR_RESPONSES
from service.domain.experience import ConfidenceLevel
from service.review.repository import ReviewRepository
from service.review.schemas import (
    AssertionIn,
    DecisionIn,
    DecisionList,
    DecisionOut,
    QueuePage,
    ReviewOut,
)
from service.review.state import ReviewStatus

extractions = APIRouter(prefix="/v1/extractions", tags=["review"])
review = APIRouter(prefix="/v1/review", tags=["review"])

Reviewer = Annotated[Principal, allowed(Permission.REVIEW)]
Reader = Annotated[Principal, allowed(Permission.READ_EXTRACTIONS)]


@extractions.get("/{extraction_id}/review", response_model=ReviewOut,
                 responses=ERROR_RESPONSES, summary="An extraction's review")
async def get_review(extraction_id: str, service: ReviewServiceDep, session: SessionDep,
                     principal: Reader) -> ReviewOut:
    """Review status and every assertion as review stands, derived from the decision log."""
    return await service.review(ReviewRepository(session), extraction_id, principal)


@extractions.post("/{extraction_id}/assertions/{assertion_id}/decisions",
                  status_code=status.HTTP_201_CREATED, response_model=DecisionOut,
                  responses=ERROR_RESPONSES, summary="Accept, reject or correct an assertion")
async def decide(extraction_id: str, assertion_id: str, decision: DecisionIn,
                 service: ReviewServiceDep, session: SessionDep,
                 principal: Reviewer) -> DecisionOut:
    """Append a decision to the audit log; answer with the assertion before and after it."""
    return await service.decide(ReviewRepository(session), extraction_id, assertion_id,
                                decision, principal)


@extractions.get("/{extraction_id}/assertions/{assertion_id}/decisions",
                 response_model=DecisionList, responses=ERROR_RESPONSES,
                 summary="An assertion's decisions")
async def list_decisions(extraction_id: str, assertion_id: str, service: ReviewServiceDep,
                         session: SessionDep, principal: Reader) -> DecisionList:
    """Every decision on the assertion, oldest first."""
    return await service.history(ReviewRepository(session), extraction_id, assertion_id,
                                 principal)


@extractions.post("/{extraction_id}/assertions", status_code=status.HTTP_201_CREATED,
                  response_model=DecisionOut, responses=ERROR_RESPONSES,
                  summary="Add a skill the machine missed")
async def add_assertion(extraction_id: str, body: AssertionIn, service: ReviewServiceDep,
                        session: SessionDep, principal: Reviewer) -> DecisionOut:
    """Append an "add" decision: a new assertion with the reviewer's skill and evidence."""
    return await service.add(ReviewRepository(session), extraction_id, body, principal)


@review.get("/queue", response_model=QueuePage, responses=ERROR_RESPONSES,
            summary="Extractions to review")
async def queue(
    service: ReviewServiceDep, session: SessionDep, principal: Reviewer,
    review_status: Annotated[ReviewStatus | None, Query(alias="status")] = None,
    framework: Annotated[str | None, Query(max_length=64,
                                           description="Has an assertion in it")] = None,
    confidence: Annotated[ConfidenceLevel | None,
                          Query(description="Has an assertion at this level "
                                            "(in the framework, if given)")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> QueuePage:
    """The tenant's extractions, oldest first, filtered by status, framework and confidence."""
    return await service.queue(ReviewRepository(session), principal, status=review_status,
                               framework=framework,
                               confidence=confidence.value if confidence else None,
                               limit=limit, offset=offset)


@review.get("/export", responses=ERROR_RESPONSES, summary="Reviewed extractions as eval data",
            response_class=Response)
async def export(
    service: ReviewServiceDep, session: SessionDep, principal: Reviewer,
    split: Annotated[str, Query(pattern=r"^[a-z0-9_-]{1,32}$",
                                description="The split every record gets")] = "review",
) -> Response:
    """One JSON line per reviewed extraction, in the eval dataset format (experiences-v1)."""
    lines = await service.export(ReviewRepository(session), principal.tenant_id, split)
    return Response("".join(line + "\n" for line in lines), media_type="application/x-ndjson",
                    headers={"Content-Disposition": 'attachment; filename="reviewed.jsonl"'})
