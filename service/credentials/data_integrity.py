"""W3C Data Integrity proofs with the eddsa-rdfc-2022 cryptosuite: create and verify."""

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from service.credentials.canonicalization import canonicalize
from service.credentials.document_loader import BundledContextLoader, JsonObject
from service.credentials.errors import (
    CanonicalizationError,
    ProofError,
    RemoteContextError,
    UndefinedTermError,
)
from service.credentials.keys import IssuerKey
from service.credentials.multibase import encode_multibase
from service.credentials.proof_checks import (
    ASSERTION_METHOD,
    CRYPTOSUITE,
    PROOF_TYPE,
    IssueCode,
    VerificationIssue,
    check_proof_fields,
    decode_signature,
    resolve_key,
)


@dataclass(frozen=True)
class VerificationResult:
    """The outcome of verifying every proof on a document."""

    issues: tuple[VerificationIssue, ...] = ()

    @property
    def ok(self) -> bool:
        """True when every proof verified and nothing else was wrong."""
        return not self.issues

    @property
    def reasons(self) -> list[str]:
        """Readable reasons the document failed, empty when ok."""
        return [issue.message for issue in self.issues]


@dataclass(frozen=True)
class ProofHashes:
    """The canonical forms and hashes eddsa-rdfc-2022 signs, kept for stage-by-stage checks."""

    canonical_proof_config: str
    canonical_document: str

    @property
    def proof_config_hash(self) -> bytes:
        """SHA-256 of the canonical proof configuration."""
        return hashlib.sha256(self.canonical_proof_config.encode("utf-8")).digest()

    @property
    def document_hash(self) -> bytes:
        """SHA-256 of the canonical unsecured document."""
        return hashlib.sha256(self.canonical_document.encode("utf-8")).digest()

    @property
    def hash_data(self) -> bytes:
        """The signed bytes: proof configuration hash followed by document hash."""
        return self.proof_config_hash + self.document_hash


def hash_proof_input(
    unsecured_document: Mapping[str, Any],
    proof_config: Mapping[str, Any],
    loader: BundledContextLoader | None = None,
) -> ProofHashes:
    """Canonicalise the proof configuration (with the document's @context) and the document."""
    context = _document_context(unsecured_document)
    return ProofHashes(
        canonical_proof_config=canonicalize(_proof_config(proof_config, context), loader),
        canonical_document=_canonical_document(unsecured_document, loader),
    )


def create_proof(
    document: Mapping[str, Any],
    key: IssuerKey,
    *,
    verification_method: str | None = None,
    created: datetime | None = None,
    loader: BundledContextLoader | None = None,
) -> JsonObject:
    """Sign an unsecured document and return its assertionMethod DataIntegrityProof."""
    if "proof" in document:
        raise ProofError("the document already has a proof; sign the unsecured document")
    options: JsonObject = {
        "type": PROOF_TYPE,
        "created": format_date_time(created or datetime.now(UTC)),
        "verificationMethod": verification_method or key.verification_method,
        "cryptosuite": CRYPTOSUITE,
        "proofPurpose": ASSERTION_METHOD,
    }
    hashes = hash_proof_input(document, options, loader)
    return {**options, "proofValue": encode_multibase(key.sign(hashes.hash_data))}


def add_proof(
    document: Mapping[str, Any],
    key: IssuerKey,
    *,
    verification_method: str | None = None,
    created: datetime | None = None,
    loader: BundledContextLoader | None = None,
) -> JsonObject:
    """Return a copy of the document secured with an eddsa-rdfc-2022 proof."""
    proof = create_proof(
        document, key, verification_method=verification_method, created=created, loader=loader
    )
    return {**document, "proof": proof}


def verify(
    document: Mapping[str, Any],
    *,
    trusted_keys: Mapping[str, Ed25519PublicKey] | None = None,
    loader: BundledContextLoader | None = None,
    now: datetime | None = None,
) -> VerificationResult:
    """Verify every eddsa-rdfc-2022 proof on a document, offline.

    Keys come from `trusted_keys` (verification method URL -> public key) or, for did:key
    verification methods, from the DID itself.
    """
    proofs = document.get("proof")
    if not proofs:
        return _fail(IssueCode.PROOF_MISSING, "the document has no proof")
    proof_list: Sequence[Any] = proofs if isinstance(proofs, list) else [proofs]
    unsecured = {name: value for name, value in document.items() if name != "proof"}
    issues: list[VerificationIssue] = []
    canonical_document = _try_canonicalize(unsecured, loader, issues)
    for index, proof in enumerate(proof_list):
        label = f"proof {index + 1}: " if len(proof_list) > 1 else "proof: "
        for issue in _verify_proof(
            unsecured,
            proof,
            canonical_document,
            trusted_keys or {},
            loader,
            now or datetime.now(UTC),
        ):
            issues.append(VerificationIssue(issue.code, label + issue.message))
    return VerificationResult(tuple(issues))


