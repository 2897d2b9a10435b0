"""How much each source of evidence counts, and how to name it in a rationale."""

from __future__ import annotations

from dataclasses import dataclass

from service.domain.experience import EvidenceItem, EvidenceKind, Experience, Relationship

# Third parties outweigh artefacts, which outweigh the learner's own account.
_KIND_WEIGHT = {
    EvidenceKind.ENDORSEMENT: 1.0,
    EvidenceKind.ASSESSMENT: 0.95,
    EvidenceKind.QUANTITATIVE: 0.9,
    EvidenceKind.ARTIFACT: 0.85,
    EvidenceKind.PORTFOLIO: 0.85,
    EvidenceKind.OTHER: 0.75,
    EvidenceKind.REFLECTION: 0.7,
}
NARRATIVE_WEIGHT = 0.8
_THIRD_PARTY = {Relationship.SUPERVISOR, Relationship.TEACHER, Relationship.MENTOR,
                Relationship.CLIENT}
_KIND_NOUN = {
    EvidenceKind.ENDORSEMENT: "endorsement",
    EvidenceKind.ASSESSMENT: "assessment",
    EvidenceKind.QUANTITATIVE: "quantitative result",
    EvidenceKind.ARTIFACT: "artefact",
    EvidenceKind.PORTFOLIO: "portfolio entry",
    EvidenceKind.OTHER: "evidence item",
    EvidenceKind.REFLECTION: "reflection",
}


@dataclass(frozen=True, slots=True)
class SourceProfile:
    """A source text's weight and the words a rationale uses for it."""

    name: str
    weight: float
    description: str
    third_party: bool


def profile_sources(experience: Experience) -> dict[str, SourceProfile]:
    """A profile for the narrative and every evidence item."""
    profiles = {"narrative": SourceProfile("narrative", NARRATIVE_WEIGHT,
                                           "the learner's narrative", False)}
    for i, item in enumerate(experience.evidence):
        name = f"evidence[{i}]"
        profiles[name] = _profile(name, item)
    return profiles


def _profile(name: str, item: EvidenceItem) -> SourceProfile:
    weight = _KIND_WEIGHT[item.kind]
    relationship = item.author.relationship if item.author else None
    third_party = relationship in _THIRD_PARTY
    if item.kind is EvidenceKind.ENDORSEMENT and not third_party:
        # A peer's or the learner's own "endorsement" is not independent corroboration.
        weight = 0.85 if relationship is Relationship.PEER else 0.7
    noun = _KIND_NOUN[item.kind]
    if relationship and relationship is not Relationship.OTHER:
        who = ("the learner's own" if relationship is Relationship.SELF
               else f"a {relationship.value}'s")
        description = f"{who} {noun}"
    else:
        description = f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
    return SourceProfile(name, weight, description, third_party)
