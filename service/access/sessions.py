"""Review-console sessions: what the console's cookie holds instead of the reviewer's key.

A session names the key it was opened with, when it was opened and when it ends, and carries an
HMAC-SHA256 over those and the key's stored hash, under a secret only the server knows. Stealing
the cookie gives at most the rest of one session, never the key itself; the key is looked up on
every page, as a bearer key is, so a session of a revoked key is refused, and so is one opened
before the key last signed out of the console (on any device); one cannot be forged from the
database alone, nor carried over to another deployment.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from service.db.base import stored_utc

SESSION_LIFETIME = timedelta(hours=12)
_FORMAT = re.compile(r"([0-9a-f]{16})\.([0-9]{1,15})\.([0-9]{1,12})\.([A-Za-z0-9_-]{43})")
_LABEL = b"skill-extraction review-console session v2"


@dataclass(frozen=True, slots=True)
class SessionClaim:
    """What a well-formed session says, before it is checked against its key."""

    key_id: str
    opened_ms: int  # Unix milliseconds
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
        """A session of ``key_id`` from ``now`` until ``now`` + lifetime, as the cookie holds
        it."""
        opened_ms = _milliseconds(now)
        expires = int((now + self.lifetime).timestamp())
        return (f"{key_id}.{opened_ms}.{expires}."
                f"{self._mac(key_id, opened_ms, expires, secret_sha256)}")

    @staticmethod
    def read(token: str) -> SessionClaim | None:
        """The claim in ``token``, or None when it is not a session at all."""
        match = _FORMAT.fullmatch(token)
        return (SessionClaim(match[1], int(match[2]), int(match[3]), match[4]) if match
                else None)

    def holds(self, claim: SessionClaim, secret_sha256: str | None, now: datetime,
              signed_out_at: datetime | None = None) -> bool:
        """Whether ``claim`` was opened here for the key stored with ``secret_sha256`` (None:
        no such key; still compared, in constant time), has not ended, and was opened after the
        key last signed out (``signed_out_at``; aware, or naive in UTC as SQLite returns it)."""
        expected = self._mac(claim.key_id, claim.opened_ms, claim.expires, secret_sha256 or "")
        return (hmac.compare_digest(expected, claim.mac) and secret_sha256 is not None
                and now.timestamp() < claim.expires
                and (signed_out_at is None or claim.opened_ms > _milliseconds(signed_out_at)))

    def _mac(self, key_id: str, opened_ms: int, expires: int, secret_sha256: str) -> str:
        message = f"{key_id}.{opened_ms}.{expires}.{secret_sha256}".encode()
        digest = hmac.new(self.secret, message, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _milliseconds(moment: datetime) -> int:
    """Unix milliseconds of ``moment`` (naive: read as UTC)."""
    return int(stored_utc(moment).timestamp() * 1000)
