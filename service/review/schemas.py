"""Request and response bodies of the review API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from service.domain.experience import ConfidenceLevel
from service.review.state import DecisionAction, ReviewedAssertion, ReviewStatus

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SkillChoice(_Strict):
    """A skill by framework and code, e.g. ``{"framework": "ngss-sep", "code": "SEP4"}``."""

    framework: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    code: Annotated[str, StringConstraints(min_length=1, max_length=64)]


class SpanChoice(_Strict):
    """Words of the experience by position; the server reads the text from the stored request."""

    source: Annotated[str, StringConstraints(pattern=r"^(narrative|evidence\[\d{1,3}\])$")]
    start: int = Field(ge=0)
    end: int = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> SpanChoice:
        if self.end <= self.start:
            raise ValueError("end must be greater than start")
        return self


class DecisionIn(_Strict):
    """A reviewer's decision on one assertion."""

    action: Literal["accept", "reject", "correct"]
    comment: Comment | None = None
    skill: SkillChoice | None = Field(None, description="correct: the right skill.")
    confidence: ConfidenceLevel | None = Field(None, description="correct: the right level.")
    evidence_spans: list[SpanChoice] | None = Field(
        None, min_length=1, max_length=20, description="correct: the words that show it.")

    @model_validator(mode="after")
    def _changes_only_when_correcting(self) -> DecisionIn:
        changes = [self.skill, self.confidence, self.evidence_spans]
        if self.action == "correct" and all(c is None for c in changes):
            raise ValueError("a correction changes the skill, the confidence or the evidence "
                             "spans; send at least one")
        if self.action != "correct" and any(c is not None for c in changes):
            raise ValueError(f"'{self.action}' takes only a comment; use 'correct' to change "
                             "the skill, confidence or spans")
        return self


class AssertionIn(_Strict):
    """A skill the machine missed, with the evidence that shows it."""

    skill: SkillChoice
    confidence: ConfidenceLevel
    evidence_spans: list[SpanChoice] = Field(min_length=1, max_length=20)
    comment: Comment | None = None


class DecisionOut(BaseModel):
    """One entry of the audit log: who decided what, when, and the state before and after."""

    id: str
    extraction_id: str
    seq: int
    assertion_id: str
    action: DecisionAction
    comment: str | None
    decided_by: str = Field(description="The id of the reviewer's API key.")
    decided_at: datetime
    before: ReviewedAssertion | None = Field(description="Null when a skill was added.")
    after: ReviewedAssertion


class DecisionList(BaseModel):
    """An assertion's decisions, oldest first."""

    decisions: list[DecisionOut]


class ReviewOut(BaseModel):
    """An extraction's review: its status and each assertion as review stands."""

    extraction_id: str
    review_status: ReviewStatus
    decisions: int
    assertions: list[ReviewedAssertion]


class QueueItem(BaseModel):
    """One extraction in the review queue."""

    id: str
    created_at: datetime
    category: str
    title: str | None
    learner_ref: str | None
    external_id: str | None
    review_status: ReviewStatus
    assertions: int
    by_confidence: dict[str, int]


class QueuePage(BaseModel):
    """A page of the review queue, oldest first."""

    total: int
    offset: int
    limit: int
    items: list[QueueItem]
