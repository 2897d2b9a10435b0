"""The profile use case: gather a learner's reviewed assertions, aggregate, compare to a target."""

from __future__ import annotations

from collections import Counter
from typing import Any, Final

import structlog

from service.access.roles import Principal
from service.domain.experience import ConfidenceLevel
from service.domain.results import SkillRef
from service.errors import LearnerNotFound, UnknownTaxonomy
from service.profiles.aggregate import (
    Skill,
    SkillProfile,
    Support,
    build_profile,
    category_shares,
    coverage,
    source_weight,
)
from service.profiles.repository import ProfileRepository
from service.profiles.schemas import (
    CategoryShare,
    Contexts,
    Coverage,
    CoverageItem,
    ProfileOut,
    ProfileSkill,
    SkillEntry,
    SupportingExperience,
)
from service.review.repository import ReviewRepository
from service.review.service import Review, ReviewService
from service.review.state import AssertionStatus, ReviewedAssertion
from service.taxonomy.catalog import TaxonomyCatalog

log = structlog.get_logger(__name__)

TYPICAL_CATEGORIES_SOURCE: Final = (
    "this tenant's stored extractions: per category, the share of experiences with the item "
    "(or a descendant) accepted, corrected or added in review, or asserted at medium or high "
    "confidence and not yet reviewed")


class ProfileService:
    """Long-lived: holds every framework item with its parent, for the roll-up."""

    def __init__(self, catalog: TaxonomyCatalog) -> None:
        self.catalog = catalog
        self.items: dict[str, Skill] = {
            item.identifier: Skill(identifier=item.identifier, framework=t.id, code=item.code,
                                   label=item.label, parent=item.parent)
            for t in catalog for item in t.items}

    async def profile(self, reviews: ReviewService, review_repository: ReviewRepository,
                      repository: ProfileRepository, learner_ref: str, principal: Principal, *,
                      include_unreviewed: bool, target: str | None) -> ProfileOut:
        """The learner's profile in the caller's tenant; 404 when the tenant has no such learner."""
        if target is not None and target not in self.catalog.ids:
            raise UnknownTaxonomy([target], self.catalog.ids)
        records = await repository.learner_extractions(principal.tenant_id, learner_ref)
        if not records:
            raise LearnerNotFound(f"No experiences of learner '{learner_ref}' are stored.")
        supports: list[Support] = []
        shown: dict[tuple[str, str], tuple[Review, ReviewedAssertion]] = {}
        for record in records:
            review = await reviews.load(review_repository, record.id, principal.tenant_id)
            for assertion in review.assertions:
                if assertion.is_asserted or (include_unreviewed and
                                             assertion.status is AssertionStatus.UNDECIDED):
                    supports.append(self._support(review, assertion))
                    shown[record.id, assertion.id] = (review, assertion)
        profiles = build_profile(supports, self.items)
        coverage_out = None
        if target is not None:
            coverage_out = await self._coverage(reviews, review_repository, repository,
                                                principal.tenant_id, target, profiles)
        log.info("profile.built", experiences=len(records), skills=len(profiles),
                 include_unreviewed=include_unreviewed, target=target)
        return ProfileOut(learner_ref=learner_ref, include_unreviewed=include_unreviewed,
                          experiences=len(records),
                          skills=[_entry(p, shown) for p in profiles], target=coverage_out)

    def _skill(self, ref: SkillRef) -> Skill:
        return self.items.get(ref.id) or Skill(identifier=ref.id, framework=ref.framework,
                                               code=ref.code, label=ref.label)

    def _support(self, review: Review, assertion: ReviewedAssertion) -> Support:
        evidence = review.request.get("evidence") or []
        weights = [_span_weight(span.source, evidence) for span in assertion.evidence_spans]
        organisation = (review.request.get("organization") or {}).get("name")
        return Support(
            extraction_id=review.record.id, assertion_id=assertion.id,
            skill=self._skill(assertion.skill), category=review.record.category,
            organisation=organisation.strip().casefold() if organisation else None,
            reviewed=assertion.is_asserted,
            # A reviewer's correction or addition replaces the machine's judgement.
            score=(assertion.score if assertion.status in (AssertionStatus.ACCEPTED,
                                                           AssertionStatus.UNDECIDED) else None),
            confidence=assertion.confidence.value,
            source_weight=max(weights, default=source_weight(None, None)),
            quality=_mean_quality(review.result.get("quality_indicators")))

    async def _coverage(self, reviews: ReviewService, review_repository: ReviewRepository,
                        repository: ProfileRepository, tenant_id: str, target: str,
                        profiles: list[SkillProfile]) -> Coverage:
        records = await repository.tenant_extractions(tenant_id)
        totals = Counter(r.category for r in records)
        seen: list[tuple[str, str, Skill]] = []
        for record in records:
            review = await reviews.load(review_repository, record.id, tenant_id)
            for assertion in review.assertions:
                if assertion.is_asserted or (assertion.status is AssertionStatus.UNDECIDED
                                             and assertion.confidence is not ConfidenceLevel.LOW):
                    seen.append((record.id, record.category, self._skill(assertion.skill)))
        shares = category_shares(seen, totals, self.items)
        target_items = [self.items[i.identifier] for i in self.catalog.get(target).items]
        items = coverage(target_items, profiles, shares)
        return Coverage(
            framework=target, demonstrated=sum(i.profile is not None for i in items),
            total=len(items), typical_categories_source=TYPICAL_CATEGORIES_SOURCE,
            items=[CoverageItem(
                skill=_skill_out(i.skill),
                status="demonstrated" if i.profile else "missing",
                confidence=i.profile.confidence if i.profile else None,
                level=i.profile.level if i.profile else None,
                typical_categories=[CategoryShare(category=c, share=s)
                                    for c, s in i.typical_categories])
                for i in items])


def _span_weight(source: str, evidence: list[dict[str, Any]]) -> float:
    if source == "narrative":
        return source_weight(None, None)
    index = int(source.removeprefix("evidence[").removesuffix("]"))
    item = evidence[index] if index < len(evidence) else {}
    return source_weight(item.get("kind", "other"), (item.get("author") or {}).get("relationship"))


def _mean_quality(indicators: dict[str, Any] | None) -> float | None:
    if not indicators:
        return None
    levels = [v["level"] for v in indicators.values() if isinstance(v, dict) and "level" in v]
    return sum(levels) / len(levels) if levels else None


def _skill_out(skill: Skill) -> ProfileSkill:
    return ProfileSkill(id=skill.identifier, framework=skill.framework, code=skill.code,
                        label=skill.label)


def _entry(profile: SkillProfile,
           shown: dict[tuple[str, str], tuple[Review, ReviewedAssertion]]) -> SkillEntry:
    experiences = []
    for support in profile.supports:
        review, assertion = shown[support.extraction_id, support.assertion_id]
        experiences.append(SupportingExperience(
            extraction_id=support.extraction_id, assertion_id=support.assertion_id,
            skill_code=assertion.skill.code, category=support.category,
            organization=(review.request.get("organization") or {}).get("name"),
            title=review.request.get("title"), reviewed=support.reviewed,
            status=assertion.status, score=assertion.score,
            confidence=assertion.confidence.value, evidence_spans=assertion.evidence_spans))
    return SkillEntry(
        skill=_skill_out(profile.skill), confidence=profile.confidence,
        level=profile.level,
        direct=profile.direct, rolled_up_from=list(profile.rolled_up_from),
        contexts=Contexts(categories=profile.categories, organizations=profile.organisations),
        experiences=experiences)
