"""The credentials use case: issue signed badges for accepted assertions, bundle, verify."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from functools import partial
from typing import Any

import structlog
from anyio import to_thread

from service.access.roles import Principal
from service.credentials.data_integrity import add_proof, verify
from service.credentials.documents import (
    FrameworkItem,
    Issuer,
    SkillClaim,
    SpanEvidence,
    clr_credential,
    learner_subject_id,
    new_credential_id,
    open_badge_credential,
)
from service.credentials.keys import IssuerKey
from service.credentials.repository import CredentialRepository
from service.credentials.schemas import IssuedCredentials, Problem, VerificationOut
from service.credentials.validation import CLR2_SCHEMA_ID, OB3_SCHEMA_ID, schema_errors
from service.db.models import CredentialRecord
from service.errors import LearnerNotFound, NothingToIssue
from service.review.repository import ReviewRepository
from service.review.service import Review, ReviewService
from service.review.state import ReviewedAssertion
from service.taxonomy.catalog import TaxonomyCatalog

log = structlog.get_logger(__name__)


class CredentialService:
    """Long-lived: holds the issuer key and the catalogue."""

    def __init__(self, catalog: TaxonomyCatalog, key: IssuerKey, issuer_name: str) -> None:
        self.key = key
        self.issuer = Issuer(did=key.did, name=issuer_name)
        self.taxonomies = {t.id: t for t in catalog}

    async def issue(self, reviews: ReviewService, review_repository: ReviewRepository,
                    repository: CredentialRepository, extraction_id: str,
                    principal: Principal) -> IssuedCredentials:
        """Sign a credential for each accepted assertion that has none yet; return them all."""
        review = await reviews.load(review_repository, extraction_id, principal.tenant_id)
        learner_ref = review.record.learner_ref
        if not learner_ref:
            raise NothingToIssue(
                f"Extraction '{extraction_id}' has no learner_ref, so a credential would have "
                "no subject. Submit experiences with a learner_ref to issue credentials.")
        accepted = [a for a in review.assertions if a.is_asserted]
        existing = {r.assertion_id: r for r in await repository.for_extraction(extraction_id)}
        subject = learner_subject_id(principal.tenant_id, learner_ref)
        now = datetime.now(UTC)
        new = []
        for assertion in accepted:
            if assertion.id in existing:
                continue
            credential_id = new_credential_id()
            document = open_badge_credential(self._claim(review, assertion), self.issuer,
                                             subject, credential_id, now)
            # Canonicalisation is CPU work: keep it off the event loop.
            signed = await to_thread.run_sync(partial(add_proof, document, self.key,
                                                      created=now))
            new.append(CredentialRecord(
                id=credential_id, tenant_id=principal.tenant_id, learner_ref=learner_ref,
                extraction_id=extraction_id, assertion_id=assertion.id,
                framework=assertion.skill.framework, code=assertion.skill.code,
                issued_at=now, issued_by=principal.key_id,
                credential_json=json.dumps(signed, ensure_ascii=False)))
        if new:
            await repository.add(new)
        log.info("credentials.issued", extraction_id=extraction_id, key_id=principal.key_id,
                 issued=len(new), existing=len(existing), accepted=len(accepted))
        records = [*existing.values(), *new]
        return IssuedCredentials(
            extraction_id=extraction_id, learner_ref=learner_ref, issued=len(new),
            credentials=[json.loads(r.credential_json) for r in records])

    async def clr(self, repository: CredentialRepository, learner_ref: str,
                  principal: Principal) -> dict[str, Any]:
        """A signed ClrCredential bundling every credential issued to the learner."""
        records = await repository.for_learner(principal.tenant_id, learner_ref)
        if not records:
            raise LearnerNotFound(
                f"No credentials have been issued to learner '{learner_ref}'. Issue them with "
                "POST /v1/extractions/{id}/credentials once assertions are accepted.")
        now = datetime.now(UTC)
        document = clr_credential([json.loads(r.credential_json) for r in records], self.issuer,
                                  learner_subject_id(principal.tenant_id, learner_ref),
                                  learner_ref, new_credential_id(), now)
        log.info("credentials.clr", learner_credentials=len(records), key_id=principal.key_id)
        return await to_thread.run_sync(partial(add_proof, document, self.key, created=now))

    async def verify(self, document: Mapping[str, Any]) -> VerificationOut:
        """Check the proof, the issuer's control of the key and the schema, off the loop."""
        return await to_thread.run_sync(self.check, document)

    def check(self, document: Mapping[str, Any]) -> VerificationOut:
        """Check the proof, the issuer's control of the key and the schema, offline."""
        types = document.get("type")
        type_list = [t for t in (types if isinstance(types, list) else [types])
                     if isinstance(t, str)]
        problems = _problems(document, type_list)
        subject = document.get("credentialSubject")
        embedded = subject.get("verifiableCredential") if isinstance(subject, dict) else None
        if "ClrCredential" in type_list and isinstance(embedded, list):
            for i, inner in enumerate(embedded):
                if not isinstance(inner, dict):
                    continue
                inner_types = inner.get("type")
                inner_list = [t for t in (inner_types if isinstance(inner_types, list)
                                          else [inner_types]) if isinstance(t, str)]
                problems += [Problem(code=p.code,
                                     message=f"verifiableCredential[{i}]: {p.message}")
                             for p in _problems(inner, inner_list)]
        identifier = document.get("id")
        return VerificationOut(verified=not problems,
                               id=identifier if isinstance(identifier, str) else None,
                               type=type_list, issuer=_issuer_id(document), problems=problems)

    def _claim(self, review: Review, assertion: ReviewedAssertion) -> SkillClaim:
        """What the credential states, from the assertion as review stands."""
        taxonomy = self.taxonomies.get(assertion.skill.framework)
        item = taxonomy.by_identifier.get(assertion.skill.id) if taxonomy else None
        evidence = review.request.get("evidence") or []
        spans = []
        for span in assertion.evidence_spans:
            spans.append(SpanEvidence(source=span.source, start=span.start, end=span.end,
                                      text=span.text, genre=_genre(span.source, evidence)))
        title = review.request.get("title") or review.record.category.replace("_", " ")
        return SkillClaim(
            extraction_id=review.record.id, assertion_id=assertion.id,
            experience_title=title, category=review.record.category,
            item=FrameworkItem(
                framework_id=assertion.skill.framework,
                framework_title=taxonomy.title if taxonomy else assertion.skill.framework,
                framework_version=taxonomy.version if taxonomy else "unknown",
                code=assertion.skill.code, name=assertion.skill.label,
                description=item.description if item else "", uri=assertion.skill.uri),
            confidence=assertion.confidence.value,
            # A reviewer's correction or addition replaces the machine's judgement.
            score=assertion.score if assertion.status.value == "accepted" else None,
            spans=spans)


