"""Typed dependencies: long-lived objects from app state, one transaction per request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import NotReady
from service.extraction.service import ExtractionService
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
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
