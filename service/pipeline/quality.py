"""Experience Quality Indicators: responsibility, complexity and novelty, each at level 1 to 4.

Features: the best similarity of any sentence to each level's anchor sentences (our rubric,
``models/quality/rubric.yaml``), hours, duration, evidence and the category, and what a probe
over the experience's words makes of the dimension (P of each level from the words alone:
"trained", "founded", "budget"). How much was written is deliberately not a feature: a learner
who describes a demanding experience in three sentences is rated on what the sentences say, not
out-written by one who pads. A multinomial logistic model per dimension, fitted on the labelled
dev split (``eval calibrate``), turns them into a level; without a fitted model the level whose
anchors match best wins. A platform may send verified levels, which always win over the
estimate.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from service.domain.experience import EvidenceKind, Experience, ExperienceCategory
from service.domain.quality import (
    DIMENSIONS,
    LEVELS,
    QualityIndicator,
    QualityIndicators,
    VerifiedQuality,
)
from service.pipeline.embed import Embedder, Vectors
from service.pipeline.prior import Lexicon, experience_text
from service.pipeline.segment import Segment
from service.pipeline.sources import profile_sources

WORD_FEATURES = tuple(f"words:level{level}" for level in LEVELS)


@dataclass(frozen=True)
class WordProbe:
    """One dimension's multinomial logistic over the experience's words:
    ``P(level) = softmax(coef @ words + intercept)``."""

    coef: np.ndarray  # (4 levels, lexicon terms)
    intercept: np.ndarray  # (4,)

    def probabilities(self, words: np.ndarray) -> np.ndarray:
        """P(level 1..4) from the words alone."""
        return _softmax(self.coef @ words + self.intercept)


@dataclass(frozen=True)
class QualityModel:
    """Fitted multinomial logistic weights per dimension: logits = x @ coef.T + intercept.

    ``x`` is the estimator's features followed by the dimension's word probe's four
    probabilities, standardised with the dimension's own mean and scale.
    """

    version: str
    feature_names: tuple[str, ...]
    coef: dict[str, np.ndarray]
    intercept: dict[str, np.ndarray]
    mean: dict[str, np.ndarray]
    scale: dict[str, np.ndarray]
    lexicon: Lexicon
    word_probes: dict[str, WordProbe]
    trained_on: str

    FORMAT = 2  # 1: no word probes, one mean and scale for every dimension

    @classmethod
    def load(cls, path: Path) -> QualityModel:
        """Read a model written by ``save``; refuse one of another format, or one fitted on
        other features than the estimator computes."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format", 1) != cls.FORMAT:
            raise ValueError(f"{path}: quality model format {raw.get('format', 1)} is not "
                             f"{cls.FORMAT}; refit it with `python -m service eval calibrate`")
        expected = list(model_feature_names())
        if raw["feature_names"] != expected:
            changed = sorted(set(raw["feature_names"]) ^ set(expected)) or ["their order"]
            raise ValueError(f"{path}: fitted on other features than the estimator computes "
                             f"({', '.join(changed)}); refit it with "
                             "`python -m service eval calibrate`")
        per_dimension = {key: {d: np.asarray(raw[key][d], dtype=np.float64) for d in DIMENSIONS}
                         for key in ("coef", "intercept", "mean", "scale")}
        return cls(version=raw["version"], feature_names=tuple(raw["feature_names"]),
                   **per_dimension, lexicon=Lexicon.from_json(raw["lexicon"]),
                   word_probes={d: WordProbe(np.asarray(raw["word_probes"][d]["coef"]),
                                             np.asarray(raw["word_probes"][d]["intercept"]))
                                for d in DIMENSIONS},
                   trained_on=raw["trained_on"])

    def save(self, path: Path) -> None:
        """Write as JSON on one line, as the prior is (no pickles: artefacts are reviewable and
        portable)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        per_dimension = {key: {d: getattr(self, key)[d].tolist() for d in DIMENSIONS}
                         for key in ("coef", "intercept", "mean", "scale")}
        path.write_text(json.dumps({
            "format": self.FORMAT, "version": self.version,
            "feature_names": list(self.feature_names), **per_dimension,
            "lexicon": self.lexicon.to_json(),
            "word_probes": {d: {"coef": np.round(p.coef, 6).tolist(),
                                "intercept": p.intercept.tolist()}
                            for d, p in self.word_probes.items()},
            "trained_on": self.trained_on}) + "\n", encoding="utf-8")

    def words(self, segments: Sequence[Segment]) -> np.ndarray:
        """The experience's term weights, as the word probes read them."""
        return self.lexicon.vector(experience_text(segments))

    def probabilities(self, dimension: str, features: np.ndarray, words: np.ndarray
                      ) -> np.ndarray:
        """P(level 1..4) for one experience; ``words`` as the ``words`` method gives them."""
        x = np.concatenate([features, self.word_probes[dimension].probabilities(words)])
        x = (x - self.mean[dimension]) / self.scale[dimension]
        return _softmax(self.coef[dimension] @ x + self.intercept[dimension])


def _softmax(logits: np.ndarray) -> np.ndarray:
    p = np.exp(logits - logits.max())
    return np.asarray(p / p.sum())