def _genre(source: str, evidence: list[dict[str, Any]]) -> str:
    """What kind of evidence a span comes from: the narrative, or a kind and its author."""
    if source == "narrative":
        return "learner narrative"
    index = int(source.removeprefix("evidence[").removesuffix("]"))
    item = evidence[index] if index < len(evidence) else {}
    relationship = (item.get("author") or {}).get("relationship")
    kind = item.get("kind", "evidence")
    return f"{kind} by {relationship}" if relationship else str(kind)


def _issuer_id(document: Mapping[str, Any]) -> str | None:
    issuer = document.get("issuer")
    if isinstance(issuer, dict):
        issuer = issuer.get("id")
    return issuer if isinstance(issuer, str) else None


def _problems(document: Mapping[str, Any], types: list[str]) -> list[Problem]:
    """Proof, key control and schema problems of one credential."""
    problems = [Problem(code=i.code.value, message=i.message) for i in verify(document).issues]
    issuer = _issuer_id(document)
    proof = document.get("proof")
    method = proof.get("verificationMethod") if isinstance(proof, dict) else None
    if isinstance(method, str) and issuer is not None:
        controller = method.partition("#")[0]
        if controller != issuer:
            problems.append(Problem(
                code="issuer_mismatch",
                message=f"the proof was made with {controller}'s key, but the issuer is "
                        f"{issuer}; a credential must be signed by its issuer"))
    schema = (CLR2_SCHEMA_ID if "ClrCredential" in types
              else OB3_SCHEMA_ID if {"OpenBadgeCredential", "AchievementCredential"} & set(types)
              else None)
    if schema is None:
        problems.append(Problem(code="unsupported_type",
                                message="type names neither an OpenBadgeCredential (or "
                                        "AchievementCredential) nor a ClrCredential"))
    else:
        problems += [Problem(code="schema_invalid", message=m)
                     for m in schema_errors(document, schema)]
    return problems
