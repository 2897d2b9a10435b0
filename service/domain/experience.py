"""An experience as a learner's platform submits it."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from service.domain.quality import VerifiedQuality

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=300)]
OpaqueRef = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128,
                           pattern=r"^[A-Za-z0-9._:@/+-]+$")
]


class ExperienceCategory(StrEnum):
    """The kind of experience, as LER platforms classify them."""

    EMPLOYMENT = "employment"
    WORK_BASED = "work_based"
    ENTREPRENEURIAL = "entrepreneurial"
    CIVIC_ENGAGEMENT = "civic_engagement"
    SERVICE = "service"
    INDEPENDENT = "independent"
    COURSE = "course"
    EXTRACURRICULAR = "extracurricular"


class EvidenceKind(StrEnum):
    """What an evidence item is; endorsements by third parties weigh most."""

    ENDORSEMENT = "endorsement"
    REFLECTION = "reflection"
    ARTIFACT = "artifact"
    PORTFOLIO = "portfolio"
    ASSESSMENT = "assessment"
    QUANTITATIVE = "quantitative"
    OTHER = "other"


class Relationship(StrEnum):
    """How an evidence author relates to the learner."""

    SUPERVISOR = "supervisor"
    TEACHER = "teacher"
    MENTOR = "mentor"
    PEER = "peer"
    CLIENT = "client"
    SELF = "self"
    OTHER = "other"


class ConfidenceLevel(StrEnum):
    """Coarse confidence, ordered low < medium < high."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"

    @property
    def rank(self) -> int:
        """Position in the order low < medium < high."""
        return ("low", "medium", "high").index(self.value)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Organization(_Strict):
    """Where the experience took place."""

    name: ShortText | None = None
    type: ShortText | None = None
    sector: ShortText | None = None


class EvidenceAuthor(_Strict):
    """Who wrote an evidence item. The name is kept for reviewers, never logged."""

    name: ShortText | None = None
    role: ShortText | None = None
    relationship: Relationship | None = None


class EvidenceItem(_Strict):
    """One piece of evidence: an endorsement, a reflection, an artefact description, ..."""

    kind: EvidenceKind
    text: str = Field(min_length=1,
                      description="The evidence text; refused, never cut, if too long.")
    author: EvidenceAuthor | None = None
    url: Annotated[str, StringConstraints(max_length=2048)] | None = None

    @model_validator(mode="after")
    def _text_not_blank(self) -> EvidenceItem:
        if not self.text.strip():
            raise ValueError("text must contain more than whitespace")
        return self


class ExtractionOptions(_Strict):
    """What the caller wants back."""

    taxonomies: list[Annotated[str, StringConstraints(min_length=1, max_length=64)]] | None = Field(
        default=None, max_length=50,
        description="Taxonomy ids to search; default: every bundled taxonomy marked default.")
    min_confidence: ConfidenceLevel = ConfidenceLevel.LOW
    max_assertions: int | None = Field(default=None, ge=1, le=1000)


class Experience(_Strict):
    """A learner's experience with its evidence: the unit the pipeline reads."""

    category: ExperienceCategory
    title: ShortText | None = None
    narrative: str = Field(min_length=1, description="The learner's own account.")
    role: ShortText | None = None
    organization: Organization | None = None
    start_date: date | None = None
    end_date: date | None = None
    hours: float | None = Field(default=None, ge=0, le=100_000)
    location: ShortText | None = None
    evidence: list[EvidenceItem] = Field(default_factory=list)
    learner_ref: OpaqueRef | None = None
    external_id: OpaqueRef | None = None
    quality_indicators: VerifiedQuality | None = Field(
        default=None, description="Levels the platform has verified; they win over estimates.")

    @field_validator("evidence", mode="before")
    @classmethod
    def _null_is_no_evidence(cls, value: object) -> object:
        return [] if value is None else value

    @model_validator(mode="after")
    def _coherent(self) -> Experience:
        if not self.narrative.strip():
            raise ValueError("narrative must contain more than whitespace")
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        return self

    def sources(self) -> list[tuple[str, str]]:
        """Every text the pipeline reads, named as spans refer to them."""
        named = [("narrative", self.narrative)]
        named += [(f"evidence[{i}]", item.text) for i, item in enumerate(self.evidence)]
        return named
