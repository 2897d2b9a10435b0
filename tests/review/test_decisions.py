"""Decisions: the append-only audit log, the state derived from it, the queue and the export."""

from __future__ import annotations

import copy
import json
import sqlite3
import subprocess
import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.access.roles import Role
from service.domain.experience import Experience
from service.review.state import Change, DecisionAction, ReviewedAssertion, ReviewSpan, apply
from service.settings import PROJECT_ROOT, Settings
from service.taxonomy.catalog import TaxonomyCatalog
from tests.conftest import TENANT, KeyRing, bearer
from tests.experiences import FOOD_DRIVE, WATER_QUALITY

FRAMEWORKS = ["ngss-sep", "america-succeeds"]


def _submit(client: TestClient, experience: dict[str, Any], n: int = 4) -> dict[str, Any]:
    body = copy.deepcopy(experience) | {"options": {"taxonomies": FRAMEWORKS,
                                                    "max_assertions": n}}
    response = client.post("/v1/extractions", json=body)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


@pytest.fixture(scope="module")
def reviewer(keys: KeyRing) -> dict[str, str]:
    return bearer(keys[TENANT, Role.REVIEWER])


@pytest.fixture(scope="module")
def reviewed(client: TestClient, reviewer: dict[str, str]) -> dict[str, Any]:
    """An extraction taken through a full review: accept, reject, correct, add."""
    posted = _submit(client, FOOD_DRIVE)
    original = client.get(f"/v1/extractions/{posted['id']}").content
    base = f"/v1/extractions/{posted['id']}"
    first, second, third, *rest = [a["id"] for a in posted["assertions"]]
    statuses = [client.get(f"{base}/review", headers=reviewer).json()["review_status"]]

    def decide(assertion_id: str, body: dict[str, Any]) -> dict[str, Any]:
        response = client.post(f"{base}/assertions/{assertion_id}/decisions", json=body,
                               headers=reviewer)
        assert response.status_code == 201, response.text
        statuses.append(client.get(f"{base}/review", headers=reviewer).json()["review_status"])
        decision: dict[str, Any] = response.json()
        return decision

    narrative = FOOD_DRIVE["narrative"]
    schedule = narrative.index("I made a shared schedule")
    span = {"source": "narrative", "start": schedule,
            "end": schedule + len("I made a shared schedule")}
    decide(first, {"action": "accept", "comment": "Clear from the endorsement."})
    decide(second, {"action": "reject", "comment": "Not shown."})
    decide(second, {"action": "accept", "comment": "On reflection, it is."})
    decide(third, {"action": "correct", "confidence": "low", "evidence_spans": [span],
                   "comment": "Only the schedule shows it."})
    for other in rest:
        decide(other, {"action": "reject"})
    asserted = {a["skill"]["code"] for a in posted["assertions"]}
    missing = next(f"SEP{i}" for i in range(1, 9) if f"SEP{i}" not in asserted)
    added = client.post(f"{base}/assertions", headers=reviewer, json={
        "skill": {"framework": "ngss-sep", "code": missing}, "confidence": "medium",
        "evidence_spans": [span], "comment": "Planning the pickups."})
    assert added.status_code == 201, added.text
    statuses.append(client.get(f"{base}/review", headers=reviewer).json()["review_status"])
    return {"posted": posted, "original": original, "statuses": statuses, "span": span,
            "added": added.json(), "rest": rest}


def test_review_status_goes_pending_in_review_reviewed(reviewed: dict[str, Any]) -> None:
    statuses = reviewed["statuses"]
    assert statuses[0] == "pending"
    assert set(statuses[1:-1]) <= {"in_review", "reviewed"}
    assert statuses[1] == "in_review"
    assert statuses[-1] == "reviewed"


def test_original_machine_result_stays_readable(client: TestClient,
                                                reviewed: dict[str, Any]) -> None:
    again = client.get(f"/v1/extractions/{reviewed['posted']['id']}")
    assert again.content == reviewed["original"]


