"""Review-console sessions: what the console's cookie holds instead of the reviewer's key.

A session names the key it was opened with, when it ends, and an HMAC-SHA256 over both and the
key's stored hash, under a secret only the server knows. Stealing the cookie gives at most the
rest of one session, never the key itself; a session of a revoked key is refused (the key is
looked up on every page, as a bearer key is); one cannot be forged from the database alone,
nor carried over to another deployment.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

SESSION_LIFETIME = timedelta(hours=12)
_FORMAT = re.compile(r"([0-9a-f]{16})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")
_LABEL = b"skill-extraction review-console session v1"


@dataclass(frozen=True, slots=True)
class SessionClaim:
    """What a well-formed session says, before it is checked against its key."""

    key_id: str
    expires: int  # Unix seconds
    mac: str


@dataclass(frozen=True)
class ConsoleSessions:
    """Opens and checks console sessions under one server secret."""

    secret: bytes
    lifetime: timedelta = SESSION_LIFETIME

    @classmethod
    def derived_from(cls, master: bytes) -> ConsoleSessions:
        """Sessions keyed by a secret derived from ``master`` (the issuer's private key: every
        worker of a deployment shares it), under a label of their own, so neither secret can
        stand in for the other."""
        return cls(hmac.new(master, _LABEL, hashlib.sha256).digest())

    def open(self, key_id: str, secret_sha256: str, now: datetime) -> str:
        """A session of ``key_id`` until ``now`` + lifetime, as the cookie holds it."""
        expires = int((now + self.lifetime).timestamp())
        return f"{key_id}.{expires}.{self._mac(key_id, expires, secret_sha256)}"

    @staticmethod
    def read(token: str) -> SessionClaim | None:
        """The claim in ``token``, or None when it is not a session at all."""
        match = _FORMAT.fullmatch(token)
        return SessionClaim(match[1], int(match[2]), match[3]) if match else None

    def holds(self, claim: SessionClaim, secret_sha256: str | None, now: datetime) -> bool:
        """Whether ``claim`` was opened here for the key stored with ``secret_sha256`` (None:
        no such key; still compared, in constant time) and has not ended."""
        expected = self._mac(claim.key_id, claim.expires, secret_sha256 or "")
        return (hmac.compare_digest(expected, claim.mac) and secret_sha256 is not None
                and now.timestamp() < claim.expires)

    def _mac(self, key_id: str, expires: int, secret_sha256: str) -> str:
        message = f"{key_id}.{expires}.{secret_sha256}".encode()
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