class Rubric:
    """Anchor sentences per dimension and level, embedded once."""

    def __init__(self, anchors: dict[str, dict[int, list[str]]], vectors: dict[str, Vectors],
                 version: str) -> None:
        self.anchors = anchors
        self.vectors = vectors  # "dimension:level" -> (n_anchors, dim)
        self.version = version

    @classmethod
    def load(cls, path: Path, embedder: Embedder) -> Rubric:
        """Read the rubric file and embed its anchors."""
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        anchors = {d: {int(level): list(texts) for level, texts in raw["dimensions"][d].items()}
                   for d in DIMENSIONS}
        vectors = {f"{d}:{level}": embedder.embed(anchors[d][level])
                   for d in DIMENSIONS for level in LEVELS}
        return cls(anchors, vectors, str(raw["version"]))


class QualityEstimator:
    """Estimates the three indicators from the segments' vectors and the experience's facts."""

    name = "quality.rubric-logreg"
    version = "3"  # 2: a probe over the experience's words joins the features; 3: the
    # narrative's length leaves them

    def __init__(self, rubric: Rubric, model: QualityModel | None = None) -> None:
        self.rubric = rubric
        self.model = model

    @property
    def artefact(self) -> str:
        """Which fitted model (if any) produced the levels."""
        return self.model.version if self.model else "untrained"

    def features(self, experience: Experience, segments: list[Segment],
                 vectors: Vectors) -> tuple[np.ndarray, dict[str, tuple[int, float]]]:
        """Feature vector, and per "dimension:level" the best segment and its similarity."""
        best: dict[str, tuple[int, float]] = {}
        values: list[float] = []
        for d in DIMENSIONS:
            for level in LEVELS:
                key = f"{d}:{level}"
                if len(segments):
                    sims = vectors @ self.rubric.vectors[key].T
                    per_segment = sims.max(axis=1)
                    i = int(per_segment.argmax())
                    best[key] = (i, float(per_segment[i]))
                    values.append(float(per_segment[i]))
                else:
                    values.append(0.0)
        values += _fact_features(experience)
        return np.asarray(values, dtype=np.float64), best

    def estimate(self, experience: Experience, segments: list[Segment], vectors: Vectors,
                 verified: VerifiedQuality | None = None) -> QualityIndicators:
        """The three indicators, verified levels winning over estimates."""
        x, best = self.features(experience, segments, vectors)
        words = self.model.words(segments) if self.model is not None else None
        result: dict[str, QualityIndicator] = {}
        for n, d in enumerate(DIMENSIONS):
            given = getattr(verified, d) if verified else None
            if given is not None:
                result[d] = QualityIndicator(level=given, source="verified",
                                             rationale=f"{d.capitalize()} level {given} was "
                                                       "verified by the submitting platform.")
                continue
            if self.model is not None and words is not None:
                p = self.model.probabilities(d, x, words)
                level, prob = int(np.argmax(p)) + 1, float(np.max(p))
            else:
                sims = x[n * 4:(n + 1) * 4]
                level, prob = int(np.argmax(sims)) + 1, None
            result[d] = self._explain(d, level, prob, experience, segments, best)
        return QualityIndicators(**result)

    def _explain(self, dimension: str, level: int, prob: float | None, experience: Experience,
                 segments: list[Segment], best: dict[str, tuple[int, float]]
                 ) -> QualityIndicator:
        facts = _facts_sentence(experience)
        span = None
        quote = ""
        if f"{dimension}:{level}" in best and segments:
            seg = segments[best[f"{dimension}:{level}"][0]]
            span = {"source": seg.source, "start": seg.start, "end": seg.end, "text": seg.text}
            words = " ".join(seg.text.split())
            quote = f' The closest evidence: "{words[:120]}{"…" if len(words) > 120 else ""}".'
        rationale = (f"Estimated {dimension} level {level} of 4"
                     + (f" (probability {prob:.2f})" if prob is not None else "") + "."
                     + quote + (f" {facts}" if facts else ""))
        return QualityIndicator(level=level, source="estimated",
                                probability=round(prob, 4) if prob is not None else None,
                                rationale=rationale, evidence_span=span)


def feature_names() -> list[str]:
    """Names matching ``QualityEstimator.features``."""
    names = [f"anchor:{d}:{level}" for d in DIMENSIONS for level in LEVELS]
    return names + ["log_hours", "has_hours", "log_days", "has_dates", "evidence_items",
                    "third_party"] + [f"category:{c.value}" for c in ExperienceCategory]


def model_feature_names() -> tuple[str, ...]:
    """Names of what a fitted model reads: the estimator's features, then the word probe's."""
    return (*feature_names(), *WORD_FEATURES)


def _days(experience: Experience) -> float | None:
    if experience.start_date and experience.end_date:
        return float((experience.end_date - experience.start_date).days + 1)
    return None


def _fact_features(experience: Experience) -> list[float]:
    days = _days(experience)
    third_party = any(p.third_party for p in profile_sources(experience).values())
    endorsed = any(e.kind is EvidenceKind.ENDORSEMENT for e in experience.evidence)
    return [math.log1p(experience.hours or 0.0), float(experience.hours is not None),
            math.log1p(days or 0.0), float(days is not None), float(len(experience.evidence)),
            float(third_party and endorsed),
            *[float(experience.category is c) for c in ExperienceCategory]]


def _facts_sentence(experience: Experience) -> str:
    parts = []
    if experience.hours:
        parts.append(f"{experience.hours:g} hours")
    days = _days(experience)
    if days:
        parts.append(f"over {int(days)} days" if days < 60 else f"over {days / 30.4:.0f} months")
    return ("Reported " + " ".join(parts) + ".") if parts else ""