def test_decision_records_who_when_before_and_after(client: TestClient, keys: KeyRing,
                                                    reviewer: dict[str, str],
                                                    reviewed: dict[str, Any]) -> None:
    posted = reviewed["posted"]
    third = posted["assertions"][2]
    history = client.get(f"/v1/extractions/{posted['id']}/assertions/{third['id']}/decisions",
                         headers=bearer(keys[TENANT, Role.SUBMITTER])).json()["decisions"]
    assert len(history) == 1
    correction = history[0]
    assert correction["action"] == "correct"
    assert correction["decided_by"] == keys[TENANT, Role.REVIEWER].split("_")[1]
    assert correction["decided_at"]
    assert correction["comment"] == "Only the schedule shows it."
    assert correction["before"]["confidence"] == third["confidence"]
    assert correction["before"]["evidence_spans"] == [
        s | {"similarity": s["similarity"]} for s in third["evidence_spans"]]
    assert correction["after"]["confidence"] == "low"
    assert correction["after"]["status"] == "corrected"
    assert correction["after"]["skill"] == third["skill"]
    assert correction["after"]["evidence_spans"] == [
        reviewed["span"] | {"text": "I made a shared schedule", "similarity": None}]


def test_derived_state_matches_the_log(client: TestClient, reviewer: dict[str, str],
                                       reviewed: dict[str, Any]) -> None:
    posted = reviewed["posted"]
    base = f"/v1/extractions/{posted['id']}"
    review = client.get(f"{base}/review", headers=reviewer).json()
    ids = [a["id"] for a in review["assertions"]]
    log = sorted((d for i in ids for d in client.get(
        f"{base}/assertions/{i}/decisions", headers=reviewer).json()["decisions"]),
        key=lambda d: d["seq"])
    assert [d["seq"] for d in log] == list(range(1, review["decisions"] + 1))

    state = {a["id"]: ReviewedAssertion.from_machine(a) for a in posted["assertions"]}
    for decision in log:
        before = state.get(decision["assertion_id"])
        assert (before.model_dump(mode="json") if before else None) == decision["before"]
        after = ReviewedAssertion.model_validate(decision["after"])
        change = Change(action=DecisionAction(decision["action"]), skill=after.skill,
                        confidence=after.confidence, evidence_spans=after.evidence_spans)
        if decision["action"] in ("accept", "reject"):
            change = Change(action=DecisionAction(decision["action"]))
        assert apply(before, change, decision["assertion_id"]) == after
        state[decision["assertion_id"]] = after
    assert [a.model_dump(mode="json") for a in state.values()] == review["assertions"]
    by_id = {a["id"]: a for a in review["assertions"]}
    assert by_id[posted["assertions"][1]["id"]]["status"] == "accepted"  # rejected, then accepted
    assert by_id[reviewed["added"]["assertion_id"]]["origin"] == "reviewer"


def test_the_log_is_append_only_in_the_database(settings: Settings,
                                                reviewed: dict[str, Any]) -> None:
    database = settings.database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(database) as connection:
        count = connection.execute("SELECT count(*) FROM assertion_decisions").fetchone()[0]
        assert count >= 4
        for statement in ("UPDATE assertion_decisions SET action = 'accept'",
                          "UPDATE assertion_decisions SET comment = 'rewritten' WHERE seq = 1",
                          "DELETE FROM assertion_decisions"):
            with pytest.raises(sqlite3.DatabaseError, match="append-only"):
                connection.execute(statement)
        assert connection.execute(
            "SELECT count(*) FROM assertion_decisions").fetchone()[0] == count


def test_the_api_has_no_way_to_change_a_decision(client: TestClient, reviewer: dict[str, str],
                                                 reviewed: dict[str, Any]) -> None:
    posted = reviewed["posted"]
    path = (f"/v1/extractions/{posted['id']}/assertions/{posted['assertions'][0]['id']}"
            "/decisions")
    for method in ("PUT", "PATCH", "DELETE"):
        assert client.request(method, path, headers=reviewer).status_code == 405


