"""Reproduce the published eddsa-rdfc-2022 test vectors byte for byte, offline."""

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from service.credentials.data_integrity import (
    add_proof,
    create_proof,
    hash_proof_input,
    verify,
)
from service.credentials.document_loader import BundledContextLoader
from service.credentials.keys import IssuerKey, decode_public_key, load_key
from service.credentials.multibase import decode_multibase, encode_multibase
from service.credentials.proof_checks import IssueCode

SHARED = Path(__file__).resolve().parents[2].parent / "shared"
STANDARDS = SHARED / "standards"

pytestmark = pytest.mark.skipif(
    not STANDARDS.is_dir(),
    reason=f"test vectors not found: expected the shared/ folder beside the checkout at {SHARED}",
)

EXAMPLES_V2_URL = "https://www.w3.org/ns/credentials/examples/v2"
# The W3C vectors use the VC examples context, which the service does not bundle. Its published
# content is this single @vocab mapping; the vectors cannot be canonicalised without it.
EXAMPLES_V2_CONTEXT = {"@context": {"@vocab": "https://www.w3.org/ns/credentials/examples#"}}


@dataclass(frozen=True)
class Vector:
    """One published test vector, normalised to the same fields."""

    name: str
    key: IssuerKey
    public_key_multibase: str
    unsigned: dict[str, Any]
    signed: dict[str, Any]
    proof: dict[str, Any]
    document_canon: str
    proof_canon: str
    document_hash_hex: str
    proof_hash_hex: str
    signature_hex: str
    loader: BundledContextLoader

    @property
    def created(self) -> datetime:
        """The proof's creation time, as the signer must be given it."""
        return datetime.fromisoformat(self.proof["created"])


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def _read_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _single_proof(signed: dict[str, Any]) -> dict[str, Any]:
    proof = signed["proof"]
    single: dict[str, Any] = proof[0] if isinstance(proof, list) else proof
    return single


def _ob3_vector() -> Vector:
    folder = STANDARDS / "ob3" / "testvector_eddsa_rdfc_2022"
    meta = _read_json(folder / "ob3_testvector.json")
    signed = meta["signedCredential"]
    return Vector(
        name="ob3",
        key=IssuerKey.from_seed(bytes.fromhex(meta["privateKeyHex"])[:32]),
        public_key_multibase=meta["publicKeyMultibase"],
        unsigned=meta["unsignedCredential"],
        signed=signed,
        proof=_single_proof(signed),
        document_canon=_read_text(folder / "document-canon.txt"),
        proof_canon=_read_text(folder / "proof-canon.txt"),
        document_hash_hex=meta["documentHashHex"],
        proof_hash_hex=meta["proofHashHex"],
        signature_hex=meta["signatureHex"],
        loader=BundledContextLoader(),
    )


def _clr2_vector() -> Vector:
    folder = STANDARDS / "clr2" / "testvector_eddsa_rdfc_2022"
    meta = _read_json(folder / "clr_testvector_meta.json")
    signed = _read_json(folder / meta["signedCredentialFile"])
    proof = _single_proof(signed)
    return Vector(
        name="clr2",
        key=IssuerKey.from_seed(bytes.fromhex(meta["privateKeyHex"])[:32]),
        public_key_multibase=proof["verificationMethod"].partition("#")[2],
        unsigned={name: value for name, value in signed.items() if name != "proof"},
        signed=signed,
        proof=proof,
        document_canon=_read_text(folder / "document-canon.txt"),
        proof_canon=_read_text(folder / "proof-canon.txt"),
        document_hash_hex=meta["documentHashHex"],
        proof_hash_hex=meta["proofHashHex"],
        signature_hex=meta["signatureHex"],
        loader=BundledContextLoader(),
    )


def _w3c_vector() -> Vector:
    folder = STANDARDS / "vc-di-eddsa-testvectors"
    signed = _read_json(folder / "eddsa-rdfc-2022_signedDataInt.json")
    return Vector(
        name="w3c",
        key=load_key(folder / "keyPair.json"),
        public_key_multibase=_read_json(folder / "keyPair.json")["publicKeyMultibase"],
        unsigned=_read_json(folder / "unsigned.json"),
        signed=signed,
        proof=signed["proof"],
        document_canon=_read_text(folder / "eddsa-rdfc-2022_canonDocDataInt.txt"),
        proof_canon=_read_text(folder / "eddsa-rdfc-2022_proofCanonDataInt.txt"),
        document_hash_hex=_read_text(folder / "eddsa-rdfc-2022_docHashDataInt.txt").strip(),
        proof_hash_hex=_read_text(folder / "eddsa-rdfc-2022_proofHashDataInt.txt").strip(),
        signature_hex=_read_text(folder / "eddsa-rdfc-2022_sigHexDataInt.txt").strip(),
        loader=BundledContextLoader({EXAMPLES_V2_URL: EXAMPLES_V2_CONTEXT}),
    )


VECTOR_BUILDERS = {"ob3": _ob3_vector, "clr2": _clr2_vector, "w3c": _w3c_vector}


