"""Structural checks of a Data Integrity proof, and the issue codes verification reports."""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from service.credentials.errors import KeyFormatError
from service.credentials.keys import DID_KEY_PREFIX, public_key_from_did_key
from service.credentials.multibase import decode_multibase

PROOF_TYPE: Final = "DataIntegrityProof"
CRYPTOSUITE: Final = "eddsa-rdfc-2022"
ASSERTION_METHOD: Final = "assertionMethod"
# Issuers' clocks drift; a proof a few minutes "ahead" of ours is not a forgery.
CLOCK_SKEW: Final = timedelta(minutes=5)
REQUIRED_PROOF_FIELDS: Final = (
    "type",
    "cryptosuite",
    "verificationMethod",
    "proofPurpose",
    "proofValue",
)
_SIGNATURE_LENGTH: Final = 64
_DATE_TIME_STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


class IssueCode(StrEnum):
    """Why a proof failed verification; stable codes for API clients."""

    PROOF_MISSING = "proof_missing"
    PROOF_MALFORMED = "proof_malformed"
    WRONG_PROOF_TYPE = "wrong_proof_type"
    WRONG_CRYPTOSUITE = "wrong_cryptosuite"
    WRONG_PROOF_PURPOSE = "wrong_proof_purpose"
    INVALID_CREATED = "invalid_created"
    CREATED_IN_FUTURE = "created_in_future"
    PROOF_EXPIRED = "proof_expired"
    PROOF_CONTEXT_MISMATCH = "proof_context_mismatch"
    PROOF_CHAIN_UNSUPPORTED = "proof_chain_unsupported"
    UNKNOWN_KEY = "unknown_key"
    INVALID_PROOF_VALUE = "invalid_proof_value"
    CONTEXT_MISSING = "context_missing"
    CONTEXT_REFUSED = "context_refused"
    UNDEFINED_TERMS = "undefined_terms"
    CANONICALIZATION_FAILED = "canonicalization_failed"
    SIGNATURE_MISMATCH = "signature_mismatch"


@dataclass(frozen=True)
class VerificationIssue:
    """One reason a document failed verification."""

    code: IssueCode
    message: str


def check_proof_fields(
    proof: Mapping[str, Any], unsecured: Mapping[str, Any], now: datetime
) -> list[VerificationIssue]:
    """Check the proof's required fields, type, suite, purpose, times and @context."""
    missing = [name for name in REQUIRED_PROOF_FIELDS if not isinstance(proof.get(name), str)]
    if missing:
        return [
            VerificationIssue(
                IssueCode.PROOF_MALFORMED, f"missing or non-string fields: {', '.join(missing)}"
            )
        ]
    issues: list[VerificationIssue] = []
    if proof["type"] != PROOF_TYPE:
        issues.append(
            VerificationIssue(
                IssueCode.WRONG_PROOF_TYPE, f"type is {proof['type']!r}, expected {PROOF_TYPE!r}"
            )
        )
    if proof["cryptosuite"] != CRYPTOSUITE:
        issues.append(
            VerificationIssue(
                IssueCode.WRONG_CRYPTOSUITE,
                f"cryptosuite is {proof['cryptosuite']!r}; only {CRYPTOSUITE!r} is supported",
            )
        )
    if proof["proofPurpose"] != ASSERTION_METHOD:
        issues.append(
            VerificationIssue(
                IssueCode.WRONG_PROOF_PURPOSE,
                f"proofPurpose is {proof['proofPurpose']!r}, expected {ASSERTION_METHOD!r}",
            )
        )
    if "previousProof" in proof:
        issues.append(
            VerificationIssue(
                IssueCode.PROOF_CHAIN_UNSUPPORTED, "proof chains (previousProof) are not supported"
            )
        )
    issues.extend(_check_times(proof, now))
    proof_context = proof.get("@context")
    if proof_context is not None and not _starts_with(unsecured.get("@context"), proof_context):
        issues.append(
            VerificationIssue(
                IssueCode.PROOF_CONTEXT_MISMATCH,
                "the proof's @context is not a prefix of the document's @context",
            )
        )
    return issues


def _check_times(proof: Mapping[str, Any], now: datetime) -> list[VerificationIssue]:
    """Check created is a dateTimeStamp not in the future and expires has not passed."""
    issues: list[VerificationIssue] = []
    if "created" in proof:
        created = _parse_date_time(proof["created"])
        if created is None:
            issues.append(
                VerificationIssue(
                    IssueCode.INVALID_CREATED,
                    f"created {proof['created']!r} is not a date-time with a time zone",
                )
            )
        elif created > now + CLOCK_SKEW:
            issues.append(
                VerificationIssue(
                    IssueCode.CREATED_IN_FUTURE, f"created {proof['created']} is in the future"
                )
            )
    if "expires" in proof:
        expires = _parse_date_time(proof["expires"])
        if expires is None or expires <= now:
            issues.append(
                VerificationIssue(
                    IssueCode.PROOF_EXPIRED, f"the proof expired ({proof['expires']!r})"
                )
            )
    return issues


def _parse_date_time(value: Any) -> datetime | None:
    """Parse an XML Schema dateTimeStamp (time zone required), or None if it is not one."""
    if not isinstance(value, str) or not _DATE_TIME_STAMP.match(value):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _starts_with(document_context: Any, proof_context: Any) -> bool:
    """True when the document's @context begins with every proof @context entry, in order."""
    document_list = document_context if isinstance(document_context, list) else [document_context]
    proof_list = proof_context if isinstance(proof_context, list) else [proof_context]
    return document_list[: len(proof_list)] == proof_list


def resolve_key(
    verification_method: Any,
    trusted_keys: Mapping[str, Ed25519PublicKey],
    issues: list[VerificationIssue],
) -> Ed25519PublicKey | None:
    """Find the public key for a verification method among trusted keys or in a did:key."""
    if not isinstance(verification_method, str):
        return None
    trusted = trusted_keys.get(verification_method)
    if trusted is not None:
        return trusted
    if verification_method.startswith(DID_KEY_PREFIX):
        try:
            return public_key_from_did_key(verification_method)
        except KeyFormatError as error:
            issues.append(
                VerificationIssue(
                    IssueCode.UNKNOWN_KEY, f"bad did:key verification method: {error}"
                )
            )
            return None
    issues.append(
        VerificationIssue(
            IssueCode.UNKNOWN_KEY,
            f"verification method {verification_method!r} is neither a did:key nor a trusted key",
        )
    )
    return None


def decode_signature(proof_value: Any, issues: list[VerificationIssue]) -> bytes | None:
    """Decode proofValue into a 64-byte Ed25519 signature."""
    if not isinstance(proof_value, str):
        return None
    try:
        signature = decode_multibase(proof_value)
    except KeyFormatError as error:
        issues.append(VerificationIssue(IssueCode.INVALID_PROOF_VALUE, f"proofValue: {error}"))
        return None
    if len(signature) != _SIGNATURE_LENGTH:
        issues.append(
            VerificationIssue(
                IssueCode.INVALID_PROOF_VALUE,
                f"proofValue decodes to {len(signature)} bytes; "
                f"an Ed25519 signature is {_SIGNATURE_LENGTH}",
            )
        )
        return None
    return signature
