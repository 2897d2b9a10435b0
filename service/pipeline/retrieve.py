"""Candidate skills per segment, from one vector index per taxonomy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from service.domain.taxonomy import SkillItem, Taxonomy
from service.pipeline.embed import Vectors


@dataclass(frozen=True, slots=True)
class Match:
    """A segment's similarity to one skill, through the skill's best-matching facet."""

    segment: int
    item: SkillItem
    similarity: float
    facet: str


class SkillIndex(Protocol):
    """Nearest skills of one taxonomy for a batch of query vectors."""

    @property
    def taxonomy(self) -> Taxonomy:
        """The taxonomy this index was built from."""
        ...

    def search(self, queries: Vectors, k: int) -> list[list[tuple[SkillItem, float, str]]]:
        """Per query, up to ``k`` distinct items with their best similarity and facet."""
        ...


class CandidateRetriever:
    """Keeps, for each segment, the top skills above a similarity floor."""

    name = "retrieve.faiss-multifacet"
    version = "1"

    def __init__(self, per_segment: int = 8, floor: float = 0.25) -> None:
        self.per_segment = per_segment
        self.floor = floor

    def retrieve(self, vectors: Vectors, index: SkillIndex) -> list[Match]:
        """Matches of every segment against one taxonomy."""
        if len(vectors) == 0:
            return []
        matches: list[Match] = []
        for segment, hits in enumerate(index.search(vectors, self.per_segment)):
            matches += [Match(segment, item, sim, facet)
                        for item, sim, facet in hits if sim >= self.floor]
        return matches


def document_similarities(vectors: Vectors, index: SkillIndex, k: int = 64) -> dict[str, float]:
    """The whole experience (its normalised mean sentence vector) against the skills.

    A sentence may miss a skill that the experience as a whole shows; this is the second view.
    """
    if len(vectors) == 0:
        return {}
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    if norm == 0.0:
        return {}
    query = (mean / norm).astype(np.float32)[None, :]
    return {item.identifier: sim for item, sim, _ in index.search(query, k)[0]}
