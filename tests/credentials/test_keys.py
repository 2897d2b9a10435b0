"""Ed25519 issuer keys: did:key encoding and key files."""

import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from service.credentials.errors import KeyFileError, KeyFormatError
from service.credentials.keys import (
    IssuerKey,
    decode_public_key,
    decode_secret_key,
    encode_secret_key,
    load_key,
    load_or_create_key,
    public_key_from_did_key,
    save_key,
)

# Public key of the 1EdTech OB 3.0 test vector and its published publicKeyMultibase.
VECTOR_PUBLIC_KEY_HEX = "4bdeafde2ea8beefadd8c699b5c7e0704cf51154d52e17b20b71337ca04cc5a5"
VECTOR_PUBLIC_KEY_MULTIBASE = "z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi"


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    """Run with umask 000, so only the code itself keeps key files private."""
    previous = os.umask(0)
    yield
    os.umask(previous)


def test_did_key_round_trip(issuer_key: IssuerKey) -> None:
    did = issuer_key.did
    assert did.startswith("did:key:z6Mk")
    assert issuer_key.verification_method == f"{did}#{did.removeprefix('did:key:')}"
    for reference in (did, issuer_key.verification_method):
        decoded = public_key_from_did_key(reference)
        assert decoded.public_bytes_raw() == issuer_key.public_key.public_bytes_raw()


def test_public_key_multibase_matches_published_value() -> None:
    public_key = decode_public_key(VECTOR_PUBLIC_KEY_MULTIBASE)
    assert public_key.public_bytes_raw().hex() == VECTOR_PUBLIC_KEY_HEX


def test_did_key_with_a_foreign_fragment_is_refused(issuer_key: IssuerKey) -> None:
    with pytest.raises(KeyFormatError, match="fragment"):
        public_key_from_did_key(f"{issuer_key.did}#{VECTOR_PUBLIC_KEY_MULTIBASE}")


def test_non_did_key_is_refused() -> None:
    with pytest.raises(KeyFormatError, match="not a did:key"):
        public_key_from_did_key("did:web:issuer.example.org")


def test_secret_key_is_not_accepted_as_public_key(issuer_key: IssuerKey) -> None:
    secret = encode_secret_key(issuer_key.private_key)
    with pytest.raises(KeyFormatError, match="public key"):
        decode_public_key(secret)
    assert (
        decode_secret_key(secret).private_bytes_raw() == issuer_key.private_key.private_bytes_raw()
    )


def test_seed_must_be_32_bytes() -> None:
    with pytest.raises(KeyFormatError, match="32 bytes"):
        IssuerKey.from_seed(b"\x01" * 31)


@pytest.mark.parametrize("name", ["issuer.json", "issuer.pem"])
@pytest.mark.usefixtures("permissive_umask")
def test_key_file_is_created_0600_and_reused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "keys" / name
    created = load_or_create_key(path)
    assert path.is_file()
    assert _mode(path) == 0o600
    content = path.read_bytes()

    reused = load_or_create_key(path)
    assert reused.public_key_multibase == created.public_key_multibase
    assert path.read_bytes() == content
    assert [entry.name for entry in path.parent.iterdir()] == [name]
    assert _mode(path.parent) == 0o700


def test_concurrent_first_use_keeps_the_key_written_first(
    tmp_path: Path, issuer_key: IssuerKey, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "issuer.json"
    save_key(issuer_key, path)
    # Another worker wrote the file between our existence check and our write.
    monkeypatch.setattr(Path, "exists", lambda self: False)
    assert load_or_create_key(path).public_key_multibase == issuer_key.public_key_multibase
    assert [entry.name for entry in tmp_path.iterdir()] == ["issuer.json"]


def test_json_key_file_is_a_multikey(tmp_path: Path, issuer_key: IssuerKey) -> None:
    path = tmp_path / "issuer.json"
    save_key(issuer_key, path)
    multikey = json.loads(path.read_text(encoding="utf-8"))
    assert multikey["type"] == "Multikey"
    assert multikey["controller"] == issuer_key.did
    assert multikey["publicKeyMultibase"] == issuer_key.public_key_multibase
    assert multikey["secretKeyMultibase"].startswith("z3u2")


def test_pem_key_file_is_pkcs8(tmp_path: Path, issuer_key: IssuerKey) -> None:
    path = tmp_path / "issuer.pem"
    save_key(issuer_key, path)
    assert path.read_text(encoding="ascii").startswith("-----BEGIN PRIVATE KEY-----")
    assert load_key(path).public_key_multibase == issuer_key.public_key_multibase


def test_save_refuses_to_overwrite_unless_asked(tmp_path: Path, issuer_key: IssuerKey) -> None:
    path = tmp_path / "issuer.json"
    save_key(issuer_key, path)
    replacement = IssuerKey.generate()
    with pytest.raises(KeyFileError, match="already exists"):
        save_key(replacement, path)
    save_key(replacement, path, overwrite=True)
    assert _mode(path) == 0o600
    assert load_key(path).public_key_multibase == replacement.public_key_multibase


def test_unknown_suffix_is_refused(tmp_path: Path, issuer_key: IssuerKey) -> None:
    with pytest.raises(KeyFileError, match=r"\.pem or \.json"):
        save_key(issuer_key, tmp_path / "issuer.key")


def test_missing_key_file_is_a_key_file_error(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match="cannot read"):
        load_key(tmp_path / "absent.json")


def test_corrupt_key_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "issuer.json"
    path.write_text("not a key", encoding="utf-8")
    with pytest.raises(KeyFileError, match="neither PEM nor JSON"):
        load_key(path)


def test_mismatched_public_key_is_refused(tmp_path: Path, issuer_key: IssuerKey) -> None:
    path = tmp_path / "issuer.json"
    multikey = {
        "publicKeyMultibase": VECTOR_PUBLIC_KEY_MULTIBASE,
        "secretKeyMultibase": encode_secret_key(issuer_key.private_key),
    }
    path.write_text(json.dumps(multikey), encoding="utf-8")
    with pytest.raises(KeyFileError, match="does not match"):
        load_key(path)


def test_non_ed25519_pem_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "issuer.pem"
    ec_key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        ec_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(KeyFileError, match="non-Ed25519"):
        load_key(path)
