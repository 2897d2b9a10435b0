"""Render every error in one JSON shape."""

from __future__ import annotations

from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.errors import ServiceError

log = structlog.get_logger(__name__)


def _body(error: str, detail: str, errors: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"error": error, "detail": detail, "errors": errors or []}


async def _service_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return JSONResponse(_body(type(exc).__name__, exc.detail, exc.errors),
                        status_code=exc.status_code, headers=exc.headers)


async def _validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    for err in exc.errors():
        # Echo where and what, never the submitted value: it may be learner text.
        errors.append({"loc": list(err.get("loc", ())), "type": err.get("type"),
                       "msg": err.get("msg")})
    where = "; ".join(f"{'.'.join(str(p) for p in e['loc'][1:]) or 'body'}: {e['msg']}"
                      for e in errors[:5])
    return JSONResponse(_body("RequestValidationError", f"Invalid request. {where}", errors),
                        status_code=422)


async def _http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    return JSONResponse(_body("HTTPException", str(exc.detail)), status_code=exc.status_code,
                        headers=dict(exc.headers or {}))


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("request.failed", error_type=type(exc).__name__)
    return JSONResponse(_body("InternalError", "An unexpected error occurred; it was logged."),
                        status_code=500)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
