"""The review use case: decide on assertions, derive their state, queue and export."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog

from service.access.roles import Principal
from service.db.base import stored_utc
from service.db.models import AssertionDecisionRecord, ExtractionRecord
from service.domain.results import SkillRef
from service.domain.taxonomy import SkillItem, Taxonomy
from service.errors import AssertionNotFound, ExtractionNotFound, InvalidDecision
from service.review.export import labelled_record
from service.review.repository import ReviewRepository
from service.review.schemas import (
    AssertionIn,
    DecisionIn,
    DecisionList,
    DecisionOut,
    QueueItem,
    QueuePage,
    ReviewOut,
    SkillChoice,
    SpanChoice,
)
from service.review.state import (
    AssertionStatus,
    Change,
    DecisionAction,
    ReviewedAssertion,
    ReviewSpan,
    ReviewStatus,
    apply,
    replay,
    review_status,
)
from service.taxonomy.catalog import TaxonomyCatalog

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Review:
    """Everything about one extraction's review: what was asked, answered and decided."""

    record: ExtractionRecord
    request: dict[str, Any]  # the stored request, options included
    result: dict[str, Any]  # the stored machine result, exactly as answered
    decisions: Sequence[AssertionDecisionRecord]
    assertions: list[ReviewedAssertion]  # the current state, derived from the log
    status: ReviewStatus

    @property
    def frameworks(self) -> list[str]:
        """The frameworks the extraction searched."""
        return [t["id"] for t in self.result["taxonomies"]]

    def assertion(self, assertion_id: str) -> ReviewedAssertion:
        """One assertion's current state, or 404."""
        for assertion in self.assertions:
            if assertion.id == assertion_id:
                return assertion
        raise AssertionNotFound(
            f"Extraction '{self.record.id}' has no assertion with id '{assertion_id}'.")

    def history(self, assertion_id: str) -> list[DecisionOut]:
        """The decisions on one assertion, oldest first."""
        return [decision_out(d) for d in self.decisions if d.assertion_id == assertion_id]


