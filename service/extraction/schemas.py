"""Request and response bodies of the extraction API."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from service.domain.experience import Experience, ExtractionOptions
from service.domain.quality import QualityIndicators
from service.domain.results import SkillAssertion, TaxonomyVersion


class ExtractionRequest(Experience):
    """An experience to read, with options for what to return."""

    options: ExtractionOptions = Field(default_factory=ExtractionOptions)

    def experience(self) -> Experience:
        """The experience without the options."""
        return Experience.model_validate(self.model_dump(exclude={"options"}))


class ExtractionResponse(BaseModel):
    """A stored extraction, exactly as first returned."""

    model_config = ConfigDict(frozen=True)

    id: str
    created_at: datetime
    learner_ref: str | None
    external_id: str | None
    model_id: str
    pipeline_version: str
    components: dict[str, str]
    taxonomies: list[TaxonomyVersion]
    assertions: list[SkillAssertion]
    quality_indicators: QualityIndicators | None = None
