"""The extraction use case: validate, run the pipeline off the event loop, store, answer."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

import structlog
from anyio import to_thread

from service.db.models import ExtractionAssertionRecord, ExtractionRecord
from service.errors import ExtractionNotFound, InvalidExperience
from service.extraction.repository import ExtractionRepository
from service.extraction.schemas import ExtractionRequest, ExtractionResponse
from service.inference.batcher import BatchingEmbedder
from service.pipeline.pipeline import ExtractionPipeline
from service.pipeline.retrieve import SkillIndex
from service.settings import Settings
from service.taxonomy.catalog import TaxonomyCatalog

log = structlog.get_logger(__name__)


class ExtractionService:
    """Long-lived: built once at start-up with the model, the catalogue and the indexes."""

    def __init__(self, settings: Settings, pipeline: ExtractionPipeline,
                 catalog: TaxonomyCatalog, indexes: dict[str, SkillIndex],
                 embedder: BatchingEmbedder) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.catalog = catalog
        self.indexes = indexes
        self.embedder = embedder

    def check_limits(self, request: ExtractionRequest) -> None:
        """Refuse over-long texts with a message naming each field; never cut them."""
        s = self.settings
        errors: list[dict[str, Any]] = []
        if len(request.narrative) > s.max_narrative_chars:
            errors.append(_too_long(["body", "narrative"], len(request.narrative),
                                    s.max_narrative_chars))
        if len(request.evidence) > s.max_evidence_items:
            errors.append({"loc": ["body", "evidence"], "type": "too_many_items",
                           "msg": f"{len(request.evidence)} evidence items; at most "
                                  f"{s.max_evidence_items} are accepted. Send the strongest."})
        for i, item in enumerate(request.evidence):
            if len(item.text) > s.max_evidence_chars:
                errors.append(_too_long(["body", "evidence", i, "text"], len(item.text),
                                        s.max_evidence_chars))
        limit = request.options.max_assertions
        if limit is not None and limit > s.max_assertions_limit:
            errors.append({"loc": ["body", "options", "max_assertions"], "type": "less_than_equal",
                           "msg": f"max_assertions is {limit}; at most "
                                  f"{s.max_assertions_limit} are returned."})
        if errors:
            raise InvalidExperience("The experience breaks a size limit: "
                                    + "; ".join(e["msg"] for e in errors), errors=errors)

    async def extract(self, request: ExtractionRequest, repository: ExtractionRepository,
                      tenant_id: str) -> str:
        """Run the pipeline on one experience, store it for ``tenant_id``, return the body."""
        self.check_limits(request)
        taxonomies = self.catalog.select(request.options.taxonomies)
        indexes = [self.indexes[t.id] for t in taxonomies]
        experience = request.experience()
        started = time.perf_counter()
        segments = await to_thread.run_sync(self.pipeline.segment, experience)
        vectors = await self.embedder.embed(self.pipeline.texts_to_embed(segments))
        result = await to_thread.run_sync(
            self.pipeline.assert_skills, experience, segments, vectors, indexes,
            request.options, self.embedder.model_id)
        response = ExtractionResponse(
            id=str(uuid.uuid4()),
            created_at=datetime.now(UTC),
            learner_ref=request.learner_ref,
            external_id=request.external_id,
            **result.model_dump(),
        )
        body = response.model_dump_json()
        await repository.add(ExtractionRecord(
            id=response.id, tenant_id=tenant_id, created_at=response.created_at,
            review_status="pending", learner_ref=request.learner_ref,
            external_id=request.external_id, category=request.category.value,
            model_id=result.model_id, pipeline_version=result.pipeline_version,
            components=result.components,
            taxonomy_versions=[t.model_dump() for t in result.taxonomies],
            request_json=request.model_dump_json(), result_json=body), [
            ExtractionAssertionRecord(
                extraction_id=response.id, assertion_id=a.id, framework=a.skill.framework,
                code=a.skill.code, confidence=a.confidence.value, score=a.score)
            for a in response.assertions])
        log.info("extraction.completed", extraction_id=response.id, tenant_id=tenant_id,
                 category=request.category.value, segments=len(segments),
                 assertions=len(response.assertions), taxonomies=[t.id for t in taxonomies],
                 duration_ms=round((time.perf_counter() - started) * 1000, 1))
        return body

    async def stored_body(self, extraction_id: str, repository: ExtractionRepository,
                          tenant_id: str) -> str:
        """The JSON body exactly as it was first returned; another tenant's is not found."""
        record = await repository.get(extraction_id, tenant_id)
        if record is None:
            raise ExtractionNotFound(f"No extraction with id '{extraction_id}'.")
        return record.result_json


def _too_long(loc: list[str | int], length: int, limit: int) -> dict[str, Any]:
    return {"loc": loc, "type": "string_too_long",
            "msg": f"{'.'.join(str(p) for p in loc[1:])} has {length} characters; the limit is "
                   f"{limit}. Shorten it or split the experience; text is never cut silently."}
