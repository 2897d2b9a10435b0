"""Turn a skill's evidence into the probability that the skill is really shown.

Two stages. A logistic model per framework (with a pooled fallback for frameworks it was not
fitted on) ranks candidates from features of the evidence: similarities, corroboration, who
vouches for it, the skill's rank among the experience's candidates, and the Experience Quality
Indicators. Its logit then goes through a monotone map (isotonic regression, fitted on
out-of-fold logits of the best item under each labelled competency), because the logistic
models alone are overconfident where skills get asserted. A framework with enough labelled
competencies has its own map (the same logit means a different rate in NGSS practices than in
durable skills); the others share the pooled map. Fitted on the labelled dev split by
``eval calibrate``; the artefact is versioned JSON in ``models/calibration/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from service.domain.experience import ExperienceCategory
from service.pipeline.score import SkillEvidence

FEATURES = (
    "raw_score", "best_similarity", "second_source_similarity", "mean_top2_similarity",
    "independent_sources", "third_party", "facet_keyword", "facet_description",
    "supporting_segments", "inverse_rank", "relative_score", "document_similarity", "is_child",
    "experience_prior",
    "responsibility", "complexity", "novelty",
    *(f"category:{c.value}" for c in ExperienceCategory),
)


@dataclass(frozen=True)
class CandidateContext:
    """What the calibrator knows about a candidate beyond its own evidence."""

    rank: int  # among the experience's candidates in the same framework, by raw score
    top_score: float  # the best raw score in that framework
    document_similarity: float  # the whole experience (mean sentence vector) vs the skill
    category: ExperienceCategory
    quality_levels: dict[str, int] | None
    # How often experiences like this one show the candidate's competency (ExperiencePrior);
    # 0 where the framework has no fitted prior (its calibrator then gives it no weight).
    prior: float = 0.0


def evidence_features(evidence: SkillEvidence, context: CandidateContext) -> np.ndarray:
    """The calibrator's inputs for one candidate skill (names in ``FEATURES``)."""
    per_source: dict[str, float] = {}
    for s in evidence.support:
        per_source[s.source.name] = max(per_source.get(s.source.name, 0.0), s.similarity)
    ranked = sorted(per_source.values(), reverse=True)
    sims = sorted((s.similarity for s in evidence.support), reverse=True)
    best = evidence.support[0]
    levels = context.quality_levels or {}
    return np.asarray([
        evidence.score,
        evidence.best_similarity,
        ranked[1] if len(ranked) > 1 else 0.0,
        float(np.mean(sims[:2])),
        float(min(evidence.independent_sources, 4)),
        float(any(s.source.third_party for s in evidence.support)),
        float(best.facet == "keyword"),
        float(best.facet == "description"),
        float(min(len(evidence.support), 6)),
        1.0 / context.rank,
        evidence.score / max(context.top_score, 1e-9),
        context.document_similarity,
        float(evidence.item.parent is not None),
        context.prior,
        (levels.get("responsibility", 2) - 2.5) / 1.5,
        (levels.get("complexity", 2) - 2.5) / 1.5,
        (levels.get("novelty", 2) - 2.5) / 1.5,
        *(float(context.category is c) for c in ExperienceCategory),
    ], dtype=np.float64)


