"""The FastAPI application: wiring only."""

from __future__ import annotations

import re
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from service import __version__
from service.access.endpoints import router as keys_router
from service.access.roles import Permission
from service.api import handlers
from service.api.deps import allowed
from service.api.limits import BodySizeLimit
from service.credentials import endpoints as credentials
from service.extraction.endpoints import router as extraction_router
from service.health.endpoints import router as health_router
from service.logs import configure_logging
from service.profiles.endpoints import router as profiles_router
from service.review import console
from service.review.endpoints import extractions as review_extraction_router
from service.review.endpoints import review as review_router
from service.runtime import start_runtime
from service.settings import Settings, get_settings
from service.taxonomy.endpoints import crosswalk_router
from service.taxonomy.endpoints import router as taxonomy_router

log = structlog.get_logger(__name__)
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app; the heavy objects are created in the lifespan."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runtime = await start_runtime(settings)
        app.state.runtime = runtime
        try:
            yield
        finally:
            app.state.runtime = None
            await runtime.close()

    app = FastAPI(
        title="Skill extraction service",
        version=__version__,
        summary="Reads a learner's experience and its evidence; returns the skills it shows, "
                "scored, with calibrated confidence and rationales that cite the evidence.",
        lifespan=lifespan,
    )
    handlers.install(app)
    app.include_router(health_router)
    app.include_router(extraction_router)
    app.include_router(review_extraction_router)
    app.include_router(review_router)
    app.include_router(taxonomy_router, dependencies=[allowed(Permission.READ_TAXONOMIES)])
    app.include_router(crosswalk_router, dependencies=[allowed(Permission.READ_TAXONOMIES)])
    app.include_router(keys_router)
    app.include_router(credentials.extractions)
    app.include_router(credentials.learners)
    app.include_router(credentials.credentials)
    app.include_router(profiles_router)
    app.include_router(console.router)
    app.mount("/review/static", StaticFiles(directory=console.STATIC_DIR), name="review-static")
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes,
                       per_path={"/v1/taxonomies": settings.max_import_bytes})

    @app.middleware("http")
    async def request_log(request: Request,
                          call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        supplied = request.headers.get("x-request-id", "")
        request_id = supplied if _REQUEST_ID.fullmatch(supplied) else uuid.uuid4().hex
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        try:
            response = await call_next(request)
        finally:
            structlog.contextvars.unbind_contextvars("request_id")
        response.headers["X-Request-ID"] = request_id
        log.info("request.completed", method=request.method, path=request.url.path,
                 status=response.status_code,
                 duration_ms=round((time.perf_counter() - started) * 1000, 1),
                 request_id=request_id)
        return response

    return app
