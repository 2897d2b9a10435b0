"""The review console at ``/review``: server-rendered pages over the review use case.

A reviewer signs in with an API key; the console keeps a signed session of it (never the key
itself, ``service/access/sessions.py``) in an HttpOnly, SameSite=Strict cookie scoped to
``/review``, and every page and form checks the session and its key, as the API checks a
bearer key.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from service.access.repository import ApiKeyRepository
from service.access.roles import Permission, Principal
from service.api.deps import RuntimeDep, SessionDep
from service.domain.experience import ConfidenceLevel
from service.errors import ServiceError, Unauthenticated
from service.review.pages import extraction_page
from service.review.repository import ReviewRepository
from service.review.schemas import AssertionIn, DecisionIn
from service.review.state import ReviewStatus
from service.runtime import Runtime

HERE = Path(__file__).resolve().parent
STATIC_DIR = HERE / "static"
COOKIE = "review_session"
RAW_KEY_COOKIE = "review_key"  # held the key itself before sessions; cleared when seen
PAGE_SIZE = 25
_ASSERTION_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")

templates = Jinja2Templates(directory=HERE / "templates")
router = APIRouter(prefix="/review", include_in_schema=False)


def _render(request: Request, template: str, context: dict[str, Any],
            status_code: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, template, context, status_code=status_code)
    response.headers["Content-Security-Policy"] = _CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = "no-store"
    return response


async def _reviewer(request: Request, runtime: Runtime, session: SessionDep) -> Principal | None:
    """The signed-in reviewer, or None (then the page redirects to sign in)."""
    if runtime.settings.auth_disabled:
        return Principal.development()
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        principal = await runtime.access.authenticate_session(ApiKeyRepository(session), token,
                                                              runtime.console_sessions)
    except Unauthenticated:
        return None
    return principal if principal.can(Permission.REVIEW) else None


def _same_origin(request: Request) -> bool:
    """Forms are posted from our own pages (the cookie is SameSite=Strict as well)."""
    origin = request.headers.get("origin")
    return origin is None or origin == f"{request.url.scheme}://{request.url.netloc}"


def _to_sign_in() -> RedirectResponse:
    response = RedirectResponse("/review/sign-in", status_code=303)
    response.delete_cookie(RAW_KEY_COOKIE, path="/review")
    return response


@router.get("/sign-in")
async def sign_in_form(request: Request) -> HTMLResponse:
    """The sign-in page."""
    return _render(request, "sign_in.html", {"error": None})


@router.post("/sign-in")
async def sign_in(request: Request, runtime: RuntimeDep, session: SessionDep) -> Response:
    """Check the key; a reviewer's opens a session, which the console cookie keeps."""
    if not _same_origin(request):
        return _render(request, "sign_in.html", {"error": "Sign in from this page."}, 403)
    key = str((await request.form()).get("key", "")).strip()
    try:
        principal, opened = await runtime.access.open_session(
            ApiKeyRepository(session), key, runtime.console_sessions)
    except Unauthenticated as exc:
        return _render(request, "sign_in.html", {"error": exc.detail}, 401)
    if not principal.can(Permission.REVIEW):
        return _render(request, "sign_in.html", {
            "error": f"This is a {principal.role} key; the console needs a reviewer key."}, 403)
    response = RedirectResponse("/review", status_code=303)
    response.set_cookie(COOKIE, opened, httponly=True, samesite="strict", path="/review",
                        secure=request.url.scheme == "https",
                        max_age=int(runtime.console_sessions.lifetime.total_seconds()))
    response.delete_cookie(RAW_KEY_COOKIE, path="/review")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, runtime: RuntimeDep, session: SessionDep) -> Response:
    """End the key's console sessions, here and on every other device, and forget the
    cookie."""
    token = request.cookies.get(COOKIE)
    if token and _same_origin(request):
        await runtime.access.sign_out(ApiKeyRepository(session), token,
                                      runtime.console_sessions)
    response = _to_sign_in()
    response.delete_cookie(COOKIE, path="/review")
    return response


