"""The access use case: create, list and revoke keys; authenticate a request's key."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import structlog

from service.access.keys import ApiKeySecret
from service.access.repository import ApiKeyRepository
from service.access.roles import Principal, Role
from service.access.schemas import ApiKeyCreated
from service.access.sessions import ConsoleSessions, SessionClaim
from service.db.models import ApiKeyRecord
from service.errors import ApiKeyNotFound, Unauthenticated

log = structlog.get_logger(__name__)


class AccessService:
    """Stateless: every method works within the caller's transaction."""

    async def create_key(self, repository: ApiKeyRepository, tenant_id: str, role: Role,
                         name: str | None = None) -> ApiKeyCreated:
        """A new key; its secret is in the answer and nowhere else."""
        key = ApiKeySecret.generate()
        record = ApiKeyRecord(id=key.key_id, tenant_id=tenant_id, role=role.value, name=name,
                              secret_sha256=key.secret_sha256, created_at=datetime.now(UTC),
                              revoked_at=None)
        await repository.add(record)
        log.info("api_key.created", key_id=key.key_id, tenant_id=tenant_id, role=role.value)
        return ApiKeyCreated(id=record.id, tenant_id=tenant_id, role=role, name=name,
                             created_at=record.created_at, revoked_at=None, key=key.token)

    async def authenticate(self, repository: ApiKeyRepository,
                           authorization: str | None) -> Principal:
        """The principal of an ``Authorization: Bearer <key>`` header, or 401."""
        if not authorization:
            raise Unauthenticated("Send an API key: `Authorization: Bearer <key>`.")
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthenticated("The Authorization header must be `Bearer <key>`.")
        key = _parsed(token)
        return await self._verified(repository, key)

    async def open_session(self, repository: ApiKeyRepository, key: str,
                           sessions: ConsoleSessions,
                           now: datetime | None = None) -> tuple[Principal, str]:
        """Authenticate ``key`` as a bearer key, and open a console session of it: the
        principal, and the session the console's cookie keeps instead of the key."""
        parsed = _parsed(key)
        principal = await self._verified(repository, parsed)
        return principal, sessions.open(parsed.key_id, parsed.secret_sha256,
                                        now or datetime.now(UTC))

    async def authenticate_session(self, repository: ApiKeyRepository, token: str,
                                   sessions: ConsoleSessions,
                                   now: datetime | None = None) -> Principal:
        """The principal of a console session, or 401: one that ended, was not opened by this
        deployment, or whose key was revoked since."""
        claim = sessions.read(token)
        if claim is None:
            raise Unauthenticated("The console session is malformed; sign in again.")
        record = await _holding(repository, claim, sessions, now or datetime.now(UTC))
        if record is None:
            log.info("console_session.refused", key_id=claim.key_id, reason="invalid")
            raise Unauthenticated("The console session has ended or is not valid; sign in "
                                  "again.")
        return _unrevoked(record, "console_session.refused")

    async def sign_out(self, repository: ApiKeyRepository, token: str,
                       sessions: ConsoleSessions, now: datetime | None = None) -> bool:
        """End every console session of the key that opened ``token`` (on this device and any
        other), if ``token`` is a session that still holds; whether one was ended. A cookie
        copied before sign-out is refused from then on."""
        claim = sessions.read(token)
        moment = now or datetime.now(UTC)
        record = await _holding(repository, claim, sessions, moment) if claim else None
        if record is None:
            return False
        record.console_signed_out_at = moment
        await repository.flush()
        log.info("console_session.signed_out", key_id=record.id)
        return True

    async def _verified(self, repository: ApiKeyRepository, key: ApiKeySecret) -> Principal:
        """The principal of a well-formed key: known, its secret matching, not revoked."""
        record = await repository.get(key.key_id)
        if not key.matches(record.secret_sha256 if record else None) or record is None:
            log.info("api_key.refused", key_id=key.key_id, reason="unknown")
            raise Unauthenticated("The API key is unknown.")
        return _unrevoked(record, "api_key.refused")

    async def list_keys(self, repository: ApiKeyRepository,
                        tenant_id: str | None) -> Sequence[ApiKeyRecord]:
        """A tenant's keys, without secrets (every tenant's when None: the CLI)."""
        return await repository.list(tenant_id)

    async def revoke_key(self, repository: ApiKeyRepository, key_id: str,
                         tenant_id: str | None) -> ApiKeyRecord:
        """Revoke a key of ``tenant_id`` (any tenant's when None: the CLI); idempotent."""
        record = (await repository.get(key_id) if tenant_id is None
                  else await repository.get_in_tenant(key_id, tenant_id))
        if record is None:
            raise ApiKeyNotFound(f"No API key with id '{key_id}'.")
        if record.revoked_at is None:
            record.revoked_at = datetime.now(UTC)
            await repository.flush()
            log.info("api_key.revoked", key_id=key_id, tenant_id=record.tenant_id)
        return record


async def _holding(repository: ApiKeyRepository, claim: SessionClaim,
                   sessions: ConsoleSessions, now: datetime) -> ApiKeyRecord | None:
    """The key whose session ``claim`` is, if the session holds at ``now`` (revoked or not)."""
    record = await repository.get(claim.key_id)
    held = sessions.holds(claim, record.secret_sha256 if record else None, now,
                          record.console_signed_out_at if record else None)
    return record if held else None


def _parsed(token: str) -> ApiKeySecret:
    key = ApiKeySecret.parse(token.strip())
    if key is None:
        raise Unauthenticated("The API key is malformed; keys look like sk_<id>_<secret>.")
    return key


def _unrevoked(record: ApiKeyRecord, refused: str) -> Principal:
    """The principal of a key found and matched, unless it was revoked (401, logged as
    ``refused``)."""
    if record.revoked_at is not None:
        log.info(refused, key_id=record.id, reason="revoked")
        raise Unauthenticated("The API key was revoked; ask an admin for a new one.")
    return Principal.of_key(record.id, record.tenant_id, Role(record.role))
