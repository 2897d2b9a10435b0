"""Taxonomy listing and text search."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_lists_bundled_frameworks_with_versions(client: TestClient) -> None:
    body = client.get("/v1/taxonomies").json()
    by_id = {t["id"]: t for t in body["taxonomies"]}
    assert by_id["ngss-sep"]["items"] == 8
    assert by_id["ngss-sep"]["skill_type"] == "core"
    assert by_id["career-clusters-2024"]["items"] == 86
    assert all(t["content_hash"].startswith("sha256:") and t["licence"] for t in by_id.values())


def test_text_search_within_a_framework(client: TestClient) -> None:
    body = client.get("/v1/taxonomies/ngss-sep/skills", params={"q": "data"}).json()
    assert body["items"][0]["code"] == "SEP4"
    assert body["total"] >= 1


def test_search_by_code_and_parent(client: TestClient) -> None:
    body = client.get("/v1/taxonomies/career-clusters-2024/skills",
                      params={"q": "robotics"}).json()
    robotics = body["items"][0]
    assert robotics["parent_code"] == "010100"


def test_search_without_query_pages_all_items(client: TestClient) -> None:
    body = client.get("/v1/taxonomies/career-clusters-2024/skills",
                      params={"limit": 10, "offset": 80}).json()
    assert body["total"] == 86
    assert len(body["items"]) == 6


def test_unknown_taxonomy_is_404_with_known_ids(client: TestClient) -> None:
    response = client.get("/v1/taxonomies/nope/skills")
    assert response.status_code == 404
    assert "ngss-sep" in response.json()["detail"]