@pytest.fixture(params=sorted(VECTOR_BUILDERS))
def vector(request: pytest.FixtureRequest) -> Vector:
    """Each published vector in turn."""
    builder = VECTOR_BUILDERS[request.param]
    return builder()


def _proof_options(proof: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in proof.items() if name != "proofValue"}


def test_public_key_matches_vector(vector: Vector) -> None:
    assert vector.key.public_key_multibase == vector.public_key_multibase


def test_canonical_document_matches(vector: Vector) -> None:
    hashes = hash_proof_input(vector.unsigned, _proof_options(vector.proof), vector.loader)
    assert hashes.canonical_document == vector.document_canon


def test_canonical_proof_config_matches(vector: Vector) -> None:
    hashes = hash_proof_input(vector.unsigned, _proof_options(vector.proof), vector.loader)
    assert hashes.canonical_proof_config == vector.proof_canon


def test_hashes_match(vector: Vector) -> None:
    hashes = hash_proof_input(vector.unsigned, _proof_options(vector.proof), vector.loader)
    assert hashes.document_hash.hex() == vector.document_hash_hex
    assert hashes.proof_config_hash.hex() == vector.proof_hash_hex


def test_signature_matches_byte_for_byte(vector: Vector) -> None:
    proof = create_proof(
        vector.unsigned,
        vector.key,
        verification_method=vector.proof["verificationMethod"],
        created=vector.created,
        loader=vector.loader,
    )
    assert decode_multibase(proof["proofValue"]).hex() == vector.signature_hex
    assert proof["proofValue"] == vector.proof["proofValue"]
    assert proof == vector.proof


def test_signed_vector_verifies(vector: Vector) -> None:
    trusted = {vector.proof["verificationMethod"]: vector.key.public_key}
    result = verify(vector.signed, trusted_keys=trusted, loader=vector.loader)
    assert result.ok, result.reasons


def test_ob3_signed_credential_is_reproduced_whole() -> None:
    vector = _ob3_vector()
    signed = add_proof(
        vector.unsigned,
        vector.key,
        verification_method=vector.proof["verificationMethod"],
        created=vector.created,
    )
    assert signed == vector.signed


def test_w3c_signed_credential_is_reproduced_whole() -> None:
    vector = _w3c_vector()
    signed = add_proof(vector.unsigned, vector.key, created=vector.created, loader=vector.loader)
    assert signed == vector.signed
    folder = STANDARDS / "vc-di-eddsa-testvectors"
    combined = _read_text(folder / "eddsa-rdfc-2022_combinedHashDataInt.txt").strip()
    hashes = hash_proof_input(vector.unsigned, _proof_options(vector.proof), vector.loader)
    assert hashes.hash_data.hex() == combined
    assert (
        signed["proof"]["proofValue"]
        == _read_text(folder / "eddsa-rdfc-2022_sigBTC58DataInt.txt").strip()
    )


def test_w3c_proof_config_file_gives_same_canonical_form() -> None:
    vector = _w3c_vector()
    config = _read_json(
        STANDARDS / "vc-di-eddsa-testvectors" / "eddsa-rdfc-2022_proofConfigDataInt.json"
    )
    hashes = hash_proof_input(vector.unsigned, config, vector.loader)
    assert hashes.canonical_proof_config == vector.proof_canon


def test_w3c_vector_is_refused_without_the_examples_context() -> None:
    vector = _w3c_vector()
    result = verify(vector.signed, loader=BundledContextLoader())
    assert not result.ok
    assert [issue.code for issue in result.issues] == [IssueCode.CONTEXT_REFUSED]
    assert EXAMPLES_V2_URL in result.reasons[0]


def test_tampered_vector_fails_with_reason(vector: Vector) -> None:
    tampered = json.loads(json.dumps(vector.signed))
    tampered["name"] = tampered.get("name", "") + " (edited)"
    trusted = {vector.proof["verificationMethod"]: vector.key.public_key}
    result = verify(tampered, trusted_keys=trusted, loader=vector.loader)
    assert not result.ok
    assert [issue.code for issue in result.issues] == [IssueCode.SIGNATURE_MISMATCH]
    assert "changed after signing" in result.reasons[0]


def test_vector_from_untrusted_https_key_is_unknown() -> None:
    vector = _ob3_vector()
    result = verify(vector.signed)
    assert [issue.code for issue in result.issues] == [IssueCode.UNKNOWN_KEY]


def test_vector_signature_fails_under_another_key() -> None:
    vector = _ob3_vector()
    other: Ed25519PublicKey = decode_public_key(_w3c_vector().public_key_multibase)
    result = verify(vector.signed, trusted_keys={vector.proof["verificationMethod"]: other})
    assert [issue.code for issue in result.issues] == [IssueCode.SIGNATURE_MISMATCH]


def test_signature_hex_and_multibase_agree(vector: Vector) -> None:
    assert encode_multibase(bytes.fromhex(vector.signature_hex)) == vector.proof["proofValue"]
