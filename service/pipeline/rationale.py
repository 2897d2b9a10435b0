"""Plain-language reasons, built from the evidence spans behind a skill."""

from __future__ import annotations

from service.pipeline.score import SkillEvidence, SupportingSegment

_QUOTE_CHARS = 90


class RationaleWriter:
    """One or two sentences: which evidence supports the skill, how many sources, how strongly."""

    name = "rationale.template"
    version = "1"

    def write(self, evidence: SkillEvidence) -> str:
        """The rationale for one asserted skill."""
        best_per_source: dict[str, SupportingSegment] = {}
        for s in evidence.support:
            best_per_source.setdefault(s.source.name, s)
        cited = list(best_per_source.values())[:3]
        quotes = [f'{s.source.description} ("{_quote(s.segment.text)}")' for s in cited]
        n = evidence.independent_sources
        label = evidence.item.label
        if n == 1:
            first = f"{label} is supported by one source: {quotes[0]}."
        else:
            more = n - len(cited)
            listed = _join(quotes) + (f", and {more} more" if more > 0 else "")
            first = f"{label} is supported by {n} independent sources: {listed}."
        strength = _strength(evidence.best_similarity)
        best = evidence.best_similarity
        return f"{first} The closest match is {strength} (similarity {best:.2f})."


def _quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= _QUOTE_CHARS:
        return text
    cut = text.rfind(" ", 0, _QUOTE_CHARS)
    return text[: cut if cut > 0 else _QUOTE_CHARS] + "…"


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "; ".join(parts[:-1]) + "; and " + parts[-1]


def _strength(similarity: float) -> str:
    if similarity >= 0.6:
        return "strong"
    if similarity >= 0.45:
        return "moderate"
    return "weak"
