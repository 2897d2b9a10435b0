"""Request and response bodies of the credentials API."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class IssuedCredentials(_Frozen):
    """The extraction's credentials: one signed OpenBadgeCredential per accepted assertion."""

    extraction_id: str
    learner_ref: str
    issued: int = Field(description="How many were signed by this call; the rest existed.")
    credentials: list[dict[str, Any]] = Field(
        description="Signed OpenBadgeCredentials (Open Badges 3.0), stored byte for byte.")


class Problem(_Frozen):
    """One reason a credential does not verify."""

    code: str = Field(description="Stable: e.g. signature_mismatch, schema_invalid.")
    message: str


class VerificationOut(_Frozen):
    """Whether a credential verifies, and why not."""

    verified: bool
    id: str | None = Field(description="The credential's id, if it has one.")
    type: list[str]
    issuer: str | None
    problems: list[Problem]
