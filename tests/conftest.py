"""Shared fixtures: one real app (real model, real SQLite file) for the API tests."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.app import create_app
from service.settings import PROJECT_ROOT, Settings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

SHARED = PROJECT_ROOT.parent / "shared"


# Every test shares one index cache (building all bundled indexes takes a while; set
# TEST_INDEX_CACHE to keep it between runs); the tests of the cache itself use their own.
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


@pytest.fixture(scope="session")
def client(settings: Settings) -> Iterator[TestClient]:
    """A client of the real app, started once per session."""
    with TestClient(create_app(settings)) as test_client:
        yield test_client
