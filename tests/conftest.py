"""Shared fixtures: one real app (real model, real SQLite file) for the API tests.

The app runs with authentication on, as in production: ``keys`` holds a key for every role of
two tenants, and ``client`` sends the submitter key of ``TENANT``.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.access.repository import ApiKeyRepository
from service.access.roles import Role
from service.access.service import AccessService
from service.app import create_app
from service.db.migrate import upgrade_to_head
from service.db.session import create_engine, create_sessionmaker
from service.settings import PROJECT_ROOT, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHARED = PROJECT_ROOT.parent / "shared"


# Every test shares one index cache (building all bundled indexes takes a while); the tests of
# the cache itself use their own directories. TEST_INDEX_CACHE reuses a cache between runs.
INDEX_CACHE = Path(os.environ.get("TEST_INDEX_CACHE")
                   or tempfile.mkdtemp(prefix="skill-index-cache-"))


def make_settings(var_dir: Path, **overrides: object) -> Settings:
    """Settings for a test: its own var dir and SQLite file, bundled model and taxonomies."""
    values: dict[str, object] = {
        "environment": "test",
        "var_dir": var_dir,
        "index_cache_dir": INDEX_CACHE,
        "database_url": f"sqlite+aiosqlite:///{var_dir / 'test.db'}",
        "log_json": True,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def var_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A var dir shared by the session's app (index cache and database)."""
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def settings(var_dir: Path) -> Settings:
    """Settings of the shared app."""
    return make_settings(var_dir)


TENANT = "acme"
OTHER_TENANT = "globex"

KeyRing = dict[tuple[str, Role], str]


def create_keys(settings: Settings, wanted: list[tuple[str, Role]]) -> list[str]:
    """Create API keys in the settings' database (migrated first), as the CLI does."""

    async def run() -> list[str]:
        engine = create_engine(settings.database_url)
        try:
            await upgrade_to_head(engine)
            async with create_sessionmaker(engine)() as session, session.begin():
                return [(await AccessService().create_key(ApiKeyRepository(session), tenant,
                                                          role, f"test {role.value}")).key
                        for tenant, role in wanted]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def bearer(key: str) -> dict[str, str]:
    """The Authorization header for ``key``."""
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(scope="session")
def keys(settings: Settings) -> KeyRing:
    """A key for every role of TENANT and OTHER_TENANT."""
    wanted = [(tenant, role) for tenant in (TENANT, OTHER_TENANT) for role in Role]
    return dict(zip(wanted, create_keys(settings, wanted), strict=True))


@pytest.fixture(scope="session")
def client(settings: Settings, keys: KeyRing) -> Iterator[TestClient]:
    """A client of the real app, started once per session, sending TENANT's submitter key."""
    with TestClient(create_app(settings),
                    headers=bearer(keys[TENANT, Role.SUBMITTER])) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def anonymous(client: TestClient) -> TestClient:
    """A client of the same running app that sends no key."""
    return TestClient(client.app)
