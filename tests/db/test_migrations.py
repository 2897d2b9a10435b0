"""Migration 0002 on a database that already holds extractions from 0001."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command

from service.db.migrate import alembic_config
from service.db.session import create_engine


async def _migrate(database: Path, revision: str, step: Any = command.upgrade) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: step(alembic_config(sync), revision))
    await engine.dispose()


async def test_existing_extractions_join_the_default_tenant(tmp_path: Path) -> None:
    database = tmp_path / "old.db"
    await _migrate(database, "0001")
    result = {"assertions": [
        {"id": "sa_1", "skill": {"framework": "ngss-sep", "code": "SEP3"}, "confidence": "high",
         "score": 0.8},
        {"id": "sa_2", "skill": {"framework": "america-succeeds", "code": "AS-COLLAB"},
         "confidence": "low", "score": 0.4}]}
    with sqlite3.connect(database) as connection:
        connection.execute(
            "INSERT INTO extractions VALUES ('e1', '2026-01-01 00:00:00', NULL, NULL, "
            "'service', 'm', 'p', '{}', '[]', '{}', ?)", (json.dumps(result),))
    await _migrate(database, "head")
    with sqlite3.connect(database) as connection:
        row = connection.execute(
            "SELECT tenant_id, review_status FROM extractions WHERE id = 'e1'").fetchone()
        indexed = connection.execute(
            "SELECT assertion_id, framework, code, confidence, score FROM extraction_assertions"
            " ORDER BY assertion_id").fetchall()
        version = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    assert row == ("default", "pending")
    assert indexed == [("sa_1", "ngss-sep", "SEP3", "high", 0.8),
                       ("sa_2", "america-succeeds", "AS-COLLAB", "low", 0.4)]
    assert version == ("0004",)


async def test_keys_gain_a_console_sign_out_time_and_lose_it_going_back(tmp_path: Path) -> None:
    database = tmp_path / "keys.db"
    await _migrate(database, "0003")
    key = ("0123456789abcdef", "acme", "reviewer", "Ada", "ab" * 32, "2026-01-01 00:00:00", None)
    with sqlite3.connect(database) as connection:
        connection.execute("INSERT INTO api_keys (id, tenant_id, role, name, secret_sha256, "
                           "created_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?, ?)", key)
    await _migrate(database, "head")
    with sqlite3.connect(database) as connection:
        row = connection.execute("SELECT * FROM api_keys").fetchone()
        connection.execute("UPDATE api_keys SET console_signed_out_at = '2026-02-01 00:00:00'")
    assert row == (*key, None)
    await _migrate(database, "0003", command.downgrade)
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT * FROM api_keys").fetchall() == [key]
