"""Migration 0003 adds the credentials table, unique per (extraction, assertion), and removes it."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command

from service.db.migrate import alembic_config
from service.db.session import create_engine


async def _run(database: Path, action: str, revision: str) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{database}")
    step = command.upgrade if action == "upgrade" else command.downgrade
    async with engine.begin() as conn:
        await conn.run_sync(lambda sync: step(alembic_config(sync), revision))
    await engine.dispose()


async def test_credentials_table_up_and_down(tmp_path: Path) -> None:
    database = tmp_path / "db.sqlite"
    await _run(database, "upgrade", "head")
    row = ("urn:uuid:1", "acme", "lrn-1", "e1", "sa_1", "ngss-sep", "SEP3",
           "2026-01-01 00:00:00", "k1", "{}")
    with sqlite3.connect(database) as connection:
        connection.execute("INSERT INTO extractions (id, tenant_id, created_at, category, "
                           "model_id, pipeline_version, components, taxonomy_versions, "
                           "request_json, result_json) VALUES ('e1', 'acme', "
                           "'2026-01-01 00:00:00', 'service', 'm', 'p', '{}', '[]', '{}', '{}')")
        connection.execute("INSERT INTO credentials VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", row)
        with pytest.raises(sqlite3.IntegrityError):
            connection.execute("INSERT INTO credentials VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               ("urn:uuid:2", *row[1:]))
    await _run(database, "downgrade", "0002")
    with sqlite3.connect(database) as connection:
        tables = {r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "credentials" not in tables and "extractions" in tables
