"""Decide which skills to assert and how confidently."""

from __future__ import annotations

from service.domain.experience import ConfidenceLevel
from service.pipeline.calibrate import Thresholds
from service.pipeline.score import SkillEvidence

# Used when no fitted calibration is installed: thresholds on the raw evidence-weighted score.
UNCALIBRATED = Thresholds(floor=0.35, medium=0.55, high=0.75)


class ConfidencePolicy:
    """Thresholds on the (calibrated) score, with corroboration required for "high".

    - high: score >= ``high`` and corroborated (two or more independent sources, or a third
      party such as a supervisor or teacher among them);
    - medium: score >= ``medium``, or a high score from a single uncorroborated source;
    - low: score >= ``floor`` (the framework's operating point); below it, not asserted.
    """

    name = "select.threshold-corroboration"
    version = "2"

    def level(self, evidence: SkillEvidence, score: float,
              thresholds: Thresholds) -> ConfidenceLevel | None:
        """The confidence level, or None when the skill is not asserted."""
        if score < thresholds.floor:
            return None
        corroborated = evidence.independent_sources >= 2 or any(
            s.source.third_party for s in evidence.support)
        if score >= thresholds.high and corroborated:
            return ConfidenceLevel.HIGH
        if score >= thresholds.medium:
            return ConfidenceLevel.MEDIUM
        return ConfidenceLevel.LOW
