"""What an extraction returns: assertions with their evidence and rationale."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from service.domain.experience import ConfidenceLevel
from service.domain.quality import QualityIndicators
from service.domain.taxonomy import SkillType


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class SkillRef(_Frozen):
    """The skill an assertion is about."""

    id: str = Field(description="The CASE identifier of the item.")
    code: str = Field(description='The public code, e.g. "SEP3".')
    label: str
    framework: str = Field(description="The taxonomy id.")
    skill_type: SkillType
    uri: str


class EvidenceSpan(_Frozen):
    """Exact words of evidence: ``text == source_text[start:end]``."""

    source: str = Field(description='"narrative" or "evidence[i]"')
    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    similarity: float


class Equivalent(_Frozen):
    """The same (exactMatchOf) or a related (isRelatedTo) skill in another selected framework."""

    framework: str
    code: str
    label: str
    id: str
    relation: str = Field(description='"exactMatchOf" or "isRelatedTo"')


class SkillAssertion(_Frozen):
    """One skill the experience shows, with its score, confidence and evidence."""

    id: str
    skill: SkillRef
    score: float = Field(ge=0, le=1)
    confidence: ConfidenceLevel
    evidence_spans: list[EvidenceSpan]
    rationale: str
    equivalents: list[Equivalent] = Field(
        default_factory=list,
        description="Crosswalked skills in the other frameworks of the request.")


class TaxonomyVersion(_Frozen):
    """A taxonomy as it was when the extraction ran."""

    id: str
    version: str
    content_hash: str


class ExtractionResult(_Frozen):
    """The pipeline's output for one experience, before it gets an id and is stored."""

    model_id: str
    pipeline_version: str
    components: dict[str, str]
    taxonomies: list[TaxonomyVersion]
    assertions: list[SkillAssertion]
    quality_indicators: QualityIndicators | None = None
