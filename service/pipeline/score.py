"""Aggregate segment matches into one evidence-weighted score per skill."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass

from service.domain.taxonomy import SkillItem
from service.pipeline.retrieve import Match
from service.pipeline.segment import Segment
from service.pipeline.sources import SourceProfile


@dataclass(frozen=True, slots=True)
class SupportingSegment:
    """The best-matching segment of one source for a skill."""

    segment: Segment
    similarity: float
    facet: str
    source: SourceProfile


@dataclass(frozen=True, slots=True)
class SkillEvidence:
    """A skill's aggregated score and the segments behind it, strongest first."""

    taxonomy_id: str
    item: SkillItem
    score: float
    support: tuple[SupportingSegment, ...]

    @property
    def independent_sources(self) -> int:
        """How many distinct texts support the skill."""
        return len({s.source.name for s in self.support})

    @property
    def best_similarity(self) -> float:
        """Similarity of the strongest supporting segment."""
        return max(s.similarity for s in self.support)


class EvidenceWeightedScorer:
    """Noisy-OR over sources: each source's best match, squashed and weighted by its kind.

    A source contributes ``weight * sigmoid((similarity - midpoint) / temperature)``; the skill
    scores ``1 - prod(1 - contribution)``, so independent sources corroborate one another and a
    supervisor's endorsement counts more than the learner's own reflection.
    """

    name = "score.evidence-weighted"
    version = "1"

    def __init__(self, midpoint: float = 0.45, temperature: float = 0.05,
                 spans_per_source: int = 2) -> None:
        self.midpoint = midpoint
        self.temperature = temperature
        self.spans_per_source = spans_per_source

    def contribution(self, similarity: float, source: SourceProfile) -> float:
        """One source's support for a skill, in [0, weight]."""
        return source.weight / (1.0 + math.exp(-(similarity - self.midpoint) / self.temperature))

    def aggregate(self, taxonomy_id: str, matches: list[Match], segments: list[Segment],
                  sources: dict[str, SourceProfile]) -> list[SkillEvidence]:
        """One SkillEvidence per skill that any segment matched."""
        by_item: dict[str, list[Match]] = defaultdict(list)
        for match in matches:
            by_item[match.item.identifier].append(match)
        results = []
        for item_matches in by_item.values():
            per_source: dict[str, list[SupportingSegment]] = defaultdict(list)
            for m in sorted(item_matches, key=lambda m: -m.similarity):
                seg = segments[m.segment]
                per_source[seg.source].append(
                    SupportingSegment(seg, m.similarity, m.facet, sources[seg.source]))
            missing = 1.0
            support: list[SupportingSegment] = []
            for supporting in per_source.values():
                best = supporting[0]
                missing *= 1.0 - self.contribution(best.similarity, best.source)
                support += supporting[: self.spans_per_source]
            support.sort(key=lambda s: (-self.contribution(s.similarity, s.source),
                                        s.segment.source, s.segment.start))
            results.append(SkillEvidence(taxonomy_id, item_matches[0].item, 1.0 - missing,
                                         tuple(support)))
        return results