def format_date_time(moment: datetime) -> str:
    """Format an aware datetime as an XML Schema dateTimeStamp in UTC, to the second."""
    if moment.tzinfo is None:
        raise ProofError("proof times must be timezone-aware")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fail(code: IssueCode, message: str) -> VerificationResult:
    """A result with a single issue."""
    return VerificationResult((VerificationIssue(code, message),))


def _document_context(document: Mapping[str, Any]) -> Any:
    """The document's @context; without one nothing would be signed."""
    context = document.get("@context")
    if not context:
        raise ProofError("the document has no @context, so canonicalisation would sign nothing")
    return context


def _proof_config(proof: Mapping[str, Any], context: Any) -> JsonObject:
    """The proof without its value, in the document's @context (vc-di-eddsa 3.2.5)."""
    config = {name: value for name, value in proof.items() if name != "proofValue"}
    config["@context"] = context
    return config


def _canonical_document(document: Mapping[str, Any], loader: BundledContextLoader | None) -> str:
    """Canonicalise a document, refusing one that expands to no statements at all."""
    canonical = canonicalize(document, loader)
    if not canonical:
        raise CanonicalizationError(
            "the document expands to no RDF statements; its terms are undefined"
        )
    return canonical


def _try_canonicalize(
    document: Mapping[str, Any],
    loader: BundledContextLoader | None,
    issues: list[VerificationIssue],
) -> str | None:
    """Canonicalise the unsecured document, recording why it could not be."""
    if not document.get("@context"):
        issues.append(VerificationIssue(IssueCode.CONTEXT_MISSING, "the document has no @context"))
        return None
    try:
        return _canonical_document(document, loader)
    except (CanonicalizationError, RemoteContextError) as error:
        issues.append(_canonicalization_issue(error))
    return None


def _canonicalization_issue(error: CanonicalizationError | RemoteContextError) -> VerificationIssue:
    """Describe why a document or proof configuration could not be canonicalised."""
    if isinstance(error, RemoteContextError):
        return VerificationIssue(IssueCode.CONTEXT_REFUSED, str(error))
    if isinstance(error, UndefinedTermError):
        return VerificationIssue(IssueCode.UNDEFINED_TERMS, str(error))
    return VerificationIssue(IssueCode.CANONICALIZATION_FAILED, str(error))


def _verify_proof(
    unsecured: Mapping[str, Any],
    proof: Any,
    canonical_document: str | None,
    trusted_keys: Mapping[str, Ed25519PublicKey],
    loader: BundledContextLoader | None,
    now: datetime,
) -> list[VerificationIssue]:
    """Check one proof's fields, then its signature if the fields and document allow."""
    if not isinstance(proof, dict):
        return [VerificationIssue(IssueCode.PROOF_MALFORMED, "the proof is not a JSON object")]
    issues = check_proof_fields(proof, unsecured, now)
    public_key = resolve_key(proof.get("verificationMethod"), trusted_keys, issues)
    signature = decode_signature(proof.get("proofValue"), issues)
    if issues or canonical_document is None or public_key is None or signature is None:
        return issues
    try:
        canonical_config = canonicalize(_proof_config(proof, unsecured["@context"]), loader)
    except (CanonicalizationError, RemoteContextError) as error:
        return [_canonicalization_issue(error)]
    hashes = ProofHashes(
        canonical_proof_config=canonical_config, canonical_document=canonical_document
    )
    try:
        public_key.verify(signature, hashes.hash_data)
    except InvalidSignature:
        return [
            VerificationIssue(
                IssueCode.SIGNATURE_MISMATCH,
                "the signature does not match: the document or its proof was changed after "
                "signing, or it was signed with a different key",
            )
        ]
    return []