@pytest.mark.parametrize(("body", "status", "error"), [
    ({"action": "correct"}, 422, "RequestValidationError"),
    ({"action": "accept", "confidence": "high"}, 422, "RequestValidationError"),
    ({"action": "approve"}, 422, "RequestValidationError"),
    ({"action": "correct", "skill": {"framework": "career-clusters-2024", "code": "010100"}},
     422, "InvalidDecision"),
    ({"action": "correct", "skill": {"framework": "ngss-sep", "code": "SEP99"}}, 422,
     "InvalidDecision"),
    ({"action": "correct", "evidence_spans": [{"source": "evidence[7]", "start": 0, "end": 4}]},
     422, "InvalidDecision"),
    ({"action": "correct", "evidence_spans": [{"source": "narrative", "start": 0,
                                                "end": 99_999}]}, 422, "InvalidDecision"),
    ({"action": "correct", "evidence_spans": [{"source": "narrative", "start": 5, "end": 5}]},
     422, "RequestValidationError"),
])
def test_invalid_decisions_say_what_to_fix(client: TestClient, reviewer: dict[str, str],
                                           reviewed: dict[str, Any], body: dict[str, Any],
                                           status: int, error: str) -> None:
    posted = reviewed["posted"]
    response = client.post(
        f"/v1/extractions/{posted['id']}/assertions/{posted['assertions'][0]['id']}/decisions",
        json=body, headers=reviewer)
    assert response.status_code == status, response.text
    assert response.json()["error"] == error


def test_unknown_assertion_and_duplicate_add(client: TestClient, reviewer: dict[str, str],
                                             reviewed: dict[str, Any]) -> None:
    posted = reviewed["posted"]
    base = f"/v1/extractions/{posted['id']}"
    missing = client.post(f"{base}/assertions/sa_nope/decisions", json={"action": "accept"},
                          headers=reviewer)
    assert missing.status_code == 404
    assert missing.json()["error"] == "AssertionNotFound"
    skill = posted["assertions"][0]["skill"]
    duplicate = client.post(f"{base}/assertions", headers=reviewer, json={
        "skill": {"framework": skill["framework"], "code": skill["code"]},
        "confidence": "high", "evidence_spans": [reviewed["span"]]})
    assert duplicate.status_code == 422
    assert posted["assertions"][0]["id"] in duplicate.json()["detail"]


def test_queue_filters_and_pages(client: TestClient, reviewer: dict[str, str],
                                 reviewed: dict[str, Any]) -> None:
    water = _submit(client, WATER_QUALITY)
    done = reviewed["posted"]["id"]

    def ids(**params: Any) -> list[str]:
        response = client.get("/v1/review/queue", params={"limit": 200, **params},
                              headers=reviewer)
        assert response.status_code == 200, response.text
        return [item["id"] for item in response.json()["items"]]

    assert done in ids(status="reviewed") and water["id"] not in ids(status="reviewed")
    assert water["id"] in ids(status="pending") and done not in ids(status="pending")
    assert done not in ids(status="in_review")
    frameworks = {a["skill"]["framework"] for a in water["assertions"]}
    levels = {a["confidence"] for a in water["assertions"]}
    for framework in frameworks:
        assert water["id"] in ids(framework=framework)
    for level in levels:
        assert water["id"] in ids(confidence=level)
    for level in {"low", "medium", "high"} - levels:
        assert water["id"] not in ids(confidence=level)
    assert ids(framework="no-such-framework") == []

    everything = ids()
    first = client.get("/v1/review/queue", params={"limit": 2, "offset": 0},
                       headers=reviewer).json()
    second = client.get("/v1/review/queue", params={"limit": 2, "offset": 2},
                        headers=reviewer).json()
    assert first["total"] == len(everything)
    assert [i["id"] for i in first["items"] + second["items"]] == everything[:4]
    item = next(i for i in first["items"])
    assert item["assertions"] == sum(item["by_confidence"].values())
    bad = client.get("/v1/review/queue", params={"status": "done"}, headers=reviewer)
    assert bad.status_code == 422


