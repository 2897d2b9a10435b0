"""Decide which skills to assert and how confidently."""

from __future__ import annotations

from service.domain.experience import ConfidenceLevel
from service.pipeline.score import SkillEvidence


class ConfidencePolicy:
    """Thresholds on the score, with corroboration required for "high".

    - high: score >= ``high`` and corroborated (two or more independent sources, or a
      third party such as a supervisor or teacher among them);
    - medium: score >= ``medium``, or a high score from a single uncorroborated source;
    - low: score >= ``floor``; below it the skill is not asserted.
    """

    name = "select.threshold-corroboration"
    version = "1"

    def __init__(self, floor: float = 0.35, medium: float = 0.55, high: float = 0.75) -> None:
        self.floor, self.medium, self.high = floor, medium, high

    def level(self, evidence: SkillEvidence) -> ConfidenceLevel | None:
        """The confidence level, or None when the skill is not asserted."""
        if evidence.score < self.floor:
            return None
        corroborated = evidence.independent_sources >= 2 or any(
            s.source.third_party for s in evidence.support)
        if evidence.score >= self.high and corroborated:
            return ConfidenceLevel.HIGH
        if evidence.score >= self.medium:
            return ConfidenceLevel.MEDIUM
        return ConfidenceLevel.LOW
