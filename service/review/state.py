"""An assertion's reviewed state, derived from the machine result and the decision log.

Pure domain code: each decision turns the assertion's state before it into the state after it
(``apply``), the log stores both, and the current state is the fold of the log over the
machine result (``replay``). The machine result itself is never changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from service.domain.experience import ConfidenceLevel
from service.domain.results import SkillRef


class ReviewStatus(StrEnum):
    """Where an extraction is in review."""

    PENDING = "pending"  # no decision yet
    IN_REVIEW = "in_review"  # some assertions decided
    REVIEWED = "reviewed"  # every assertion decided


class DecisionAction(StrEnum):
    """What a reviewer did."""

    ACCEPT = "accept"
    REJECT = "reject"
    CORRECT = "correct"
    ADD = "add"  # a skill the machine missed, with its evidence


class AssertionStatus(StrEnum):
    """An assertion's state after the latest decision on it."""

    UNDECIDED = "undecided"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    CORRECTED = "corrected"
    ADDED = "added"


_STATUS_AFTER = {DecisionAction.ACCEPT: AssertionStatus.ACCEPTED,
                 DecisionAction.REJECT: AssertionStatus.REJECTED,
                 DecisionAction.CORRECT: AssertionStatus.CORRECTED,
                 DecisionAction.ADD: AssertionStatus.ADDED}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ReviewSpan(_Frozen):
    """Exact words of evidence (``source_text[start:end]``); a reviewer's has no similarity."""

    source: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    similarity: float | None = None


class ReviewedAssertion(_Frozen):
    """An assertion as review currently stands: the machine's, corrected or added."""

    id: str
    origin: Literal["machine", "reviewer"]
    status: AssertionStatus
    skill: SkillRef
    confidence: ConfidenceLevel
    score: float | None = Field(description="The machine's score; null for added skills.")
    evidence_spans: list[ReviewSpan]
    rationale: str | None = Field(description="The machine's rationale; null for added skills.")

    @classmethod
    def from_machine(cls, assertion: Mapping[str, Any]) -> ReviewedAssertion:
        """An undecided assertion from the stored result (a dict, so new result fields pass)."""
        return cls(id=assertion["id"], origin="machine", status=AssertionStatus.UNDECIDED,
                   skill=SkillRef.model_validate(assertion["skill"]),
                   confidence=assertion["confidence"], score=assertion["score"],
                   evidence_spans=[ReviewSpan.model_validate(s)
                                   for s in assertion["evidence_spans"]],
                   rationale=assertion.get("rationale"))

    @property
    def is_asserted(self) -> bool:
        """Whether review (so far) keeps this skill."""
        return self.status in (AssertionStatus.ACCEPTED, AssertionStatus.CORRECTED,
                               AssertionStatus.ADDED)


class Change(_Frozen):
    """What one decision does, already checked against the extraction."""

    action: DecisionAction
    skill: SkillRef | None = None
    confidence: ConfidenceLevel | None = None
    evidence_spans: list[ReviewSpan] | None = None


def apply(before: ReviewedAssertion | None, change: Change,
          assertion_id: str) -> ReviewedAssertion:
    """The assertion's state after ``change``; ``before`` is None only for an added skill."""
    status = _STATUS_AFTER[change.action]
    if change.action is DecisionAction.ADD:
        if before is not None or change.skill is None or change.confidence is None:
            raise ValueError("an added assertion needs a new id, a skill and a confidence")
        return ReviewedAssertion(id=assertion_id, origin="reviewer", status=status,
                                 skill=change.skill, confidence=change.confidence, score=None,
                                 evidence_spans=change.evidence_spans or [], rationale=None)
    if before is None:
        raise ValueError(f"no assertion {assertion_id} to {change.action.value}")
    updates: dict[str, Any] = {"status": status}
    if change.action is DecisionAction.CORRECT:
        if change.skill is not None:
            updates["skill"] = change.skill
        if change.confidence is not None:
            updates["confidence"] = change.confidence
        if change.evidence_spans is not None:
            updates["evidence_spans"] = change.evidence_spans
    return before.model_copy(update=updates)


def replay(machine: Iterable[ReviewedAssertion],
           log: Iterable[tuple[str, Mapping[str, Any]]]) -> list[ReviewedAssertion]:
    """The current state: each logged ``(assertion id, after)`` replaces the state before it.

    Machine assertions keep their order; added ones follow in the order they were added.
    """
    state = {a.id: a for a in machine}
    for assertion_id, after in log:
        state[assertion_id] = ReviewedAssertion.model_validate(after)
    return list(state.values())


def review_status(state: Iterable[ReviewedAssertion], decisions: int) -> ReviewStatus:
    """Pending before any decision, reviewed once every assertion has one."""
    if decisions == 0:
        return ReviewStatus.PENDING
    if all(a.status is not AssertionStatus.UNDECIDED for a in state):
        return ReviewStatus.REVIEWED
    return ReviewStatus.IN_REVIEW