def _check_eval_record(record: dict[str, Any], catalog: TaxonomyCatalog) -> None:
    """The eval dataset's record format (eval/datasets/experiences-v1/DATASHEET.md)."""
    assert set(record) == {"id", "split", "experience", "gold"}
    assert isinstance(record["id"], str) and isinstance(record["split"], str)
    assert "options" not in record["experience"]
    Experience.model_validate(record["experience"])
    gold = record["gold"]
    assert set(gold) == {"labelled_frameworks", "skills", "quality"}
    assert gold["quality"] is None
    labelled = gold["labelled_frameworks"]
    keys = [(s["framework"], s["code"]) for s in gold["skills"]]
    assert keys == sorted(set(keys))
    for skill in gold["skills"]:
        assert set(skill) == {"framework", "code", "strength"}
        assert skill["framework"] in labelled
        assert skill["strength"] == "clear"
        taxonomy = catalog.get(skill["framework"])
        item = next(i for i in taxonomy.items if i.code == skill["code"])
        assert item.parent is None, "gold codes are top-level items"


def test_export_is_valid_eval_data(client: TestClient, reviewer: dict[str, str],
                                   reviewed: dict[str, Any], settings: Settings) -> None:
    response = client.get("/v1/review/export", params={"split": "test"}, headers=reviewer)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    records = [json.loads(line) for line in response.text.splitlines()]
    catalog = TaxonomyCatalog.from_directory(settings.taxonomies_dir)
    for record in records:
        _check_eval_record(record, catalog)
        assert record["split"] == "test"
    posted = reviewed["posted"]
    record = next(r for r in records if r["id"] == posted["id"])
    stored = {k: v for k, v in FOOD_DRIVE.items()}
    assert record["experience"]["narrative"] == stored["narrative"]
    assert record["experience"]["learner_ref"] == stored["learner_ref"]
    assert record["gold"]["labelled_frameworks"] == FRAMEWORKS
    gold = {(s["framework"], s["code"]) for s in record["gold"]["skills"]}
    added = reviewed["added"]["after"]["skill"]
    assert ("ngss-sep", added["code"]) in gold
    kept = posted["assertions"][:3]
    for assertion in kept:
        skill = assertion["skill"]
        taxonomy = catalog.get(skill["framework"])
        item = taxonomy.by_identifier[skill["id"]]
        while item.parent:
            item = taxonomy.by_identifier[item.parent]
        assert (skill["framework"], item.code) in gold
    assert len(gold) <= len(kept) + 1


def test_export_from_the_command_line_matches_the_api(client: TestClient,
                                                      reviewer: dict[str, str],
                                                      reviewed: dict[str, Any],
                                                      settings: Settings) -> None:
    api = client.get("/v1/review/export", headers=reviewer).text
    env = {"DATABASE_URL": settings.database_url, "VAR_DIR": str(settings.var_dir),
           "HF_HUB_OFFLINE": "1", "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "service", "review", "export",
                             "--tenant", TENANT], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout == api
    assert reviewed["posted"]["id"] in result.stdout


def test_spans_are_checked_against_the_experience() -> None:
    before = ReviewedAssertion.model_validate({
        "id": "sa_1", "origin": "machine", "status": "undecided",
        "skill": {"id": "x", "code": "SEP1", "label": "Asking", "framework": "ngss-sep",
                  "skill_type": "core", "uri": "u"},
        "confidence": "high", "score": 0.9, "rationale": "r",
        "evidence_spans": [{"source": "narrative", "start": 0, "end": 2, "text": "In",
                            "similarity": 0.5}]})
    corrected = apply(before, Change(action=DecisionAction.CORRECT, confidence="low"), "sa_1")
    assert corrected.confidence == "low" and corrected.evidence_spans == before.evidence_spans
    assert corrected.status == "corrected"
    respanned = apply(corrected, Change(action=DecisionAction.CORRECT, evidence_spans=[
        ReviewSpan(source="narrative", start=3, end=5, text="No")]), "sa_1")
    assert respanned.confidence == "low" and respanned.evidence_spans[0].similarity is None
    with pytest.raises(ValueError, match="no assertion"):
        apply(None, Change(action=DecisionAction.ACCEPT), "sa_2")
