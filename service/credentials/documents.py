"""Unsigned Open Badges 3.0 and CLR 2.0 documents for reviewed skill assertions.

Pure code: the service loads the extraction and signs; this module only shapes the JSON-LD.
Every term used here is defined by the bundled contexts, so canonicalisation covers it all.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final
from urllib.parse import quote

from service.credentials.data_integrity import format_date_time
from service.credentials.document_loader import (
    CLR_V2P0_CONTEXT_URL,
    CREDENTIALS_V2_URL,
    OB_V3P0_CONTEXT_URL,
    OB_V3P0_EXTENSIONS_URL,
    JsonObject,
)
from service.credentials.validation import CLR2_SCHEMA_ID, OB3_SCHEMA_ID

# The extensions context defines the 1EdTech schema validator type credentialSchema names.
OB3_CONTEXT: Final = [CREDENTIALS_V2_URL, OB_V3P0_CONTEXT_URL, OB_V3P0_EXTENSIONS_URL]
CLR2_CONTEXT: Final = [CREDENTIALS_V2_URL, CLR_V2P0_CONTEXT_URL, OB_V3P0_CONTEXT_URL,
                       OB_V3P0_EXTENSIONS_URL]
SCHEMA_VALIDATOR: Final = "1EdTechJsonSchemaValidator2019"
# Names the service's own identifiers (achievements, rubric levels, experiences) in URNs.
_URN: Final = "urn:skill-extraction"
CONFIDENCE_LEVELS: Final = ("low", "medium", "high")


@dataclass(frozen=True)
class Issuer:
    """Who signs: the issuer profile's id is the signing key's did:key."""

    did: str
    name: str

    def profile(self) -> JsonObject:
        """The OB 3.0 Profile of the issuer."""
        return {"id": self.did, "type": ["Profile"], "name": self.name}


@dataclass(frozen=True)
class FrameworkItem:
    """The framework item (CASE CFItem) a credential aligns to."""

    framework_id: str
    framework_title: str
    framework_version: str
    code: str
    name: str
    description: str
    uri: str


@dataclass(frozen=True)
class SpanEvidence:
    """Exact words of evidence, with what they come from."""

    source: str  # "narrative" or "evidence[i]"
    start: int
    end: int
    text: str
    genre: str  # "narrative", or the evidence kind and author relationship


@dataclass(frozen=True)
class SkillClaim:
    """One accepted assertion of one experience, as a credential states it."""

    extraction_id: str
    assertion_id: str
    experience_title: str
    category: str
    item: FrameworkItem
    confidence: str  # low, medium, high
    score: float | None  # the machine's calibrated score; None for a reviewer-added skill
    spans: Sequence[SpanEvidence]


def learner_subject_id(tenant_id: str, learner_ref: str) -> str:
    """The credential subject's IRI: the platform's opaque learner reference, never a name."""
    return f"{_URN}:learner:{quote(tenant_id, safe='')}:{quote(learner_ref, safe='')}"


def experience_iri(extraction_id: str) -> str:
    """The IRI of a stored experience (its extraction id is a UUID)."""
    return f"urn:uuid:{extraction_id}"


def new_credential_id() -> str:
    """A fresh credential id."""
    return f"urn:uuid:{uuid.uuid4()}"


def achievement(claim: SkillClaim, issuer: Issuer) -> JsonObject:
    """The Competency achievement: the framework item, aligned to its CFItem."""
    item = claim.item
    achievement_id = (f"{_URN}:achievement:{quote(item.framework_id, safe='')}:"
                      f"{quote(item.code, safe='')}")
    return {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": "Competency",
        "name": item.name,
        "description": item.description or item.name,
        "humanCode": item.code,
        "criteria": {
            "narrative": f"Shows {item.code} {item.name} ({item.framework_title}) in an "
                         "experience, with evidence quoted from the learner's account or from "
                         "third parties, accepted by a reviewer."},
        "alignment": [{
            "type": ["Alignment"],
            "targetType": "CFItem",
            "targetCode": item.code,
            "targetName": item.name,
            "targetDescription": item.description or item.name,
            "targetFramework": f"{item.framework_title} ({item.framework_id}@"
                               f"{item.framework_version})",
            "targetUrl": item.uri,
        }],
        "resultDescription": [{
            "id": f"{achievement_id}:confidence",
            "type": ["ResultDescription"],
            "name": "Confidence that the experience shows this skill",
            "resultType": "RubricCriterionLevel",
            "valueMin": "0",
            "valueMax": "1",
            "rubricCriterionLevel": [
                {"id": f"{achievement_id}:confidence:{level}", "type": ["RubricCriterionLevel"],
                 "name": level}
                for level in CONFIDENCE_LEVELS],
        }],
        "creator": issuer.profile(),
    }


def evidence(claim: SkillClaim) -> list[JsonObject]:
    """One Evidence per span: it points into the experience and quotes the words."""
    experience = experience_iri(claim.extraction_id)
    entries = []
    for span in claim.spans:
        source = span.source.replace("[", "-").replace("]", "")
        entries.append({
            "id": f"{experience}#{source}-{span.start}-{span.end}",
            "type": ["Evidence"],
            "name": f"{claim.experience_title}: {span.source}",
            "narrative": f"> {span.text}",
            "description": f"Characters {span.start}-{span.end} of {span.source} of the "
                           f"{claim.category.replace('_', ' ')} experience {experience}.",
            "genre": span.genre,
        })
    return entries


def result(claim: SkillClaim, achievement_doc: Mapping[str, Any]) -> list[JsonObject]:
    """The confidence level achieved, with the calibrated score when the machine gave one."""
    description = achievement_doc["resultDescription"][0]
    entry: JsonObject = {
        "type": ["Result"],
        "resultDescription": description["id"],
        "achievedLevel": f"{description['id']}:{claim.confidence}",
    }
    if claim.score is not None:
        entry["value"] = f"{claim.score:.4f}"
    return [entry]


def open_badge_credential(claim: SkillClaim, issuer: Issuer, subject_id: str,
                          credential_id: str, issued_at: datetime) -> JsonObject:
    """An unsigned OpenBadgeCredential for one accepted skill assertion."""
    achievement_doc = achievement(claim, issuer)
    return {
        "@context": list(OB3_CONTEXT),
        "id": credential_id,
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": f"{claim.item.code} {claim.item.name}",
        "issuer": issuer.profile(),
        "validFrom": format_date_time(issued_at),
        "credentialSubject": {
            "id": subject_id,
            "type": ["AchievementSubject"],
            "achievement": achievement_doc,
            "result": result(claim, achievement_doc),
        },
        "evidence": evidence(claim),
        "credentialSchema": [{"id": OB3_SCHEMA_ID, "type": SCHEMA_VALIDATOR}],
    }


def clr_credential(credentials: Sequence[Mapping[str, Any]], issuer: Issuer, subject_id: str,
                   learner_ref: str, credential_id: str, issued_at: datetime) -> JsonObject:
    """An unsigned ClrCredential bundling a learner's signed credentials as they were issued."""
    achievements = {c["credentialSubject"]["achievement"]["id"]:
                    c["credentialSubject"]["achievement"] for c in credentials}
    return {
        "@context": list(CLR2_CONTEXT),
        "id": credential_id,
        "type": ["VerifiableCredential", "ClrCredential"],
        "name": f"Comprehensive Learner Record of {learner_ref}",
        "description": f"{len(credentials)} competency credential(s) issued from reviewed "
                       "experiences.",
        "issuer": issuer.profile(),
        "validFrom": format_date_time(issued_at),
        "credentialSubject": {
            "id": subject_id,
            "type": ["ClrSubject"],
            "achievement": list(achievements.values()),
            "verifiableCredential": [dict(c) for c in credentials],
        },
        "credentialSchema": [{"id": CLR2_SCHEMA_ID, "type": SCHEMA_VALIDATOR}],
    }
