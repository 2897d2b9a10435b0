"""The one error body shape, for OpenAPI."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Every error answers in this shape."""

    error: str = Field(description="The error class from the catalogue, e.g. UnknownTaxonomy.")
    detail: str = Field(description="What went wrong and what to change.")
    errors: list[dict[str, Any]] = Field(default_factory=list,
                                         description="Per-field problems, where there are any.")


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in {401: "Missing, unknown or revoked API key",
                       403: "The key's role may not do this", 404: "Not found",
                       409: "Conflicting concurrent change; retry", 413: "Body too large",
                       422: "Invalid request",
                       429: "Over capacity; retry after Retry-After seconds",
                       503: "Starting up"}.items()
}