@router.get("")
async def queue(
    request: Request, runtime: RuntimeDep, session: SessionDep,
    status: Annotated[ReviewStatus | None, Query()] = None,
    framework: Annotated[str | None, Query(max_length=64)] = None,
    confidence: Annotated[ConfidenceLevel | None, Query()] = None,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
) -> Response:
    """The review queue, filtered and paginated."""
    principal = await _reviewer(request, runtime, session)
    if principal is None:
        return _to_sign_in()
    framework = framework or None
    result = await runtime.reviews.queue(
        ReviewRepository(session), principal, status=status, framework=framework,
        confidence=confidence.value if confidence else None, limit=PAGE_SIZE,
        offset=(page - 1) * PAGE_SIZE)
    return _render(request, "queue.html", {
        "principal": principal, "page": result, "page_number": page,
        "pages": max(1, -(-result.total // PAGE_SIZE)),
        "filters": {"status": status.value if status else "", "framework": framework or "",
                    "confidence": confidence.value if confidence else ""},
        "frameworks": [t.id for t in runtime.catalog], "statuses": list(ReviewStatus),
        "confidences": list(ConfidenceLevel)})


async def _extraction(request: Request, runtime: Runtime, session: SessionDep,
                      principal: Principal, extraction_id: str, selected: str | None = None,
                      error: str | None = None, status_code: int = 200) -> HTMLResponse:
    try:
        review = await runtime.reviews.load(ReviewRepository(session), extraction_id,
                                            principal.tenant_id)
    except ServiceError as exc:
        return _render(request, "error.html", {"principal": principal, "error": exc},
                       exc.status_code)
    page = extraction_page(review, runtime.reviews.taxonomies)
    return _render(request, "extraction.html", {
        "principal": principal, "page": page, "error": error,
        "selected": selected if selected and _ASSERTION_ID.fullmatch(selected) else None,
        "confidences": list(ConfidenceLevel)}, status_code)


@router.get("/extractions/{extraction_id}")
async def extraction(request: Request, extraction_id: str, runtime: RuntimeDep,
                     session: SessionDep,
                     selected: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """One experience: its texts with highlighted spans, the assertions and their history."""
    principal = await _reviewer(request, runtime, session)
    if principal is None:
        return _to_sign_in()
    return await _extraction(request, runtime, session, principal, extraction_id, selected)


@router.post("/extractions/{extraction_id}/assertions/{assertion_id}/decisions")
async def decide(request: Request, extraction_id: str, assertion_id: str, runtime: RuntimeDep,
                 session: SessionDep) -> Response:
    """Accept, reject or correct from the console, then show the next assertion."""
    principal = await _reviewer(request, runtime, session)
    if principal is None or not _same_origin(request):
        return _to_sign_in()
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    action = form.get("action", "")
    body: dict[str, Any] = {"action": action, "comment": form.get("comment") or None}
    if action == "correct":
        body |= _correction(form)
    try:
        decision = DecisionIn.model_validate(body)
        await runtime.reviews.decide(ReviewRepository(session), extraction_id, assertion_id,
                                     decision, principal)
    except (ValidationError, ServiceError) as exc:
        return await _extraction(request, runtime, session, principal, extraction_id,
                                 assertion_id, _message(exc), _status(exc))
    following = form.get("next", "")
    selected = following if _ASSERTION_ID.fullmatch(following) else assertion_id
    return RedirectResponse(f"/review/extractions/{extraction_id}?selected={selected}",
                            status_code=303)


@router.post("/extractions/{extraction_id}/assertions")
async def add(request: Request, extraction_id: str, runtime: RuntimeDep,
              session: SessionDep) -> Response:
    """Add a skill the machine missed, with the selected words as its evidence."""
    principal = await _reviewer(request, runtime, session)
    if principal is None or not _same_origin(request):
        return _to_sign_in()
    form = {k: str(v).strip() for k, v in (await request.form()).items()}
    body = _correction(form) | {"comment": form.get("comment") or None}
    try:
        added = await runtime.reviews.add(ReviewRepository(session), extraction_id,
                                          AssertionIn.model_validate(body), principal)
    except (ValidationError, ServiceError) as exc:
        return await _extraction(request, runtime, session, principal, extraction_id, None,
                                 _message(exc), _status(exc))
    return RedirectResponse(
        f"/review/extractions/{extraction_id}?selected={added.assertion_id}", status_code=303)


def _correction(form: dict[str, str]) -> dict[str, Any]:
    """The optional skill, confidence and span fields of a console form."""
    body: dict[str, Any] = {}
    if form.get("skill"):
        framework, _, code = form["skill"].partition(":")
        body["skill"] = {"framework": framework, "code": code}
    if form.get("confidence"):
        body["confidence"] = form["confidence"]
    if form.get("span_source"):
        body["evidence_spans"] = [{"source": form["span_source"],
                                   "start": form.get("span_start"),
                                   "end": form.get("span_end")}]
    return body


def _message(exc: ValidationError | ServiceError) -> str:
    if isinstance(exc, ServiceError):
        return exc.detail
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'form'}: {e['msg']}"
                     for e in exc.errors(include_input=False))


def _status(exc: ValidationError | ServiceError) -> int:
    return exc.status_code if isinstance(exc, ServiceError) else 422
