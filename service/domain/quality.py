"""Experience Quality Indicators as results carry them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

DIMENSIONS = ("responsibility", "complexity", "novelty")
LEVELS = (1, 2, 3, 4)


class QualityIndicator(BaseModel):
    """One indicator's level with where it came from and why."""

    model_config = ConfigDict(frozen=True)

    level: int = Field(ge=1, le=4)
    source: Literal["estimated", "verified"]
    probability: float | None = Field(default=None, description="Of the estimated level.")
    rationale: str
    evidence_span: dict[str, Any] | None = None


class QualityIndicators(BaseModel):
    """The three indicators of an experience."""

    model_config = ConfigDict(frozen=True)

    responsibility: QualityIndicator
    complexity: QualityIndicator
    novelty: QualityIndicator

    def levels(self) -> dict[str, int]:
        """Dimension -> level."""
        return {d: getattr(self, d).level for d in DIMENSIONS}


class VerifiedQuality(BaseModel):
    """Levels a platform has verified; any it sends win over the estimate."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    responsibility: int | None = Field(default=None, ge=1, le=4)
    complexity: int | None = Field(default=None, ge=1, le=4)
    novelty: int | None = Field(default=None, ge=1, le=4)
