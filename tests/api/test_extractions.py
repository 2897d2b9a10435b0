"""POST and GET /v1/extractions through the real app, real model and a real SQLite file."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.access.roles import Role
from service.app import create_app
from service.settings import Settings
from tests.conftest import TENANT, KeyRing, bearer
from tests.experiences import FOOD_DRIVE, VAGUE, WATER_QUALITY


def _post(client: TestClient, body: dict[str, Any]) -> Any:
    return client.post("/v1/extractions", json=body)


@pytest.fixture(scope="module")
def food_drive(client: TestClient) -> dict[str, Any]:
    response = _post(client, FOOD_DRIVE)
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_result_records_versions(food_drive: dict[str, Any]) -> None:
    assert food_drive["model_id"] == "all-minilm-l6-v2"
    assert food_drive["pipeline_version"]
    assert set(food_drive["components"]) == {"segment", "retrieve", "retrieve_hybrid", "score",
                                             "select", "explain", "quality", "prior",
                                             "calibrate", "crosswalk"}
    ids = {t["id"] for t in food_drive["taxonomies"]}
    assert {"ngss-sep", "ngss-ccc", "career-clusters-2024", "america-succeeds"} <= ids
    assert all(t["version"] and t["content_hash"].startswith("sha256:")
               for t in food_drive["taxonomies"])
    assert food_drive["learner_ref"] == "lrn-7f3a91"
    assert food_drive["external_id"] == "sub-000123"


def test_assertions_are_sorted_scored_and_explained(food_drive: dict[str, Any]) -> None:
    assertions = food_drive["assertions"]
    assert assertions
    scores = [a["score"] for a in assertions]
    assert scores == sorted(scores, reverse=True)
    assert len({a["id"] for a in assertions}) == len(assertions)
    for a in assertions:
        assert 0 <= a["score"] <= 1
        assert a["confidence"] in {"low", "medium", "high"}
        assert set(a["skill"]) == {"id", "code", "label", "framework", "skill_type", "uri"}
        assert a["evidence_spans"]
        assert a["rationale"].startswith(a["skill"]["label"])
        quoted = a["evidence_spans"][0]["text"][:40]
        assert quoted.split()[0] in a["rationale"]


def test_every_span_is_the_exact_source_text(food_drive: dict[str, Any]) -> None:
    sources = {"narrative": FOOD_DRIVE["narrative"]}
    sources |= {f"evidence[{i}]": e["text"] for i, e in enumerate(FOOD_DRIVE["evidence"])}
    spans = [s for a in food_drive["assertions"] for s in a["evidence_spans"]]
    assert {s["source"] for s in spans} >= {"narrative", "evidence[0]"}
    for span in spans:
        assert sources[span["source"]][span["start"]:span["end"]] == span["text"]


def test_collaboration_ranks_above_unrelated_technical_clusters(
        food_drive: dict[str, Any]) -> None:
    ranked = [(a["skill"]["framework"], a["skill"]["code"]) for a in food_drive["assertions"]]

    def rank(framework: str, prefix: str) -> int:
        hits = [i for i, (f, c) in enumerate(ranked) if f == framework and c.startswith(prefix)]
        return min(hits) if hits else len(ranked)

    collaboration = rank("america-succeeds", "AS-COLLAB")
    assert collaboration < 5
    unrelated = ["010100", "010200", "010300", "030100", "050100", "050200", "060100"]
    for cluster in unrelated:
        assert collaboration < rank("career-clusters-2024", cluster[:4]), cluster
    top = food_drive["assertions"][0]
    assert top["skill"]["skill_type"] == "durable"


def test_science_course_shows_science_practices(client: TestClient) -> None:
    response = _post(client, WATER_QUALITY)
    assert response.status_code == 201
    codes = [a["skill"]["code"] for a in response.json()["assertions"][:6]]
    assert {"SEP3", "SEP4"} & set(codes)


def test_get_returns_exactly_what_post_returned(client: TestClient) -> None:
    posted = _post(client, FOOD_DRIVE)
    fetched = client.get(f"/v1/extractions/{posted.json()['id']}")
    assert fetched.status_code == 200
    assert fetched.content == posted.content


def test_results_survive_a_restart(settings: Settings, keys: KeyRing) -> None:
    headers = bearer(keys[TENANT, Role.SUBMITTER])
    with TestClient(create_app(settings), headers=headers) as first:
        posted = _post(first, WATER_QUALITY)
        assert posted.status_code == 201
    with TestClient(create_app(settings), headers=headers) as second:
        fetched = second.get(f"/v1/extractions/{posted.json()['id']}")
    assert fetched.status_code == 200
    assert fetched.content == posted.content


def test_unknown_id_is_404(client: TestClient) -> None:
    response = client.get("/v1/extractions/does-not-exist")
    assert response.status_code == 404
    assert response.json()["error"] == "ExtractionNotFound"


def test_options_filter_confidence_and_count(client: TestClient) -> None:
    body = copy.deepcopy(FOOD_DRIVE)
    body["options"] = {"min_confidence": "medium", "max_assertions": 3}
    result = _post(client, body).json()
    assert 0 < len(result["assertions"]) <= 3
    assert all(a["confidence"] in {"medium", "high"} for a in result["assertions"])


def test_selected_taxonomies_only(client: TestClient) -> None:
    body = copy.deepcopy(WATER_QUALITY)
    body["options"] = {"taxonomies": ["ngss-sep"]}
    result = _post(client, body).json()
    assert [t["id"] for t in result["taxonomies"]] == ["ngss-sep"]
    assert {a["skill"]["framework"] for a in result["assertions"]} <= {"ngss-sep"}


def test_quality_indicators_are_returned_and_verified_levels_win(client: TestClient) -> None:
    body = copy.deepcopy(FOOD_DRIVE)
    body["quality_indicators"] = {"novelty": 1}
    result = _post(client, body).json()
    quality = result["quality_indicators"]
    assert quality["novelty"] == {"level": 1, "source": "verified", "probability": None,
                                  "rationale": quality["novelty"]["rationale"],
                                  "evidence_span": None}
    for name in ("responsibility", "complexity"):
        indicator = quality[name]
        assert indicator["source"] == "estimated" and 1 <= indicator["level"] <= 4
        span = indicator["evidence_span"]
        source = FOOD_DRIVE["narrative"] if span["source"] == "narrative" else \
            FOOD_DRIVE["evidence"][int(span["source"][9:-1])]["text"]
        assert source[span["start"]:span["end"]] == span["text"]


def test_calibrated_scores_and_artefact_versions_are_recorded(
        food_drive: dict[str, Any]) -> None:
    assert food_drive["components"]["calibrate"].startswith(
        "calibrate.logreg-isotonic.v4+calibration-")
    assert "+quality-" in food_drive["components"]["quality"]
    assert food_drive["components"]["prior"].startswith("prior.experience-probe.v3+prior-")
    assert food_drive["components"]["crosswalk"].startswith("crosswalk+sha256:")


def test_optional_fields_may_be_null(client: TestClient) -> None:
    body = {"category": "employment", "narrative": "I ran the register and closed the store.",
            "evidence": None, "organization": None, "hours": None, "options": {}}
    response = _post(client, body)
    assert response.status_code == 201, response.text


def test_vague_narrative_gets_no_confident_skills(client: TestClient) -> None:
    result = _post(client, VAGUE).json()
    assert all(a["confidence"] != "high" for a in result["assertions"])


# ---- bad input: every case is a 4xx that says what to fix -------------------------------

def _with(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(FOOD_DRIVE)
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key)
        else:
            body[key] = value
    return body


_DROP = object()

INVALID = [
    ("missing narrative", _with(narrative=_DROP), ["body", "narrative"]),
    ("blank narrative", _with(narrative="   "), ["body"]),
    ("bad category", _with(category="hobby"), ["body", "category"]),
    ("bad evidence kind", _with(evidence=[{"kind": "letter", "text": "x"}]),
     ["body", "evidence", 0, "kind"]),
    ("empty evidence text", _with(evidence=[{"kind": "reflection", "text": ""}]),
     ["body", "evidence", 0, "text"]),
    ("bad relationship", _with(evidence=[{"kind": "endorsement", "text": "Good work.",
                                          "author": {"relationship": "boss"}}]),
     ["body", "evidence", 0, "author", "relationship"]),
    ("negative hours", _with(hours=-3), ["body", "hours"]),
    ("bad date", _with(start_date="31/12/2025"), ["body", "start_date"]),
    ("end before start", _with(start_date="2025-05-01", end_date="2025-04-01"), ["body"]),
    ("unknown field", _with(nickname="Mo"), ["body", "nickname"]),
    ("learner name as ref", _with(learner_ref="Maya Lopez"), ["body", "learner_ref"]),
    ("bad min_confidence", _with(options={"min_confidence": "certain"}),
     ["body", "options", "min_confidence"]),
    ("bad verified level", _with(quality_indicators={"novelty": 5}),
     ["body", "quality_indicators", "novelty"]),
    ("zero max_assertions", _with(options={"max_assertions": 0}),
     ["body", "options", "max_assertions"]),
    ("too many assertions", _with(options={"max_assertions": 500}),
     ["body", "options", "max_assertions"]),
    ("narrative too long", _with(narrative="I helped. " * 2100), ["body", "narrative"]),
    ("evidence too long", _with(evidence=[{"kind": "reflection", "text": "x " * 5001}]),
     ["body", "evidence", 0, "text"]),
    ("too many evidence items", _with(evidence=[{"kind": "reflection", "text": "ok"}] * 26),
     ["body", "evidence"]),
]


@pytest.mark.parametrize(("case", "body", "loc"), INVALID, ids=[c[0] for c in INVALID])
def test_invalid_input_is_422_naming_the_field(client: TestClient, case: str,
                                               body: dict[str, Any], loc: list[Any]) -> None:
    response = _post(client, body)
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["error"] in {"RequestValidationError", "InvalidExperience"}
    assert error["detail"]
    assert any(e["loc"] == loc for e in error["errors"]), error["errors"]


def test_unknown_taxonomy_lists_the_known_ones(client: TestClient) -> None:
    response = _post(client, _with(options={"taxonomies": ["ngss-sep", "iowa-x"]}))
    assert response.status_code == 422
    error = response.json()
    assert error["error"] == "UnknownTaxonomy"
    assert "iowa-x" in error["detail"]
    assert "ngss-sep" in error["errors"][0]["known"]


def test_malformed_json_is_422(client: TestClient) -> None:
    response = client.post("/v1/extractions", content=b'{"category": "service",',
                           headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert response.json()["error"] == "RequestValidationError"


def test_body_over_the_limit_is_413(client: TestClient) -> None:
    body = _with(narrative="a" * (300 * 1024))
    response = client.post("/v1/extractions", content=json.dumps(body).encode(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert "limit" in response.json()["detail"]


def test_chunked_body_over_the_limit_is_413(client: TestClient) -> None:
    def chunks():  # type: ignore[no-untyped-def]
        for _ in range(40):
            yield b" " * 8192

    response = client.post("/v1/extractions", content=chunks(),
                           headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_refused_text_is_not_echoed(client: TestClient) -> None:
    secret = "Xylophone-secret-narrative " * 1000
    response = _post(client, _with(narrative=secret))
    assert response.status_code == 422
    assert "Xylophone" not in response.text