@dataclass(frozen=True)
class LogisticCalibrator:
    """``p = sigmoid(coef · standardise(x) + intercept)``."""

    coef: np.ndarray
    intercept: float
    mean: np.ndarray
    scale: np.ndarray

    def logit(self, x: np.ndarray) -> float:
        """The model's log-odds for one feature vector."""
        return float(self.coef @ ((x - self.mean) / self.scale) + self.intercept)

    def probability(self, x: np.ndarray) -> float:
        """The logistic model's own probability (before the score map)."""
        return float(1.0 / (1.0 + np.exp(-self.logit(x))))

    def to_json(self) -> dict[str, Any]:
        """Plain data."""
        return {"coef": self.coef.tolist(), "intercept": self.intercept,
                "mean": self.mean.tolist(), "scale": self.scale.tolist()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> LogisticCalibrator:
        """Inverse of ``to_json``."""
        return cls(np.asarray(raw["coef"]), float(raw["intercept"]), np.asarray(raw["mean"]),
                   np.asarray(raw["scale"]))


@dataclass(frozen=True)
class ScoreMap:
    """A non-decreasing map from a logit to a probability: piecewise linear between knots.

    ``knots`` are increasing logits and ``values`` the probabilities there (an isotonic
    regression's breakpoints); between knots the map interpolates linearly. Beyond the last
    knot it rises slowly from the last value, never more than half-way to 1 (and below the first
    knot falls, never below half the first value), so the strongest candidates keep their order
    instead of all sharing the top step's value, without claiming much more than the data showed.
    """

    knots: np.ndarray
    values: np.ndarray

    TAIL = 2.0  # logits over which a tail covers most of its (bounded) rise

    def __post_init__(self) -> None:
        if self.knots.ndim != 1 or self.knots.shape != self.values.shape or not len(self.knots):
            raise ValueError("a score map needs equally long, non-empty knots and values")
        if np.any(np.diff(self.knots) <= 0) or np.any(np.diff(self.values) < 0):
            raise ValueError("a score map must have increasing knots and non-decreasing values")
        if self.values[0] < 0 or self.values[-1] > 1:
            raise ValueError("a score map's values must be probabilities")

    def probability(self, logit: float) -> float:
        """The calibrated probability for a logit."""
        z, first, last = float(logit), float(self.knots[0]), float(self.knots[-1])
        if z > last:  # at most half-way from the top step to 1
            top = float(self.values[-1])
            return top + (1.0 - top) * 0.5 * float(np.tanh((z - last) / self.TAIL))
        if z < first:  # at most half-way from the bottom step to 0
            return float(self.values[0]) * (1.0 - 0.5 * float(np.tanh((first - z) / self.TAIL)))
        return float(np.interp(z, self.knots, self.values))

    def to_json(self) -> dict[str, Any]:
        """Plain data."""
        return {"kind": "isotonic-logit", "knots": self.knots.tolist(),
                "values": self.values.tolist()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ScoreMap:
        """Inverse of ``to_json``."""
        if raw.get("kind") != "isotonic-logit":
            raise ValueError(f"unknown score map kind {raw.get('kind')!r}")
        return cls(np.asarray(raw["knots"], dtype=np.float64),
                   np.asarray(raw["values"], dtype=np.float64))


@dataclass(frozen=True)
class Thresholds:
    """Where a framework's probabilities become confidence levels."""

    floor: float
    medium: float
    high: float


@dataclass(frozen=True)
class CalibrationModel:
    """Per-framework calibrators and thresholds, with the pooled fallback."""

    version: str
    trained_on: str
    model_id: str
    calibrators: dict[str, LogisticCalibrator]
    score_maps: dict[str, ScoreMap]
    thresholds: dict[str, Thresholds]
    notes: dict[str, Any] = field(default_factory=dict)

    POOLED = "*"
    FORMAT = 3  # 1: logistic probabilities without a score map; 2: one pooled score map

    def __post_init__(self) -> None:
        if self.POOLED not in self.calibrators or self.POOLED not in self.score_maps:
            raise ValueError("a calibration model needs a pooled calibrator and score map")

    def probability(self, taxonomy_id: str, x: np.ndarray) -> float:
        """The calibrated probability that a candidate of this framework is really shown."""
        return self.score_map(taxonomy_id).probability(self.logit(taxonomy_id, x))

    def logit(self, taxonomy_id: str, x: np.ndarray) -> float:
        """The framework calibrator's logit: the strength the score map turns into a probability."""
        return self.calibrator(taxonomy_id).logit(x)

    def calibrator(self, taxonomy_id: str) -> LogisticCalibrator:
        """The framework's own calibrator, or the pooled one."""
        return self.calibrators.get(taxonomy_id) or self.calibrators[self.POOLED]

    def score_map(self, taxonomy_id: str) -> ScoreMap:
        """The framework's own score map, or the pooled one."""
        return self.score_maps.get(taxonomy_id) or self.score_maps[self.POOLED]

    def thresholds_for(self, taxonomy_id: str) -> Thresholds:
        """The framework's thresholds, or the pooled ones."""
        return self.thresholds.get(taxonomy_id) or self.thresholds[self.POOLED]

    def save(self, path: Path) -> None:
        """Write as reviewable JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "format": self.FORMAT, "version": self.version, "trained_on": self.trained_on,
            "model_id": self.model_id, "features": list(FEATURES),
            "calibrators": {k: c.to_json() for k, c in self.calibrators.items()},
            "score_maps": {k: m.to_json() for k, m in self.score_maps.items()},
            "thresholds": {k: vars(t) for k, t in self.thresholds.items()},
            "notes": self.notes}, indent=1) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> CalibrationModel:
        """Read a model written by ``save``; refuse one built for other features or format."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format", 1) != cls.FORMAT or tuple(raw["features"]) != FEATURES:
            raise ValueError(f"{path}: calibrator format or features differ from this code's; "
                             "refit it with `python -m service eval calibrate`")
        return cls(version=raw["version"], trained_on=raw["trained_on"],
                   model_id=raw["model_id"],
                   calibrators={k: LogisticCalibrator.from_json(v)
                                for k, v in raw["calibrators"].items()},
                   score_maps={k: ScoreMap.from_json(v) for k, v in raw["score_maps"].items()},
                   thresholds={k: Thresholds(**v) for k, v in raw["thresholds"].items()},
                   notes=raw.get("notes", {}))
