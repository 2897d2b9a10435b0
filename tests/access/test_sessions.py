"""Console sessions: what the review console's cookie holds instead of a reviewer's key."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from service.access.keys import ApiKeySecret
from service.access.sessions import ConsoleSessions

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def test_a_session_holds_for_its_key_until_it_ends() -> None:
    sessions = ConsoleSessions.derived_from(b"\x01" * 32)
    key = ApiKeySecret.generate()
    token = sessions.open(key.key_id, key.secret_sha256, NOW)
    assert key.secret not in token and key.secret_sha256 not in token
    claim = sessions.read(token)
    assert claim is not None and claim.key_id == key.key_id
    assert claim.expires == int((NOW + timedelta(hours=12)).timestamp())
    assert sessions.holds(claim, key.secret_sha256, NOW)
    assert sessions.holds(claim, key.secret_sha256, NOW + timedelta(hours=11, minutes=59))
    assert not sessions.holds(claim, key.secret_sha256, NOW + timedelta(hours=12))
    # another key's hash, no key at all, another deployment's secret
    assert not sessions.holds(claim, ApiKeySecret.generate().secret_sha256, NOW)
    assert not sessions.holds(claim, None, NOW)
    assert not ConsoleSessions.derived_from(b"\x02" * 32).holds(claim, key.secret_sha256, NOW)


def test_a_session_cannot_be_stretched_or_moved_to_another_key() -> None:
    sessions = ConsoleSessions.derived_from(b"\x01" * 32)
    key, other = ApiKeySecret.generate(), ApiKeySecret.generate()
    claim = sessions.read(sessions.open(key.key_id, key.secret_sha256, NOW))
    assert claim is not None
    later = replace(claim, expires=claim.expires + 30 * 24 * 3600)
    assert not sessions.holds(later, key.secret_sha256, NOW)
    moved = replace(claim, key_id=other.key_id)
    assert not sessions.holds(moved, other.secret_sha256, NOW)
    # the derived secret is not the master it comes from
    assert sessions.secret != b"\x01" * 32 and len(sessions.secret) == 32


def test_a_session_opened_before_its_key_signed_out_is_over() -> None:
    sessions = ConsoleSessions.derived_from(b"\x01" * 32)
    key = ApiKeySecret.generate()
    claim = sessions.read(sessions.open(key.key_id, key.secret_sha256, NOW))
    assert claim is not None and claim.opened_ms == int(NOW.timestamp() * 1000)
    later = NOW + timedelta(minutes=5)
    assert sessions.holds(claim, key.secret_sha256, later, NOW - timedelta(milliseconds=1))
    for signed_out in (NOW, later, later.replace(tzinfo=None)):  # naive: UTC, as SQLite keeps it
        assert not sessions.holds(claim, key.secret_sha256, later, signed_out)
    reopened = sessions.read(sessions.open(key.key_id, key.secret_sha256,
                                           later + timedelta(seconds=1)))
    assert reopened is not None and sessions.holds(reopened, key.secret_sha256, later, later)
    # the time it was opened is signed too: moving it past the sign-out does not help
    moved = replace(claim, opened_ms=claim.opened_ms + 10 * 60 * 1000)
    assert not sessions.holds(moved, key.secret_sha256, later, later)


def test_what_is_not_a_session_is_not_read() -> None:
    sessions = ConsoleSessions.derived_from(b"\x01" * 32)
    key = ApiKeySecret.generate()
    token = sessions.open(key.key_id, key.secret_sha256, NOW)
    for bad in ("", key.token, token + "x", token.replace(".", ":"), "." + token,
                token.upper(), f"{key.key_id}.-5.{token.split('.', 2)[2]}",
                token.split(".", 1)[0] + "." + token.split(".", 2)[2]):  # no time opened
        assert sessions.read(bad) is None, bad
