"""The API key format: ``sk_<key id>_<secret>``, looked up by id, checked by hash.

The key id is visible (logs and the audit trail name it); the 32-byte secret is only ever
shown once, and only its SHA-256 is stored: a random secret needs no slow hash.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

PREFIX = "sk_"
_FORMAT = re.compile(r"sk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")
_DUMMY_HASH = hashlib.sha256(b"compared when the key id is unknown").hexdigest()


@dataclass(frozen=True, slots=True)
class ApiKeySecret:
    """A key as a client sends it."""

    key_id: str
    secret: str

    @classmethod
    def generate(cls) -> ApiKeySecret:
        """A new random key."""
        return cls(secrets.token_hex(8), secrets.token_urlsafe(32))

    @classmethod
    def parse(cls, token: str) -> ApiKeySecret | None:
        """The key in ``token``, or None when it does not have the key format."""
        match = _FORMAT.fullmatch(token)
        return cls(match.group(1), match.group(2)) if match else None

    @property
    def token(self) -> str:
        """What the client sends after ``Bearer``."""
        return f"{PREFIX}{self.key_id}_{self.secret}"

    @property
    def secret_sha256(self) -> str:
        """What is stored."""
        return hashlib.sha256(self.secret.encode()).hexdigest()

    def matches(self, stored_sha256: str | None) -> bool:
        """Constant-time comparison with the stored hash (None: unknown id, still compared)."""
        return hmac.compare_digest(self.secret_sha256, stored_sha256 or _DUMMY_HASH) and (
            stored_sha256 is not None)
