"""A learner's competency profile: per skill, the experiences that support it, aggregated.

Pure domain code (no web, no database), so the rule is tested with hand-built inputs. The rule,
documented in the README ("Competency profiles"):

1. Each supporting experience contributes ``strength × review weight × source weight``:
   strength is the machine's calibrated score (or, for a reviewer's correction or addition, the
   level's prior: low 0.45, medium 0.65, high 0.85); reviewed evidence (accepted, corrected,
   added) weighs 1.0 and unreviewed 0.6; the best supporting source weighs 1.0 when a third
   party vouches for it (supervisor, teacher, mentor or client endorsement, an assessment),
   0.85 for artefacts, portfolios and quantitative results, 0.7 for the learner's narrative and
   0.6 for self-reflections and self-endorsements.
2. Contributions are taken strongest first and discounted for non-independence: ×0.5 for each
   earlier one from the same organisation and ×0.75 for each earlier one of the same category.
3. Third-party and self-reported contributions are each combined by noisy-OR,
   ``1 − Π(1 − c)``; the self-reported total is capped at 0.55, so any number of
   self-reflections never outweighs what a third party can add. The two are then noisy-OR'ed.
4. A bonus fills part of the remaining headroom: 0.03 per distinct context (category or
   organisation, whichever has more) beyond the first, up to 3, plus up to 0.05 for the
   quality indicators of the best experience. ``confidence = p + (1 − p) × bonus``.
5. Level: high from 0.75, medium from 0.5, low below.

A parent item (a cluster, a competency) is supported by its own assertions and its
descendants'; an experience counts once for it: with its own assertion of the parent if it has
one, else with its strongest descendant.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

CONFIDENCE_PRIOR: Final = {"low": 0.45, "medium": 0.65, "high": 0.85}
UNREVIEWED_WEIGHT: Final = 0.6
THIRD_PARTY_WEIGHT: Final = 1.0
SELF_CAP: Final = 0.55
SAME_ORGANISATION_DISCOUNT: Final = 0.5
SAME_CATEGORY_DISCOUNT: Final = 0.75
CONTEXT_BONUS: Final = 0.03
MAX_EXTRA_CONTEXTS: Final = 3
QUALITY_BONUS: Final = 0.05
HIGH: Final = 0.75
MEDIUM: Final = 0.5
_THIRD_PARTIES: Final = frozenset({"supervisor", "teacher", "mentor", "client"})

Level = Literal["low", "medium", "high"]


def source_weight(kind: str | None, relationship: str | None) -> float:
    """How much one evidence source is worth; ``kind`` None is the learner's narrative."""
    if kind is None:
        return 0.7
    if kind == "assessment" or (kind == "endorsement" and relationship in _THIRD_PARTIES):
        return THIRD_PARTY_WEIGHT
    if kind in ("artifact", "portfolio", "quantitative"):
        return 0.85
    if kind == "endorsement" and relationship in ("peer", "other", None):
        return 0.85
    return 0.6  # reflections, self-endorsements, other


@dataclass(frozen=True)
class Skill:
    """A framework item, with its parent's identifier for the roll-up."""

    identifier: str
    framework: str
    code: str
    label: str
    parent: str | None = None


@dataclass(frozen=True)
class Support:
    """One experience's assertion of one skill, as review currently stands."""

    extraction_id: str
    assertion_id: str
    skill: Skill
    category: str
    organisation: str | None
    reviewed: bool  # accepted, corrected or added; False only when unreviewed ones are asked for
    score: float | None  # calibrated machine score; None when a reviewer set the confidence
    confidence: str
    source_weight: float  # of the best source among the assertion's evidence spans
    quality: float | None = None  # mean quality indicator level, 1-4

    @property
    def contribution(self) -> float:
        """Strength × review weight × source weight, before the independence discount."""
        strength = self.score if self.score is not None else CONFIDENCE_PRIOR[self.confidence]
        review = 1.0 if self.reviewed else UNREVIEWED_WEIGHT
        return strength * review * self.source_weight

    @property
    def third_party(self) -> bool:
        """Whether someone other than the learner vouches for it."""
        return self.source_weight >= THIRD_PARTY_WEIGHT


@dataclass(frozen=True)
class SkillProfile:
    """One skill's aggregate over the learner's experiences."""

    skill: Skill
    confidence: float
    level: Level
    supports: tuple[Support, ...]  # strongest first; one per experience
    categories: int
    organisations: int
    direct: bool  # asserted itself, not only through descendants
    rolled_up_from: tuple[str, ...] = field(default=())  # codes of the descendants that count


def level(confidence: float) -> Level:
    """low, medium or high."""
    if confidence >= HIGH:
        return "high"
    return "medium" if confidence >= MEDIUM else "low"


def _noisy_or(contributions: Iterable[float]) -> float:
    remaining = 1.0
    for c in contributions:
        remaining *= 1.0 - c
    return 1.0 - remaining


