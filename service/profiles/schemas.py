"""Response bodies of the profile API."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from service.review.state import AssertionStatus, ReviewSpan


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class ProfileSkill(_Frozen):
    """A framework item."""

    id: str
    framework: str
    code: str
    label: str


class SupportingExperience(_Frozen):
    """One experience's assertion that supports a skill (or one of its descendants)."""

    extraction_id: str
    assertion_id: str
    skill_code: str = Field(description="The asserted item: the skill or a descendant of it.")
    category: str
    organization: str | None
    title: str | None
    reviewed: bool = Field(description="False only for unreviewed ones, when asked for.")
    status: AssertionStatus
    score: float | None
    confidence: str
    evidence_spans: list[ReviewSpan]


class Contexts(_Frozen):
    """How many distinct contexts the supporting experiences come from."""

    categories: int
    organizations: int


class SkillEntry(_Frozen):
    """A skill's aggregate over the learner's experiences."""

    skill: ProfileSkill
    confidence: float = Field(ge=0, le=1, description="Aggregated (README: Competency profiles).")
    level: Literal["low", "medium", "high"]
    direct: bool = Field(description="Asserted itself, not only through descendants.")
    rolled_up_from: list[str] = Field(description="Codes of descendants whose evidence counts.")
    contexts: Contexts
    experiences: list[SupportingExperience]


class CategoryShare(_Frozen):
    """How often experiences of a category show an item."""

    category: str
    share: float = Field(ge=0, le=1, description="Of the tenant's stored experiences "
                                                 "of this category, the share showing it.")


class CoverageItem(_Frozen):
    """A target framework item: demonstrated, or where it usually shows."""

    skill: ProfileSkill
    status: Literal["demonstrated", "missing"]
    confidence: float | None
    level: Literal["low", "medium", "high"] | None
    typical_categories: list[CategoryShare]


class Coverage(_Frozen):
    """How much of a target framework the profile covers."""

    framework: str
    demonstrated: int
    total: int
    typical_categories_source: str
    items: list[CoverageItem]


class ProfileOut(_Frozen):
    """A learner's competency profile."""

    learner_ref: str
    include_unreviewed: bool
    experiences: int
    skills: list[SkillEntry]
    target: Coverage | None = None
