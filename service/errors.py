"""The catalogue of errors the service can answer with.

Every error a client can see is one of these classes: it carries its HTTP status, and its
message says what to fix. The API renders them all in one shape:
``{"error": "ClassName", "detail": "...", "errors": [...]}``.
"""

from __future__ import annotations

from typing import Any


class ServiceError(Exception):
    """Base of every error that reaches a client."""

    status_code: int = 500

    def __init__(self, detail: str, *, errors: list[dict[str, Any]] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []
        self.headers: dict[str, str] = {}


class InvalidExperience(ServiceError):
    """The submitted experience breaks a rule that the schema alone cannot express."""

    status_code = 422


class UnknownTaxonomy(ServiceError):
    """A request named a taxonomy id that is not installed."""

    status_code = 422

    def __init__(self, unknown: list[str], known: list[str]) -> None:
        super().__init__(
            f"Unknown taxonomy id(s): {', '.join(unknown)}. Known ids: {', '.join(known)}.",
            errors=[{"loc": ["body", "options", "taxonomies"], "unknown": unknown,
                     "known": known}],
        )


class TaxonomyNotFound(ServiceError):
    """A path named a taxonomy that is not installed."""

    status_code = 404


class ExtractionNotFound(ServiceError):
    """No stored extraction has this id."""

    status_code = 404


class PayloadTooLarge(ServiceError):
    """The request body is larger than the configured limit."""

    status_code = 413


class Overloaded(ServiceError):
    """The inference queue is full; the client should retry later."""

    status_code = 429

    def __init__(self, detail: str, retry_after_s: int = 1) -> None:
        super().__init__(detail)
        self.headers = {"Retry-After": str(retry_after_s)}


class NotReady(ServiceError):
    """The service is still starting (model warming up, indexes loading)."""

    status_code = 503


class InvalidTaxonomyPackage(ServiceError):
    """A taxonomy package cannot be loaded: the message names the problem."""

    status_code = 422


class Unauthenticated(ServiceError):
    """No API key, a malformed one, or one that is unknown or revoked."""

    status_code = 401

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.headers = {"WWW-Authenticate": "Bearer"}


class Forbidden(ServiceError):
    """The key is valid but its role may not do this."""

    status_code = 403


class AssertionNotFound(ServiceError):
    """The extraction has no assertion with this id."""

    status_code = 404


class ApiKeyNotFound(ServiceError):
    """The tenant has no API key with this id."""

    status_code = 404


class InvalidDecision(ServiceError):
    """A review decision names a skill, span or source that does not fit the extraction."""

    status_code = 422


class DecisionConflict(ServiceError):
    """Another decision on the same extraction was recorded at the same moment."""

    status_code = 409


class LearnerNotFound(ServiceError):
    """The tenant has no experience (or no credential) for this learner reference."""

    status_code = 404


class NothingToIssue(ServiceError):
    """A credential needs a learner and an accepted assertion; the extraction lacks one."""

    status_code = 422


class TaxonomyConflict(ServiceError):
    """An import would change a framework that only a release may change."""

    status_code = 409