def aggregate_confidence(supports: Sequence[Support]) -> float:
    """The rule above, for one skill's supports (at most one per experience)."""
    ordered = sorted(supports, key=lambda s: s.contribution, reverse=True)
    seen_orgs: dict[str, int] = {}
    seen_categories: dict[str, int] = {}
    third: list[float] = []
    own: list[float] = []
    for support in ordered:
        discount = SAME_CATEGORY_DISCOUNT ** seen_categories.get(support.category, 0)
        if support.organisation:
            discount *= SAME_ORGANISATION_DISCOUNT ** seen_orgs.get(support.organisation, 0)
            seen_orgs[support.organisation] = seen_orgs.get(support.organisation, 0) + 1
        seen_categories[support.category] = seen_categories.get(support.category, 0) + 1
        (third if support.third_party else own).append(support.contribution * discount)
    p = _noisy_or([*third, min(SELF_CAP, _noisy_or(own))])
    contexts = max(len(seen_categories), len(seen_orgs))
    bonus = CONTEXT_BONUS * min(contexts - 1, MAX_EXTRA_CONTEXTS) if contexts else 0.0
    qualities = [s.quality for s in supports if s.quality is not None]
    if qualities:
        bonus += QUALITY_BONUS * (max(qualities) - 1) / 3
    return round(p + (1 - p) * bonus, 4)


def build_profile(supports: Iterable[Support],
                  items: Mapping[str, Skill]) -> list[SkillProfile]:
    """Every skill with support, and every ancestor of one, strongest first.

    ``items`` maps identifiers to skills, so parents can be found and named.
    """
    by_skill: dict[str, dict[str, Support]] = {}  # identifier -> extraction id -> support
    via: dict[str, set[str]] = {}
    direct: set[str] = set()
    for support in supports:
        direct.add(support.skill.identifier)
        for skill in _self_and_ancestors(support.skill, items):
            per_experience = by_skill.setdefault(skill.identifier, {})
            current = per_experience.get(support.extraction_id)
            own = support.skill.identifier == skill.identifier
            # The experience's own assertion of the skill wins; else its strongest descendant.
            if (current is None or own or (current.skill.identifier != skill.identifier
                                           and support.contribution > current.contribution)):
                per_experience[support.extraction_id] = support
            if skill.identifier != support.skill.identifier:
                via.setdefault(skill.identifier, set()).add(support.skill.code)
    profiles = []
    for identifier, per_experience in by_skill.items():
        chosen = sorted(per_experience.values(), key=lambda s: s.contribution, reverse=True)
        skill = items.get(identifier) or chosen[0].skill
        confidence = aggregate_confidence(chosen)
        profiles.append(SkillProfile(
            skill=skill, confidence=confidence, level=level(confidence), supports=tuple(chosen),
            categories=len({s.category for s in chosen}),
            organisations=len({s.organisation for s in chosen if s.organisation}),
            direct=identifier in direct, rolled_up_from=tuple(sorted(via.get(identifier, ())))))
    return sorted(profiles, key=lambda p: (-p.confidence, p.skill.framework, p.skill.code))


def _self_and_ancestors(skill: Skill, items: Mapping[str, Skill]) -> list[Skill]:
    chain = [skill]
    parent = skill.parent
    while parent is not None and parent in items and len(chain) < 16:
        chain.append(items[parent])
        parent = items[parent].parent
    return chain


@dataclass(frozen=True)
class TargetItem:
    """A target framework item: demonstrated (with confidence) or still without evidence."""

    skill: Skill
    profile: SkillProfile | None
    typical_categories: tuple[tuple[str, float], ...] = ()  # (category, share), for missing ones


def coverage(target_items: Sequence[Skill], profiles: Sequence[SkillProfile],
             category_shares: Mapping[str, Mapping[str, float]]) -> list[TargetItem]:
    """Which target items the profile demonstrates, and where the missing ones usually show.

    ``category_shares`` maps an item identifier to category -> share of the stored
    experiences of that category that show it (see ``category_shares``).
    """
    by_id = {p.skill.identifier: p for p in profiles}
    out = []
    for item in target_items:
        found = by_id.get(item.identifier)
        shares = () if found else tuple(
            sorted(category_shares.get(item.identifier, {}).items(),
                   key=lambda kv: (-kv[1], kv[0]))[:3])
        out.append(TargetItem(skill=item, profile=found, typical_categories=shares))
    return out


def category_shares(shown: Iterable[tuple[str, str, Skill]], totals: Mapping[str, int],
                    items: Mapping[str, Skill]) -> dict[str, dict[str, float]]:
    """Per item, the share of each category's experiences that show it (or a descendant).

    ``shown`` holds (extraction id, category, skill) for every asserted skill; ``totals`` the
    number of experiences per category.
    """
    seen: dict[str, dict[str, set[str]]] = {}
    for extraction_id, category, skill in shown:
        for node in _self_and_ancestors(skill, items):
            seen.setdefault(node.identifier, {}).setdefault(category, set()).add(extraction_id)
    return {identifier: {category: round(len(ids) / totals[category], 3)
                         for category, ids in per_category.items() if totals.get(category)}
            for identifier, per_category in seen.items()}
