"""``/healthz`` (the process answers) and ``/readyz`` (it can serve extractions)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Alive")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", summary="Ready to serve")
async def readyz(request: Request) -> JSONResponse:
    """Model warmed, indexes loaded, database reachable; 503 otherwise."""
    runtime = getattr(request.app.state, "runtime", None)
    if runtime is None:
        return JSONResponse({"status": "starting"}, status_code=503)
    database = await runtime.database_reachable()
    ready = runtime.readiness.model_warmed and database and bool(runtime.readiness.indexes)
    body = {
        "status": "ready" if ready else "not_ready",
        "model": {"id": runtime.encoder.model_id, "warmed": runtime.readiness.model_warmed},
        "indexes": runtime.readiness.indexes,
        "database": "reachable" if database else "unreachable",
        "startup_seconds": runtime.readiness.startup_seconds,
    }
    return JSONResponse(body, status_code=200 if ready else 503)
