"""Issuing and verifying eddsa-rdfc-2022 Data Integrity proofs."""

import copy
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from service.credentials.data_integrity import add_proof, create_proof, verify
from service.credentials.document_loader import CREDENTIALS_V2_URL
from service.credentials.errors import (
    CanonicalizationError,
    ProofError,
    RemoteContextError,
    UndefinedTermError,
)
from service.credentials.keys import IssuerKey
from service.credentials.proof_checks import CRYPTOSUITE, PROOF_TYPE, IssueCode

REMOTE_CONTEXT = "https://contexts.example.org/badge-extras.jsonld"
HTTPS_METHOD = "https://issuer.example.org/keys#signing-2025"


def _codes(result: Any) -> list[IssueCode]:
    return [issue.code for issue in result.issues]


@pytest.fixture
def signed(skill_credential: dict[str, Any], issuer_key: IssuerKey) -> dict[str, Any]:
    """The skill credential secured with a did:key proof."""
    return add_proof(skill_credential, issuer_key)


def test_signed_credential_verifies_from_its_did_key(signed: dict[str, Any]) -> None:
    result = verify(signed)
    assert result.ok
    assert result.reasons == []


def test_proof_has_the_eddsa_rdfc_2022_shape(signed: dict[str, Any], issuer_key: IssuerKey) -> None:
    proof = signed["proof"]
    assert proof["type"] == PROOF_TYPE
    assert proof["cryptosuite"] == CRYPTOSUITE
    assert proof["proofPurpose"] == "assertionMethod"
    assert proof["verificationMethod"] == issuer_key.verification_method
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", proof["created"])
    assert proof["proofValue"].startswith("z")


def test_add_proof_leaves_the_input_untouched(
    skill_credential: dict[str, Any], issuer_key: IssuerKey
) -> None:
    before = copy.deepcopy(skill_credential)
    add_proof(skill_credential, issuer_key)
    assert skill_credential == before


def test_https_verification_method_needs_a_trusted_key(
    skill_credential: dict[str, Any], issuer_key: IssuerKey
) -> None:
    signed = add_proof(skill_credential, issuer_key, verification_method=HTTPS_METHOD)
    untrusted = verify(signed)
    assert _codes(untrusted) == [IssueCode.UNKNOWN_KEY]
    assert HTTPS_METHOD in untrusted.reasons[0]
    assert verify(signed, trusted_keys={HTTPS_METHOD: issuer_key.public_key}).ok


@pytest.mark.parametrize(
    "tamper",
    [
        lambda doc: doc["credentialSubject"]["achievement"].update(name="Data engineering"),
        lambda doc: doc["credentialSubject"].update(id="did:example:someone-else"),
        lambda doc: doc["credentialSubject"].update(name="A. Learner"),
        lambda doc: doc.update(validFrom="2020-01-01T00:00:00Z"),
        lambda doc: doc["proof"].update(created="2025-01-01T00:00:00Z"),
    ],
    ids=["achievement-name", "subject", "added-claim", "valid-from", "proof-created"],
)
def test_tampered_credential_fails_with_reason(signed: dict[str, Any], tamper: Any) -> None:
    tamper(signed)
    result = verify(signed)
    assert not result.ok
    assert _codes(result) == [IssueCode.SIGNATURE_MISMATCH]
    assert "changed after signing" in result.reasons[0]


def test_proof_from_another_key_fails(signed: dict[str, Any]) -> None:
    other = IssuerKey.generate()
    signed["proof"]["verificationMethod"] = other.verification_method
    assert _codes(verify(signed)) == [IssueCode.SIGNATURE_MISMATCH]


def test_wrong_cryptosuite_is_reported(signed: dict[str, Any]) -> None:
    signed["proof"]["cryptosuite"] = "ecdsa-rdfc-2019"
    result = verify(signed)
    assert _codes(result) == [IssueCode.WRONG_CRYPTOSUITE]
    assert "ecdsa-rdfc-2019" in result.reasons[0]


