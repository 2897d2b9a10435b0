"""Lexical matching of texts against skill names: the words a bi-encoder blurs.

A small sentence encoder maps "experience with Java and Spring" close to many programming
skills; the literal word "Java" in the skill's name settles which. This matcher scores a text
against every skill's label (word and character n-gram TF-IDF) and its alternative names (word
TF-IDF), as cosine similarities in [0, 1]. It is pure: fitted on the taxonomy's own names,
nothing learned from labelled data.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from sklearn.feature_extraction.text import TfidfVectorizer

# Clause boundaries inside one sentence: list separators, brackets, spaced dashes and the
# conjunctions that join skills in job ads and narratives ("Java and SQL", "with Excel").
_CLAUSE_BREAK = re.compile(r"[,;:/()\[\]•|]|\s[-–—]\s|\b(?:and|or|with|as well as)\b",
                           re.IGNORECASE)
_HAS_WORD = re.compile(r"[^\W\d_]{2,}")


def clauses(text: str) -> list[str]:
    """The clauses of a sentence, each with at least one word; none when there is only one."""
    parts = [p.strip() for p in _CLAUSE_BREAK.split(text)]
    kept = [p for p in parts if _HAS_WORD.search(p)]
    return kept if len(kept) > 1 else []


@dataclass(frozen=True, slots=True)
class LexicalWeights:
    """How much each lexical view counts (added to a cosine similarity by the caller)."""

    label_words: float = 0.6
    label_chars: float = 0.2
    alternative_words: float = 0.2


class LexicalMatcher:
    """TF-IDF cosine of texts against skill labels and alternative names."""

    name = "lexical.tfidf-names"
    version = "1"

    def __init__(self, labels: Sequence[str], alternatives: Sequence[Sequence[str]] | None = None,
                 weights: LexicalWeights | None = None) -> None:
        if alternatives is not None and len(alternatives) != len(labels):
            raise ValueError("one list of alternative names per label")
        self.weights = weights or LexicalWeights()
        self.size = len(labels)
        joined = [" | ".join(a) for a in alternatives] if alternatives else []
        self._views = [
            view for view in (
                _View.fit(_words(), labels, self.weights.label_words),
                _View.fit(_chars(), labels, self.weights.label_chars),
                _View.fit(_words(), joined, self.weights.alternative_words),
            ) if view is not None]

    def similarities(self, texts: Sequence[str]) -> npt.NDArray[np.float32]:
        """A (texts x skills) matrix: the weighted sum of the lexical views' cosines."""
        out = np.zeros((len(texts), self.size), dtype=np.float32)
        for view in self._views if texts else []:
            out += view.weight * (view.vectorizer.transform(texts) @ view.matrix.T).toarray()
        return out


def _words() -> TfidfVectorizer:
    return TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, stop_words="english")


def _chars() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True)


@dataclass(frozen=True)
class _View:
    """One fitted TF-IDF view of the skills' names."""

    vectorizer: TfidfVectorizer
    matrix: Any
    weight: float

    @classmethod
    def fit(cls, vectorizer: TfidfVectorizer, texts: Sequence[str], weight: float) -> _View | None:
        """Fit on the names; None when there is nothing to match (no names, no words, no weight)."""
        if weight <= 0 or not any(t.strip() for t in texts):
            return None
        try:
            return cls(vectorizer, vectorizer.fit_transform(texts), weight)
        except ValueError:  # every name is made of stop words only: an empty vocabulary
            return None
