"""Roles, the permissions each grants, and the caller a request acts for."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a key's holder does."""

    SUBMITTER = "submitter"  # a platform: submits experiences, reads its extractions
    REVIEWER = "reviewer"  # reads and decides on its tenant's extractions
    ADMIN = "admin"  # manages its tenant's keys, and taxonomies


class Permission(StrEnum):
    """One thing an endpoint checks before it runs."""

    CREATE_EXTRACTIONS = "extractions:create"
    READ_EXTRACTIONS = "extractions:read"
    REVIEW = "review:decide"
    MANAGE_KEYS = "keys:manage"
    READ_TAXONOMIES = "taxonomies:read"
    MANAGE_TAXONOMIES = "taxonomies:manage"
    READ_PROFILES = "profiles:read"  # learner profiles and CLRs
    ISSUE_CREDENTIALS = "credentials:issue"
    VERIFY_CREDENTIALS = "credentials:verify"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.SUBMITTER: frozenset({Permission.CREATE_EXTRACTIONS, Permission.READ_EXTRACTIONS,
                               Permission.READ_TAXONOMIES, Permission.READ_PROFILES,
                               Permission.VERIFY_CREDENTIALS}),
    Role.REVIEWER: frozenset({Permission.READ_EXTRACTIONS, Permission.REVIEW,
                              Permission.READ_TAXONOMIES, Permission.READ_PROFILES,
                              Permission.ISSUE_CREDENTIALS, Permission.VERIFY_CREDENTIALS}),
    Role.ADMIN: frozenset({Permission.MANAGE_KEYS, Permission.READ_TAXONOMIES,
                           Permission.MANAGE_TAXONOMIES, Permission.READ_PROFILES,
                           Permission.ISSUE_CREDENTIALS, Permission.VERIFY_CREDENTIALS}),
}

DEVELOPMENT_TENANT = "default"


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for: a key, its tenant and what its role allows."""

    key_id: str
    tenant_id: str
    role: Role | None  # None only when auth is disabled in development
    permissions: frozenset[Permission]

    @classmethod
    def of_key(cls, key_id: str, tenant_id: str, role: Role) -> Principal:
        """The principal of a stored key."""
        return cls(key_id, tenant_id, role, ROLE_PERMISSIONS[role])

    @classmethod
    def development(cls) -> Principal:
        """Everything allowed, on the default tenant: AUTH_DISABLED in development only."""
        return cls("auth-disabled", DEVELOPMENT_TENANT, None, frozenset(Permission))

    def can(self, permission: Permission) -> bool:
        """Whether the role grants ``permission``."""
        return permission in self.permissions