class ReviewService:
    """Long-lived: holds the catalogue to check the skills reviewers name."""

    def __init__(self, catalog: TaxonomyCatalog) -> None:
        self.taxonomies = {t.id: t for t in catalog}
        self._items: dict[tuple[str, str], SkillItem] = {
            (t.id, item.code): item for t in catalog for item in t.items}

    async def load(self, repository: ReviewRepository, extraction_id: str,
                   tenant_id: str) -> Review:
        """An extraction of the tenant with its log and derived state; 404 for anyone else's."""
        record = await repository.extraction(extraction_id, tenant_id)
        if record is None:
            raise ExtractionNotFound(f"No extraction with id '{extraction_id}'.")
        result = json.loads(record.result_json)
        decisions = await repository.decisions(extraction_id)
        state = replay((ReviewedAssertion.from_machine(a) for a in result["assertions"]),
                       ((d.assertion_id, d.after) for d in decisions))
        return Review(record=record, request=json.loads(record.request_json), result=result,
                      decisions=decisions, assertions=state,
                      status=review_status(state, len(decisions)))

    async def review(self, repository: ReviewRepository, extraction_id: str,
                     principal: Principal) -> ReviewOut:
        """The extraction's review status and current assertions."""
        review = await self.load(repository, extraction_id, principal.tenant_id)
        return ReviewOut(extraction_id=extraction_id, review_status=review.status,
                         decisions=len(review.decisions), assertions=review.assertions)

    async def history(self, repository: ReviewRepository, extraction_id: str,
                      assertion_id: str, principal: Principal) -> DecisionList:
        """One assertion's decisions, oldest first."""
        review = await self.load(repository, extraction_id, principal.tenant_id)
        review.assertion(assertion_id)
        return DecisionList(decisions=review.history(assertion_id))

    async def decide(self, repository: ReviewRepository, extraction_id: str, assertion_id: str,
                     decision: DecisionIn, principal: Principal) -> DecisionOut:
        """Record an accept, reject or correct decision on an assertion."""
        review = await self.load(repository, extraction_id, principal.tenant_id)
        before = review.assertion(assertion_id)
        change = Change(
            action=DecisionAction(decision.action),
            skill=self._skill(review, decision.skill) if decision.skill else None,
            confidence=decision.confidence,
            evidence_spans=(self._spans(review, decision.evidence_spans)
                            if decision.evidence_spans else None))
        return await self._append(repository, review, assertion_id, before, change,
                                  decision.comment, principal)

    async def add(self, repository: ReviewRepository, extraction_id: str, body: AssertionIn,
                  principal: Principal) -> DecisionOut:
        """Record a skill the machine missed, with its evidence, as a new assertion."""
        review = await self.load(repository, extraction_id, principal.tenant_id)
        skill = self._skill(review, body.skill)
        for existing in review.assertions:
            if existing.skill.id == skill.id and existing.status is not AssertionStatus.REJECTED:
                raise InvalidDecision(
                    f"{skill.framework} {skill.code} is already assertion '{existing.id}'; "
                    "accept or correct that one instead.",
                    errors=[{"loc": ["body", "skill"], "assertion_id": existing.id}])
        change = Change(action=DecisionAction.ADD, skill=skill, confidence=body.confidence,
                        evidence_spans=self._spans(review, body.evidence_spans))
        return await self._append(repository, review, "ra_" + uuid.uuid4().hex[:16], None,
                                  change, body.comment, principal)

    async def queue(self, repository: ReviewRepository, principal: Principal, *,
                    status: ReviewStatus | None, framework: str | None,
                    confidence: str | None, limit: int, offset: int) -> QueuePage:
        """The tenant's extractions to review, oldest first, filtered."""
        total, records = await repository.queue(
            principal.tenant_id, status.value if status else None, framework, confidence,
            limit, offset)
        counts = await repository.confidence_counts([r.id for r in records])
        items = []
        for record in records:
            title = json.loads(record.request_json).get("title")
            items.append(QueueItem(
                id=record.id, created_at=stored_utc(record.created_at), category=record.category,
                title=title, learner_ref=record.learner_ref, external_id=record.external_id,
                review_status=ReviewStatus(record.review_status),
                assertions=sum(counts[record.id].values()), by_confidence=counts[record.id]))
        return QueuePage(total=total, offset=offset, limit=limit, items=items)

    async def export(self, repository: ReviewRepository, tenant_id: str,
                     split: str) -> list[str]:
        """Every reviewed extraction of the tenant as one eval record (a JSON line) each."""
        lines = []
        for record in await repository.reviewed(tenant_id):
            review = await self.load(repository, record.id, tenant_id)
            lines.append(json.dumps(labelled_record(
                record.id, split, review.request, review.frameworks, review.assertions,
                self.taxonomies), ensure_ascii=False))
        log.info("review.exported", tenant_id=tenant_id, records=len(lines))
        return lines

    async def _append(self, repository: ReviewRepository, review: Review, assertion_id: str,
                      before: ReviewedAssertion | None, change: Change, comment: str | None,
                      principal: Principal) -> DecisionOut:
        after = apply(before, change, assertion_id)
        state = [after if a.id == assertion_id else a for a in review.assertions]
        if before is None:
            state.append(after)
        status = review_status(state, len(review.decisions) + 1)
        decision = AssertionDecisionRecord(
            id=str(uuid.uuid4()), extraction_id=review.record.id,
            seq=len(review.decisions) + 1, assertion_id=assertion_id,
            action=change.action.value, comment=comment or None,
            decided_by=principal.key_id, decided_at=datetime.now(UTC),
            before=before.model_dump(mode="json") if before else None,
            after=after.model_dump(mode="json"))
        await repository.append(decision, review.record, status.value)
        log.info("review.decided", extraction_id=review.record.id, assertion_id=assertion_id,
                 action=change.action.value, key_id=principal.key_id,
                 review_status=status.value)
        return decision_out(decision)

    def _skill(self, review: Review, choice: SkillChoice) -> SkillRef:
        """The skill a reviewer names, from a framework the extraction searched."""
        if choice.framework not in review.frameworks:
            raise InvalidDecision(
                f"This extraction was reviewed in {', '.join(review.frameworks)}; "
                f"'{choice.framework}' is not one of them.",
                errors=[{"loc": ["body", "skill", "framework"], "known": review.frameworks}])
        item = self._items.get((choice.framework, choice.code))
        if item is None:
            raise InvalidDecision(
                f"{choice.framework} has no skill with code '{choice.code}'; search it with "
                f"GET /v1/taxonomies/{choice.framework}/skills?q=...",
                errors=[{"loc": ["body", "skill", "code"]}])
        taxonomy: Taxonomy = self.taxonomies[choice.framework]
        return SkillRef(id=item.identifier, code=item.code, label=item.label,
                        framework=taxonomy.id, skill_type=taxonomy.skill_type, uri=item.uri)

    def _spans(self, review: Review, spans: list[SpanChoice]) -> list[ReviewSpan]:
        """Each span's exact text from the stored experience."""
        sources = {"narrative": review.request["narrative"]}
        sources |= {f"evidence[{i}]": e["text"]
                    for i, e in enumerate(review.request.get("evidence") or [])}
        resolved = []
        for i, span in enumerate(spans):
            loc = ["body", "evidence_spans", i]
            text = sources.get(span.source)
            if text is None:
                raise InvalidDecision(
                    f"The experience has no source '{span.source}'; it has "
                    f"{', '.join(sources)}.", errors=[{"loc": [*loc, "source"]}])
            if span.end > len(text):
                raise InvalidDecision(
                    f"{span.source} has {len(text)} characters; a span cannot end at "
                    f"{span.end}.", errors=[{"loc": [*loc, "end"]}])
            if not text[span.start:span.end].strip():
                raise InvalidDecision("A span must cover words, not only whitespace.",
                                      errors=[{"loc": loc}])
            resolved.append(ReviewSpan(source=span.source, start=span.start, end=span.end,
                                       text=text[span.start:span.end]))
        return resolved


def decision_out(record: AssertionDecisionRecord) -> DecisionOut:
    """Render a logged decision."""
    return DecisionOut(
        id=record.id, extraction_id=record.extraction_id, seq=record.seq,
        assertion_id=record.assertion_id, action=DecisionAction(record.action),
        comment=record.comment, decided_by=record.decided_by,
        decided_at=stored_utc(record.decided_at),
        before=ReviewedAssertion.model_validate(record.before) if record.before else None,
        after=ReviewedAssertion.model_validate(record.after))
