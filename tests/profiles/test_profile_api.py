"""A learner's profile through the real app: what counts, roll-up, unreviewed, target coverage."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.access.roles import Role
from tests.conftest import OTHER_TENANT, TENANT, KeyRing, bearer
from tests.experiences import FOOD_DRIVE, WATER_QUALITY

LEARNER = "lrn-profile-1"
OPTIONS = {"taxonomies": ["america-succeeds", "career-clusters-2024"], "max_assertions": 6}


@pytest.fixture(scope="module")
def learner(client: TestClient, keys: KeyRing) -> dict[str, Any]:
    """Two experiences: in the first, one assertion accepted and one rejected."""
    reviewer = bearer(keys[TENANT, Role.REVIEWER])
    extractions = []
    for experience in (FOOD_DRIVE, WATER_QUALITY):
        body = copy.deepcopy(experience) | {"learner_ref": LEARNER, "options": OPTIONS}
        response = client.post("/v1/extractions", json=body)
        assert response.status_code == 201, response.text
        extractions.append(response.json())
    accepted, rejected = extractions[0]["assertions"][:2]
    for assertion, action in ((accepted, "accept"), (rejected, "reject")):
        response = client.post(
            f"/v1/extractions/{extractions[0]['id']}/assertions/{assertion['id']}/decisions",
            json={"action": action}, headers=reviewer)
        assert response.status_code == 201, response.text
    return {"extractions": extractions, "accepted": accepted, "rejected": rejected}


def _supporting(profile: dict[str, Any]) -> set[str]:
    return {e["assertion_id"] for s in profile["skills"] for e in s["experiences"]}


def test_only_accepted_assertions_count_by_default(client: TestClient,
                                                   learner: dict[str, Any]) -> None:
    profile = client.get(f"/v1/learners/{LEARNER}/profile").json()
    assert profile["experiences"] == 2 and profile["include_unreviewed"] is False
    assert _supporting(profile) == {learner["accepted"]["id"]}
    direct = [s for s in profile["skills"] if s["direct"]]
    assert [s["skill"]["id"] for s in direct] == [learner["accepted"]["skill"]["id"]]
    entry = direct[0]
    assert entry["contexts"] == {"categories": 1, "organizations": 1}
    assert entry["level"] in {"low", "medium", "high"} and 0 < entry["confidence"] < 1
    spans = entry["experiences"][0]["evidence_spans"]
    assert spans == learner["accepted"]["evidence_spans"]
    for parent in (s for s in profile["skills"] if not s["direct"]):
        assert parent["rolled_up_from"] == [learner["accepted"]["skill"]["code"]]
        assert parent["confidence"] == entry["confidence"]


def test_unreviewed_assertions_are_included_on_request_and_marked(
        client: TestClient, learner: dict[str, Any]) -> None:
    profile = client.get(f"/v1/learners/{LEARNER}/profile",
                         params={"include_unreviewed": "true"}).json()
    supporting = _supporting(profile)
    assert learner["rejected"]["id"] not in supporting
    machine = {a["id"] for e in learner["extractions"] for a in e["assertions"]}
    assert supporting == machine - {learner["rejected"]["id"]}
    for skill in profile["skills"]:
        for experience in skill["experiences"]:
            reviewed = experience["assertion_id"] == learner["accepted"]["id"]
            assert experience["reviewed"] is reviewed
            assert experience["status"] == ("accepted" if reviewed else "undecided")


def test_target_coverage_lists_demonstrated_and_missing_items(
        client: TestClient, learner: dict[str, Any]) -> None:
    profile = client.get(f"/v1/learners/{LEARNER}/profile",
                         params={"target": "america-succeeds"}).json()
    target = profile["target"]
    assert target["framework"] == "america-succeeds"
    assert "stored extractions" in target["typical_categories_source"]
    assert target["total"] == len(target["items"]) > target["demonstrated"]
    demonstrated = {i["skill"]["id"] for i in target["items"] if i["status"] == "demonstrated"}
    in_profile = {s["skill"]["id"] for s in profile["skills"]
                  if s["skill"]["framework"] == "america-succeeds"}
    assert demonstrated == in_profile and len(demonstrated) == target["demonstrated"]
    for item in target["items"]:
        if item["status"] == "missing":
            assert item["confidence"] is None
            assert all(0 < c["share"] <= 1 for c in item["typical_categories"])
    assert any(i["typical_categories"] for i in target["items"] if i["status"] == "missing")


def test_unknown_learners_targets_and_other_tenants(client: TestClient, keys: KeyRing,
                                                    learner: dict[str, Any]) -> None:
    missing = client.get("/v1/learners/lrn-nobody/profile")
    assert missing.status_code == 404 and missing.json()["error"] == "LearnerNotFound"
    other = client.get(f"/v1/learners/{LEARNER}/profile",
                       headers=bearer(keys[OTHER_TENANT, Role.SUBMITTER]))
    assert other.status_code == 404
    unknown = client.get(f"/v1/learners/{LEARNER}/profile", params={"target": "nope"})
    assert unknown.status_code == 422 and unknown.json()["error"] == "UnknownTaxonomy"
