"""Typed dependencies: objects from app state, one transaction per request, the caller."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from service.access.repository import ApiKeyRepository
from service.access.roles import Permission, Principal
from service.access.service import AccessService
from service.credentials.service import CredentialService
from service.errors import Forbidden, NotReady
from service.extraction.service import ExtractionService
from service.profiles.service import ProfileService
from service.review.service import ReviewService
from service.runtime import Runtime


def get_runtime(request: Request) -> Runtime:
    """The objects built at start-up."""
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if runtime is None:
        raise NotReady("The service is still starting; retry in a few seconds.")
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_extraction_service(runtime: RuntimeDep) -> ExtractionService:
    """The extraction use case."""
    return runtime.extractions


def get_review_service(runtime: RuntimeDep) -> ReviewService:
    """The review use case."""
    return runtime.reviews


def get_access_service(runtime: RuntimeDep) -> AccessService:
    """The access use case."""
    return runtime.access


def get_credential_service(runtime: RuntimeDep) -> CredentialService:
    """The credentials use case."""
    return runtime.credentials


def get_profile_service(runtime: RuntimeDep) -> ProfileService:
    """The profile use case."""
    return runtime.profiles


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits when the route succeeds and rolls back otherwise.

    Scoped to the route function, so the commit happens before the response is sent: a client
    told "stored" can rely on it.
    """
    async with runtime.sessions() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        await session.commit()


ExtractionServiceDep = Annotated[ExtractionService, Depends(get_extraction_service)]
ReviewServiceDep = Annotated[ReviewService, Depends(get_review_service)]
AccessServiceDep = Annotated[AccessService, Depends(get_access_service)]
CredentialServiceDep = Annotated[CredentialService, Depends(get_credential_service)]
ProfileServiceDep = Annotated[ProfileService, Depends(get_profile_service)]
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def get_principal(request: Request, runtime: RuntimeDep,
                        session: SessionDep) -> Principal:
    """Who the request acts for, from its bearer key (401 without a valid one)."""
    if runtime.settings.auth_disabled:  # the settings allow this in development only
        return Principal.development()
    return await runtime.access.authenticate(ApiKeyRepository(session),
                                             request.headers.get("authorization"))


PrincipalDep = Annotated[Principal, Depends(get_principal)]


def allowed(permission: Permission) -> Any:
    """A dependency: the request's principal, if its role grants ``permission`` (else 403)."""

    def check(principal: PrincipalDep) -> Principal:
        if not principal.can(permission):
            raise Forbidden(f"A {principal.role} key may not do this; it needs a role with "
                            f"the '{permission.value}' permission.")
        return principal

    dependency: Callable[[Principal], Principal] = check
    return Depends(dependency)
