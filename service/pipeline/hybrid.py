"""The hybrid ranking of skills for a sentence: the bi-encoder plus what it misses.

``score = 0.7 cos(sentence, label) + 0.3 max(cos(c, label) over c in the sentence and its
clauses) + 0.2 cos(sentence, description) + lexical(sentence, label and alternative names)``.

Clauses let a sentence that lists several skills match each of them; the description adds what
a short label leaves out; the lexical view (``LexicalMatcher``) rewards the literal skill name
("Java", "SQL") that a small encoder blurs among its neighbours. One component, two users: the
ESCO sentence benchmark ranks its label list with it (``service/evaluation/decorte.py``), and
the pipeline retrieves with it the skills of a framework whose manifest says
``"retrieval": "hybrid"`` (the full ESCO taxonomy).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from service.domain.taxonomy import SkillItem, Taxonomy
from service.pipeline.embed import Vectors
from service.pipeline.lexical import LexicalMatcher
from service.pipeline.retrieve import Match, SentenceQueries, SkillIndex

Scores = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True)
class HybridScores:
    """(sentences x skills) matrices: the hybrid score and the cosines it is made of."""

    combined: Scores
    label: Scores  # max of cos(text, label) over the sentence and its clauses
    description: Scores  # cos(sentence, description)


class HybridScorer:
    """Scores every skill of a list for each sentence with the hybrid formula."""

    name = "hybrid.clauses-description-lexical"
    version = "1"
    SENTENCE, CLAUSE, DESCRIPTION = 0.7, 0.3, 0.2

    def __init__(self, label_vectors: Vectors, description_vectors: Vectors,
                 lexical: LexicalMatcher, names_digest: str = "") -> None:
        if not (len(label_vectors) == len(description_vectors) == lexical.size):
            raise ValueError("labels, descriptions and the lexical matcher differ in length")
        self._labels = np.ascontiguousarray(label_vectors, dtype=np.float32)
        self._descriptions = np.ascontiguousarray(description_vectors, dtype=np.float32)
        self._lexical = lexical
        # Which names the lexical view matches. Alternative labels may ship beside a package
        # (ESCO's sidecar), outside its content hash; results record this digest instead.
        self.names_digest = names_digest

    @classmethod
    def fit(cls, labels: Sequence[str], alternatives: Sequence[Sequence[str]],
            label_vectors: Vectors, description_vectors: Vectors) -> HybridScorer:
        """The scorer of one list of skills: their names' vectors and TF-IDF views."""
        names = "\n".join(f"{label}\t{'|'.join(alts)}"
                           for label, alts in zip(labels, alternatives, strict=True))
        return cls(label_vectors, description_vectors, LexicalMatcher(labels, alternatives),
                   hashlib.sha256(names.encode("utf-8")).hexdigest()[:16])

    @property
    def component(self) -> str:
        """``name.vN``, as results and benchmark runs record it."""
        return f"{self.name}.v{self.version}"

    @property
    def size(self) -> int:
        """Number of skills scored."""
        return len(self._labels)

    def cosines(self, vectors: Vectors) -> Scores:
        """(vectors x skills): the best of cos(vector, label) and cos(vector, description)."""
        best: Scores = np.maximum(vectors @ self._labels.T, vectors @ self._descriptions.T)
        return best

    def score(self, queries: SentenceQueries) -> HybridScores:
        """Every skill for every sentence."""
        label = queries.vectors @ self._labels.T
        best = label.copy()
        if len(queries.clause_vectors):
            clause_sims = queries.clause_vectors @ self._labels.T
            for row, owner in enumerate(queries.clause_owners):
                np.maximum(best[owner], clause_sims[row], out=best[owner])
        description = queries.vectors @ self._descriptions.T
        combined = (self.SENTENCE * label + self.CLAUSE * best + self.DESCRIPTION * description
                    + self._lexical.similarities(queries.sentences)).astype(np.float32)
        return HybridScores(combined, best.astype(np.float32), description.astype(np.float32))


class HybridSkillIndex:
    """A framework's dense index with its hybrid scorer (one scorer row per taxonomy item)."""

    def __init__(self, dense: SkillIndex, scorer: HybridScorer) -> None:
        if scorer.size != len(dense.taxonomy.items):
            raise ValueError("the hybrid scorer and the taxonomy differ in length")
        self.dense = dense
        self.scorer = scorer

    @property
    def taxonomy(self) -> Taxonomy:
        """The taxonomy this index was built from."""
        return self.dense.taxonomy

    def search(self, queries: Vectors, k: int) -> list[list[tuple[SkillItem, float, str]]]:
        """The dense index's nearest skills."""
        return self.dense.search(queries, k)

    def document_similarities(self, experience: npt.NDArray[np.float64] | None
                              ) -> dict[str, float]:
        """The whole experience (``prior.experience_vector``) against every skill.

        Exact, where the dense view reads only the 64 nearest: a skill the hybrid score found
        far down the dense ranking is not taken for one the experience does not resemble.
        """
        if experience is None:
            return {}
        cosine = self.scorer.cosines(experience.astype(np.float32)[None, :])[0]
        return {item.identifier: float(c)
                for item, c in zip(self.taxonomy.items, cosine, strict=True)}


class HybridRetriever:
    """Keeps, for each segment, the skills with the best hybrid score above a cosine floor.

    Every skill is scored (a few matrix products: cheaper than the graph search, and no recall
    lost). The hybrid score decides which skills are kept and in which order. The similarity a
    match reports stays a cosine, on the scale the scorer and the calibrator were fitted on: the
    best of cos(sentence or one of its clauses, name) and cos(sentence, name + description),
    the dense views the hybrid score reads.
    """

    name = "retrieve.hybrid"
    version = "1"

    def __init__(self, per_segment: int = 8, floor: float = 0.25) -> None:
        self.per_segment = per_segment
        self.floor = floor

    def retrieve(self, queries: SentenceQueries, index: HybridSkillIndex) -> list[Match]:
        """Matches of every segment against one taxonomy."""
        if len(queries.vectors) == 0:
            return []
        scores = index.scorer.score(queries)
        cosine = np.maximum(scores.label, scores.description)
        ranked = np.where(cosine >= self.floor, scores.combined, -np.inf)
        k = min(self.per_segment, ranked.shape[1])
        items = index.taxonomy.items
        matches: list[Match] = []
        for segment, row in enumerate(ranked):
            top = np.argpartition(-row, k - 1)[:k]
            for i in top[np.argsort(-row[top], kind="stable")]:
                if np.isfinite(row[i]):
                    facet = ("label" if scores.label[segment, i] >= scores.description[segment, i]
                             else "description")
                    matches.append(Match(segment, items[i], float(cosine[segment, i]), facet))
        return matches
