"""Liveness, readiness and the OpenAPI docs."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_reports_model_indexes_and_database(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["model"] == {"id": "all-minilm-l6-v2", "warmed": True}
    assert body["database"] == "reachable"
    assert set(body["indexes"]) >= {"ngss-sep", "america-succeeds"}


def test_openapi_docs_are_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    spec = client.get("/openapi.json").json()
    assert "/v1/extractions" in spec["paths"]
    assert "ErrorBody" in spec["components"]["schemas"]


def test_request_id_is_echoed(client: TestClient) -> None:
    response = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
