"""API keys: the format, hashed storage, the CLI, and the development-only auth switch."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from service.access.keys import ApiKeySecret
from service.access.roles import Role
from service.app import create_app
from service.settings import PROJECT_ROOT, Settings
from tests.conftest import TENANT, create_keys, make_settings
from tests.experiences import FOOD_DRIVE


def test_key_format_round_trips_and_compares_by_hash() -> None:
    key = ApiKeySecret.generate()
    assert key.token.startswith(f"sk_{key.key_id}_") and len(key.secret) == 43
    assert ApiKeySecret.parse(key.token) == key
    assert key.matches(key.secret_sha256)
    assert not key.matches(ApiKeySecret.generate().secret_sha256)
    assert not key.matches(None)
    assert ApiKeySecret.generate() != key
    for bad in ("", "sk_", key.token + "x", key.token.replace("sk_", "pk_"),
                f"sk_{key.key_id.upper()}_{key.secret}"):
        assert ApiKeySecret.parse(bad) is None


def test_only_a_hash_of_the_secret_is_stored(settings: Settings) -> None:
    token = create_keys(settings, [(TENANT, Role.REVIEWER)])[0]
    key = ApiKeySecret.parse(token)
    assert key is not None
    database = settings.database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(database) as connection:
        row = connection.execute("SELECT * FROM api_keys WHERE id = ?", (key.key_id,)).fetchone()
    assert hashlib.sha256(key.secret.encode()).hexdigest() in row
    assert not any(key.secret in str(value) for value in row)


@pytest.mark.parametrize("environment", ["test", "production"])
def test_auth_can_only_be_disabled_in_development(tmp_path: Path, environment: str) -> None:
    with pytest.raises(ValidationError, match="AUTH_DISABLED=true is refused"):
        make_settings(tmp_path, environment=environment, auth_disabled=True)
    assert make_settings(tmp_path, environment=environment).auth_disabled is False
    assert make_settings(tmp_path, environment="development", auth_disabled=True).auth_disabled


def test_development_without_auth_serves_the_default_tenant(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, environment="development", auth_disabled=True)
    with TestClient(create_app(settings), follow_redirects=False) as client:
        posted = client.post("/v1/extractions", json=FOOD_DRIVE)
        assert posted.status_code == 201
        queue = client.get("/v1/review/queue").json()
        assert [i["id"] for i in queue["items"]] == [posted.json()["id"]]
        assert client.get("/review").status_code == 200
        decided = client.post(
            f"/v1/extractions/{posted.json()['id']}/assertions/"
            f"{posted.json()['assertions'][0]['id']}/decisions", json={"action": "accept"})
        assert decided.json()["decided_by"] == "auth-disabled"


def _cli(args: list[str], database: Path) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"DATABASE_URL": f"sqlite:///{database}", "VAR_DIR": str(database.parent)}
    return subprocess.run([sys.executable, "-m", "service", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=120, check=False)


def test_cli_creates_lists_and_revokes_keys(tmp_path: Path) -> None:
    database = tmp_path / "keys.db"
    created = _cli(["keys", "create", "--tenant", "district-9", "--role", "admin",
                    "--name", "first admin"], database)
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    key = ApiKeySecret.parse(token)
    assert key is not None and created.stdout == token + "\n"
    assert "shown once" in created.stderr and key.secret not in created.stderr

    listed = _cli(["keys", "list"], database)
    assert f"{key.key_id}\tdistrict-9\tadmin\tactive\tfirst admin" in listed.stdout
    assert key.secret not in listed.stdout + listed.stderr
    assert _cli(["keys", "revoke", key.key_id], database).returncode == 0
    assert "\trevoked\t" in _cli(["keys", "list", "--tenant", "district-9"], database).stdout
    unknown = _cli(["keys", "revoke", "0123456789abcdef"], database)
    assert unknown.returncode == 2 and "ApiKeyNotFound" in unknown.stderr
    assert _cli(["keys", "create", "--tenant", "t", "--role", "owner"], database).returncode == 2
    assert _cli(["keys", "create", "--tenant", "Bad Tenant", "--role", "admin"],
                database).returncode == 2