def test_wrong_type_and_purpose_are_reported(signed: dict[str, Any]) -> None:
    signed["proof"]["type"] = "Ed25519Signature2020"
    signed["proof"]["proofPurpose"] = "authentication"
    assert _codes(verify(signed)) == [IssueCode.WRONG_PROOF_TYPE, IssueCode.WRONG_PROOF_PURPOSE]


def test_proof_missing_fields_are_listed(signed: dict[str, Any]) -> None:
    del signed["proof"]["proofValue"]
    del signed["proof"]["verificationMethod"]
    result = verify(signed)
    assert _codes(result) == [IssueCode.PROOF_MALFORMED]
    assert "verificationMethod" in result.reasons[0]
    assert "proofValue" in result.reasons[0]


def test_document_without_proof_is_reported(skill_credential: dict[str, Any]) -> None:
    result = verify(skill_credential)
    assert _codes(result) == [IssueCode.PROOF_MISSING]


def test_proof_that_is_not_an_object_is_reported(signed: dict[str, Any]) -> None:
    signed["proof"] = "z3FXQ"
    assert _codes(verify(signed)) == [IssueCode.PROOF_MALFORMED]


def test_created_in_the_future_is_reported(
    skill_credential: dict[str, Any], issuer_key: IssuerKey
) -> None:
    tomorrow = datetime.now(UTC) + timedelta(days=1)
    signed = add_proof(skill_credential, issuer_key, created=tomorrow)
    result = verify(signed)
    assert _codes(result) == [IssueCode.CREATED_IN_FUTURE]
    assert verify(signed, now=tomorrow).ok


def test_small_clock_skew_is_tolerated(
    skill_credential: dict[str, Any], issuer_key: IssuerKey
) -> None:
    soon = datetime.now(UTC) + timedelta(minutes=1)
    assert verify(add_proof(skill_credential, issuer_key, created=soon)).ok


def test_invalid_created_is_reported(signed: dict[str, Any]) -> None:
    signed["proof"]["created"] = "2025-03-01 09:00"
    assert _codes(verify(signed)) == [IssueCode.INVALID_CREATED]


def test_expired_proof_is_reported(signed: dict[str, Any]) -> None:
    signed["proof"]["expires"] = "2020-01-01T00:00:00Z"
    assert IssueCode.PROOF_EXPIRED in _codes(verify(signed))


def test_proof_context_must_prefix_document_context(signed: dict[str, Any]) -> None:
    signed["proof"]["@context"] = [REMOTE_CONTEXT]
    assert _codes(verify(signed)) == [IssueCode.PROOF_CONTEXT_MISMATCH]


@pytest.mark.parametrize(
    "proof_value", ["uAAECAw", "z3FXQ", "z0OIl"], ids=["base64url", "too-short", "bad-char"]
)
def test_malformed_proof_value_is_reported(signed: dict[str, Any], proof_value: str) -> None:
    signed["proof"]["proofValue"] = proof_value
    assert _codes(verify(signed)) == [IssueCode.INVALID_PROOF_VALUE]


def test_bad_did_key_is_an_unknown_key(signed: dict[str, Any]) -> None:
    signed["proof"]["verificationMethod"] = "did:key:z6MkNotAKey"
    result = verify(signed)
    assert _codes(result) == [IssueCode.UNKNOWN_KEY]
    assert "did:key" in result.reasons[0]


def test_remote_context_is_refused_when_verifying(signed: dict[str, Any]) -> None:
    signed["@context"] = [*signed["@context"], REMOTE_CONTEXT]
    result = verify(signed)
    assert _codes(result) == [IssueCode.CONTEXT_REFUSED]
    assert REMOTE_CONTEXT in result.reasons[0]


def test_remote_context_is_refused_when_signing(
    skill_credential: dict[str, Any], issuer_key: IssuerKey
) -> None:
    skill_credential["@context"] = [*skill_credential["@context"], REMOTE_CONTEXT]
    with pytest.raises(RemoteContextError, match=re.escape(REMOTE_CONTEXT)):
        add_proof(skill_credential, issuer_key)


