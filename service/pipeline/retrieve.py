"""Candidate skills per segment, from one vector index per taxonomy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from service.domain.taxonomy import SkillItem, Taxonomy
from service.pipeline.embed import Embedder, Vectors
from service.pipeline.lexical import clauses


@dataclass(frozen=True, slots=True)
class Match:
    """A segment's similarity to one skill, through the skill's best-matching facet."""

    segment: int
    item: SkillItem
    similarity: float
    facet: str


def clause_texts(sentences: Sequence[str]) -> tuple[list[str], list[int]]:
    """Every clause of every sentence, and the number of the sentence each belongs to."""
    texts: list[str] = []
    owners: list[int] = []
    for n, sentence in enumerate(sentences):
        found = clauses(sentence)
        texts += found
        owners += [n] * len(found)
    return texts, owners


@dataclass(frozen=True, slots=True)
class SentenceQueries:
    """Sentences and their clauses, embedded: what retrieval searches with."""

    sentences: Sequence[str]
    vectors: Vectors
    clause_vectors: Vectors
    clause_owners: Sequence[int]  # the sentence of each clause vector

    @staticmethod
    def texts(sentences: Sequence[str]) -> tuple[list[str], list[int]]:
        """What to embed: the sentences, then their clauses; and each clause's sentence."""
        clause, owners = clause_texts(sentences)
        return [*sentences, *clause], owners

    @classmethod
    def embed(cls, sentences: Sequence[str], embedder: Embedder) -> SentenceQueries:
        """Embed the sentences and their clauses in one call."""
        texts, owners = cls.texts(sentences)
        vectors = (embedder.embed(texts) if texts
                   else np.zeros((0, embedder.dimension), dtype=np.float32))
        return cls.split(sentences, vectors, owners)

    @classmethod
    def split(cls, sentences: Sequence[str], vectors: Vectors,
              owners: Sequence[int] | None = None) -> SentenceQueries:
        """From vectors of the sentences followed by their clauses (``clause_texts`` order)."""
        if owners is None:
            owners = clause_texts(sentences)[1]
        if len(vectors) != len(sentences) + len(owners):
            raise ValueError(f"{len(vectors)} vectors for {len(sentences)} sentences and "
                             f"{len(owners)} clauses: embed the clauses too "
                             "(ExtractionPipeline.texts_to_embed)")
        n = len(sentences)
        return cls(sentences, vectors[:n], vectors[n:], owners)


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
    """Keeps, for each segment, the top skills above a similarity floor.

    A segment is searched as itself and as each of its clauses: a sentence that joins several
    things the learner did ("I booked the venue and kept the budget") matches each one through
    its clause, where the whole sentence's vector is a blur of both. A clause's match counts
    for its sentence, which stays the evidence span; a skill keeps its best similarity per
    segment.
    """

    name = "retrieve.faiss-multifacet-clauses"
    version = "1"

    def __init__(self, per_segment: int = 8, floor: float = 0.25) -> None:
        self.per_segment = per_segment
        self.floor = floor

    def retrieve(self, queries: SentenceQueries, index: SkillIndex) -> list[Match]:
        """Matches of every segment, through itself or its clauses, against one taxonomy."""
        if len(queries.vectors) == 0:
            return []
        owners = [*range(len(queries.vectors)), *queries.clause_owners]
        vectors = (np.concatenate([queries.vectors, queries.clause_vectors])
                   if len(queries.clause_vectors) else queries.vectors)
        best: dict[tuple[int, str], Match] = {}
        for row, hits in enumerate(index.search(vectors, self.per_segment)):
            for item, sim, facet in hits:
                key = (owners[row], item.identifier)
                if sim >= self.floor and (key not in best or sim > best[key].similarity):
                    best[key] = Match(owners[row], item, sim, facet)
        return sorted(best.values(), key=lambda m: (m.segment, -m.similarity))


def document_similarities(experience: npt.NDArray[np.float64] | None, index: SkillIndex,
                          k: int = 64) -> dict[str, float]:
    """The whole experience (``prior.experience_vector``) against the skills' nearest ``k``.

    A sentence may miss a skill that the experience as a whole shows; this is the second view.
    """
    if experience is None:
        return {}
    query = experience.astype(np.float32)[None, :]
    return {item.identifier: sim for item, sim, _ in index.search(query, k)[0]}
