"""What experiences like this one usually show: a learned prior per framework competency.

Zero-shot similarity says which skills a sentence resembles; it cannot know how reviewers of a
framework read whole experiences ("a robotics build season shows SEP6 and CC-STEM, rarely
SEP7"). A logistic probe per competency over the experience's whole-text vector (the normalised
mean of its sentence vectors) learns that from the labelled dev split. The prior never adds a
skill: it is one more input to the calibrator for candidates that retrieval found with evidence
spans, so every assertion still points at the words behind it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from service.pipeline.embed import Vectors


def experience_vector(vectors: Vectors) -> npt.NDArray[np.float64] | None:
    """The whole experience as one unit vector: the normalised mean of its sentence vectors."""
    if len(vectors) == 0:
        return None
    mean = np.asarray(vectors, dtype=np.float64).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


@dataclass(frozen=True)
class FrameworkProbe:
    """One framework's probes: ``p(code) = sigmoid(coef[code] · x + intercept[code])``.

    Codes seen too rarely in training to fit a probe carry their observed rate instead
    (``coef`` row of zeros, intercept the rate's logit).
    """

    codes: tuple[str, ...]
    coef: npt.NDArray[np.float64]  # (codes, dimension)
    intercept: npt.NDArray[np.float64]  # (codes,)

    def probabilities(self, x: npt.NDArray[np.float64]) -> dict[str, float]:
        """Each competency code's prior probability for one experience vector."""
        z = self.coef @ x + self.intercept
        p = 1.0 / (1.0 + np.exp(-z))
        return {code: float(v) for code, v in zip(self.codes, p, strict=True)}

    def to_json(self) -> dict[str, Any]:
        """Plain data."""
        return {"codes": list(self.codes), "coef": np.round(self.coef, 6).tolist(),
                "intercept": np.round(self.intercept, 6).tolist()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FrameworkProbe:
        """Inverse of ``to_json``."""
        return cls(tuple(raw["codes"]), np.asarray(raw["coef"], dtype=np.float64),
                   np.asarray(raw["intercept"], dtype=np.float64))


@dataclass(frozen=True)
class ExperiencePrior:
    """Per-framework competency probes, fitted for one embedding model."""

    version: str
    trained_on: str
    model_id: str
    dimension: int
    probes: dict[str, FrameworkProbe]
    notes: dict[str, Any] = field(default_factory=dict)

    name = "prior.experience-probe"

    def for_framework(self, taxonomy_id: str, x: npt.NDArray[np.float64] | None
                      ) -> dict[str, float] | None:
        """Prior probability per competency code, or None (no probe, or an empty experience)."""
        probe = self.probes.get(taxonomy_id)
        if probe is None or x is None:
            return None
        if x.shape != (self.dimension,):
            raise ValueError(f"experience vector has shape {x.shape}; the prior was fitted "
                             f"for {self.dimension} dimensions ({self.model_id})")
        return probe.probabilities(x)

    def save(self, path: Path) -> None:
        """Write as reviewable JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "version": self.version, "trained_on": self.trained_on, "model_id": self.model_id,
            "dimension": self.dimension,
            "probes": {k: p.to_json() for k, p in sorted(self.probes.items())},
            "notes": self.notes}) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ExperiencePrior:
        """Read a prior written by ``save``."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        return cls(version=raw["version"], trained_on=raw["trained_on"],
                   model_id=raw["model_id"], dimension=int(raw["dimension"]),
                   probes={k: FrameworkProbe.from_json(v) for k, v in raw["probes"].items()},
                   notes=raw.get("notes", {}))
