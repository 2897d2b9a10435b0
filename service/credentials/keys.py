"""Ed25519 issuer keys: did:key and Multikey encodings, and private key files (mode 0600)."""

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Self

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from service.credentials.errors import KeyFileError, KeyFormatError
from service.credentials.multibase import decode_multibase, encode_multibase

# Multicodec varint prefixes: ed25519-pub (0xed) and ed25519-priv (0x1300).
ED25519_PUBLIC_CODEC: Final = b"\xed\x01"
ED25519_PRIVATE_CODEC: Final = b"\x80\x26"
DID_KEY_PREFIX: Final = "did:key:"
KEY_FILE_MODE: Final = 0o600
_KEY_LENGTH: Final = 32
_PEM_MARKER: Final = b"-----BEGIN"


def encode_public_key(public_key: Ed25519PublicKey) -> str:
    """Encode a public key as publicKeyMultibase (base58btc of 0xed01 + 32 bytes)."""
    return encode_multibase(ED25519_PUBLIC_CODEC + public_key.public_bytes_raw())


def decode_public_key(public_key_multibase: str) -> Ed25519PublicKey:
    """Decode a publicKeyMultibase value holding an Ed25519 public key."""
    raw = _strip_codec(decode_multibase(public_key_multibase), ED25519_PUBLIC_CODEC, "public")
    return Ed25519PublicKey.from_public_bytes(raw)


def encode_secret_key(private_key: Ed25519PrivateKey) -> str:
    """Encode a private key as secretKeyMultibase (base58btc of 0x8026 + 32-byte seed)."""
    return encode_multibase(ED25519_PRIVATE_CODEC + private_key.private_bytes_raw())


def decode_secret_key(secret_key_multibase: str) -> Ed25519PrivateKey:
    """Decode a secretKeyMultibase value holding an Ed25519 seed."""
    raw = _strip_codec(decode_multibase(secret_key_multibase), ED25519_PRIVATE_CODEC, "secret")
    return Ed25519PrivateKey.from_private_bytes(raw)


def did_key(public_key: Ed25519PublicKey) -> str:
    """The did:key DID of a public key."""
    return DID_KEY_PREFIX + encode_public_key(public_key)


def did_key_verification_method(public_key: Ed25519PublicKey) -> str:
    """The did:key verification method URL (did:key:z...#z...) of a public key."""
    multibase = encode_public_key(public_key)
    return f"{DID_KEY_PREFIX}{multibase}#{multibase}"


def public_key_from_did_key(did_url: str) -> Ed25519PublicKey:
    """Decode the public key from a did:key DID or verification method URL."""
    if not did_url.startswith(DID_KEY_PREFIX):
        raise KeyFormatError(f"{did_url!r} is not a did:key")
    identifier, _, fragment = did_url[len(DID_KEY_PREFIX) :].partition("#")
    if fragment and fragment != identifier:
        raise KeyFormatError(f"did:key fragment {fragment!r} does not name the DID's own key")
    return decode_public_key(identifier)


