"""HTTP routes for learner profiles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from service.access.roles import Permission, Principal
from service.api.deps import ProfileServiceDep, ReviewServiceDep, SessionDep, allowed
from service.api.responses import ERROR_RESPONSES
from service.domain.experience import OpaqueRef
from service.profiles.repository import ProfileRepository
from service.profiles.schemas import ProfileOut
from service.review.repository import ReviewRepository

router = APIRouter(prefix="/v1/learners", tags=["profiles"])


@router.get("/{learner_ref}/profile", response_model=ProfileOut, responses=ERROR_RESPONSES,
            summary="A learner's competency profile")
async def profile(
    learner_ref: OpaqueRef, service: ProfileServiceDep, reviews: ReviewServiceDep,
    session: SessionDep, principal: Annotated[Principal, allowed(Permission.READ_PROFILES)],
    include_unreviewed: Annotated[bool, Query(
        description="Also count assertions no reviewer has decided on (marked reviewed: "
                    "false, weighed less)")] = False,
    target: Annotated[str | None, Query(max_length=64, description=(
        "A framework id: which of its items are demonstrated, which are missing and which "
        "experience categories usually show them"))] = None,
) -> ProfileOut:
    """Per skill: supporting experiences and evidence, contexts, aggregated confidence."""
    return await service.profile(reviews, ReviewRepository(session), ProfileRepository(session),
                                 learner_ref, principal, include_unreviewed=include_unreviewed,
                                 target=target)