def test_proof_set_verifies_each_proof(
    skill_credential: dict[str, Any], issuer_key: IssuerKey
) -> None:
    second_key = IssuerKey.generate()
    proofs = [create_proof(skill_credential, key) for key in (issuer_key, second_key)]
    assert verify({**skill_credential, "proof": proofs}).ok

    proofs[1]["proofValue"] = proofs[0]["proofValue"]
    result = verify({**skill_credential, "proof": proofs})
    assert _codes(result) == [IssueCode.SIGNATURE_MISMATCH]
    assert result.reasons[0].startswith("proof 2:")


def test_proof_chain_is_not_supported(signed: dict[str, Any]) -> None:
    signed["proof"]["previousProof"] = "urn:uuid:6f2b8d2c-4a54-4b6c-9b0e-6f3c2f2a1a10"
    assert _codes(verify(signed)) == [IssueCode.PROOF_CHAIN_UNSUPPORTED]


def test_signing_a_signed_document_is_refused(
    signed: dict[str, Any], issuer_key: IssuerKey
) -> None:
    with pytest.raises(ProofError, match="already has a proof"):
        create_proof(signed, issuer_key)


def test_document_without_context_is_refused(issuer_key: IssuerKey) -> None:
    with pytest.raises(ProofError, match="@context"):
        create_proof({"name": "no context"}, issuer_key)
    assert _codes(verify({"name": "no context", "proof": {}})) == [IssueCode.PROOF_MISSING]


def test_undefined_term_is_refused_when_signing(
    skill_credential: dict[str, Any], issuer_key: IssuerKey
) -> None:
    skill_credential["credentialSubject"]["level"] = "expert"
    with pytest.raises(UndefinedTermError, match="level") as refused:
        add_proof(skill_credential, issuer_key)
    assert refused.value.terms == ["level"]


def test_undefined_term_added_after_signing_is_reported(signed: dict[str, Any]) -> None:
    signed["credentialSubject"]["level"] = "expert"
    result = verify(signed)
    assert _codes(result) == [IssueCode.UNDEFINED_TERMS]
    assert "level" in result.reasons[0]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda doc: doc.update(id="credentials/42"),
        lambda doc: doc["type"].append("SkillBadge"),
        lambda doc: doc["credentialSubject"]["achievement"].update(id="sql-analysis"),
    ],
    ids=["relative-id", "undefined-type", "relative-nested-id"],
)
def test_relative_iris_are_refused(signed: dict[str, Any], tamper: Any) -> None:
    tamper(signed)
    result = verify(signed)
    assert _codes(result) == [IssueCode.UNDEFINED_TERMS]
    assert "relative IRIs" in result.reasons[0]


def test_document_with_no_statements_is_refused(issuer_key: IssuerKey) -> None:
    document = {"@context": [CREDENTIALS_V2_URL], "id": "urn:uuid:0d9e6f8e-1111-4a5e-9c1a-3f0e"}
    with pytest.raises(CanonicalizationError, match="no RDF statements"):
        create_proof(document, issuer_key)


def test_naive_created_time_is_refused(
    skill_credential: dict[str, Any], issuer_key: IssuerKey
) -> None:
    with pytest.raises(ProofError, match="timezone"):
        create_proof(skill_credential, issuer_key, created=datetime(2025, 3, 1, 9, 0))


def test_tabs_and_newlines_in_text_sign_and_verify(
    skill_credential: dict[str, Any], issuer_key: IssuerKey
) -> None:
    skill_credential["credentialSubject"]["achievement"]["criteria"]["narrative"] = (
        'Line one\n\tLine two with a "quote" and a back\\slash\r\n'
    )
    assert verify(add_proof(skill_credential, issuer_key)).ok


def test_control_characters_pyld_cannot_escape_are_refused(
    skill_credential: dict[str, Any], issuer_key: IssuerKey
) -> None:
    skill_credential["name"] = "Form\x0cfeed"
    with pytest.raises(CanonicalizationError, match="control characters"):
        add_proof(skill_credential, issuer_key)