@dataclass(frozen=True)
class IssuerKey:
    """An Ed25519 key pair that signs credentials."""

    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> Self:
        """Create a new random key pair."""
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> Self:
        """Rebuild a key pair from its 32-byte private seed."""
        if len(seed) != _KEY_LENGTH:
            raise KeyFormatError(f"an Ed25519 seed is {_KEY_LENGTH} bytes, got {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @property
    def public_key(self) -> Ed25519PublicKey:
        """The public half of the pair."""
        return self.private_key.public_key()

    @property
    def public_key_multibase(self) -> str:
        """The public key as publicKeyMultibase."""
        return encode_public_key(self.public_key)

    @property
    def did(self) -> str:
        """The did:key DID of this key."""
        return did_key(self.public_key)

    @property
    def verification_method(self) -> str:
        """The did:key verification method URL of this key."""
        return did_key_verification_method(self.public_key)

    def sign(self, data: bytes) -> bytes:
        """Sign bytes with Ed25519 (deterministic, 64-byte signature)."""
        return self.private_key.sign(data)


def save_key(key: IssuerKey, path: Path, *, overwrite: bool = False) -> None:
    """Write an owner-only key file: PKCS#8 PEM for a .pem path, Multikey JSON for .json."""
    content = _serialize_key(key, path)
    try:
        _write_private_file(path, content, overwrite=overwrite)
    except FileExistsError as error:
        raise KeyFileError(f"key file {path} already exists; refusing to overwrite it") from error


def load_key(path: Path) -> IssuerKey:
    """Read a key file written by save_key (PEM, or JSON with secretKeyMultibase)."""
    try:
        content = path.read_bytes()
    except OSError as error:
        raise KeyFileError(f"cannot read key file {path}: {error.strerror}") from error
    if content.lstrip().startswith(_PEM_MARKER):
        return _parse_pem(content, path)
    return _parse_multikey_json(content, path)


def load_or_create_key(path: Path) -> IssuerKey:
    """Load the key at `path`, generating and saving a new one on first use."""
    if path.exists():
        return load_key(path)
    key = IssuerKey.generate()
    try:
        _write_private_file(path, _serialize_key(key, path), overwrite=False)
    except FileExistsError:
        # Another worker created the key first; everyone must sign with that one.
        return load_key(path)
    return key


def _strip_codec(data: bytes, codec: bytes, kind: str) -> bytes:
    """Check a multicodec prefix and key length, returning the raw key bytes."""
    if not data.startswith(codec):
        raise KeyFormatError(
            f"multibase value is not an Ed25519 {kind} key (multicodec 0x{codec.hex()})"
        )
    raw = data[len(codec) :]
    if len(raw) != _KEY_LENGTH:
        raise KeyFormatError(f"an Ed25519 {kind} key is {_KEY_LENGTH} bytes, got {len(raw)}")
    return raw


def _serialize_key(key: IssuerKey, path: Path) -> bytes:
    """Encode a key in the format its file suffix asks for."""
    suffix = path.suffix.lower()
    if suffix == ".pem":
        return key.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    if suffix == ".json":
        multikey = {
            "type": "Multikey",
            "id": key.verification_method,
            "controller": key.did,
            "publicKeyMultibase": key.public_key_multibase,
            "secretKeyMultibase": encode_secret_key(key.private_key),
        }
        return (json.dumps(multikey, indent=2) + "\n").encode("utf-8")
    raise KeyFileError(f"key file {path} must end in .pem or .json")


def _parse_pem(content: bytes, path: Path) -> IssuerKey:
    """Parse an unencrypted PKCS#8 PEM Ed25519 private key."""
    try:
        private_key = serialization.load_pem_private_key(content, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm) as error:
        raise KeyFileError(f"key file {path} is not an unencrypted PEM private key") from error
    if not isinstance(private_key, Ed25519PrivateKey):
        raise KeyFileError(f"key file {path} holds a non-Ed25519 key")
    return IssuerKey(private_key)


def _parse_multikey_json(content: bytes, path: Path) -> IssuerKey:
    """Parse a Multikey JSON object and check its public key matches its secret key."""
    try:
        document = json.loads(content)
    except (ValueError, UnicodeDecodeError) as error:
        raise KeyFileError(f"key file {path} is neither PEM nor JSON") from error
    if not isinstance(document, dict):
        raise KeyFileError(f"key file {path} must hold a JSON object")
    # The W3C test vectors say privateKeyMultibase; the Multikey spec says secretKeyMultibase.
    secret = document.get("secretKeyMultibase", document.get("privateKeyMultibase"))
    if not isinstance(secret, str):
        raise KeyFileError(f"key file {path} has no secretKeyMultibase")
    try:
        key = IssuerKey(decode_secret_key(secret))
    except KeyFormatError as error:
        raise KeyFileError(f"key file {path}: {error}") from error
    public = document.get("publicKeyMultibase")
    if public is not None and public != key.public_key_multibase:
        raise KeyFileError(f"key file {path}: publicKeyMultibase does not match the secret key")
    return key


def _write_private_file(path: Path, content: bytes, *, overwrite: bool) -> None:
    """Write a mode-0600 file atomically; raise FileExistsError if it exists, unless overwrite."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(
        dir=path.parent, prefix=f".{path.name}.", suffix=".tmp"
    )
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), KEY_FILE_MODE)
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        if overwrite:
            Path(temporary).replace(path)
        else:
            # link() fails if the target exists, so a concurrent writer never loses its key.
            os.link(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            Path(temporary).unlink()
