"""Importing, versioning and exporting frameworks through the API, on an app of their own."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.access.roles import Role
from service.app import create_app
from service.settings import Settings
from tests.conftest import SHARED, TENANT, bearer, create_keys, make_settings
from tests.experiences import FOOD_DRIVE

SAMPLE = SHARED / "standards" / "samples" / "opensalt_sample_case_package_v1p0.json"
_NS = uuid.UUID("5f0e7c1a-9d2b-5e4f-8a3c-7b6d5e4f3a2b")

# A district's portrait of a graduate, written for this test the way districts write them.
PORTRAIT = [
    ("LV-1", "Collaborative Problem Solver",
     "Works with others to understand a problem, share out the work and agree on a solution.",
     ["split the work with my team", "we agreed on a plan together", "worked it out together",
      "made sure everyone had a job"]),
    ("LV-2", "Effective Communicator",
     "Explains ideas clearly to different audiences and listens to understand.",
     ["talked to the class about why it matters", "presented to the board",
      "listened to everyone's ideas", "explained it to the younger students"]),
    ("LV-3", "Self-Directed Learner",
     "Sets own goals, plans the steps, and reflects on what to do differently next time.",
     ["next time I would start earlier", "I learned that", "set a goal for myself",
      "kept track of my progress"]),
    ("LV-4", "Community Contributor",
     "Takes part in improving the school and the wider community through service.",
     ["volunteered at the food pantry", "organised a drive for people in need",
      "helped our neighbourhood", "ran a service project"]),
]


def portrait_package(version: str = "2026", extra_keyword: str | None = None) -> dict[str, Any]:
    """The district's framework as a CASE 1.1 package."""
    doc_id = str(uuid.uuid5(_NS, "lakeview"))
    items, associations = [], []
    for n, (code, name, description, keywords) in enumerate(PORTRAIT):
        identifier = str(uuid.uuid5(_NS, code))
        words = [*keywords, extra_keyword] if extra_keyword and n == 0 else keywords
        items.append({"identifier": identifier, "uri": f"https://lakeview.example/{code}",
                      "fullStatement": name, "humanCodingScheme": code, "notes": description,
                      "conceptKeywords": words, "CFItemType": "Competency",
                      "lastChangeDateTime": "2026-09-01T00:00:00+00:00"})
        assoc_id = str(uuid.uuid5(_NS, f"{code}-child"))
        associations.append({
            "identifier": assoc_id, "uri": f"urn:uuid:{assoc_id}", "associationType": "isChildOf",
            "originNodeURI": {"title": name, "identifier": identifier,
                              "uri": f"https://lakeview.example/{code}"},
            "destinationNodeURI": {"title": "Lakeview", "identifier": doc_id,
                                   "uri": f"urn:uuid:{doc_id}"},
            "lastChangeDateTime": "2026-09-01T00:00:00+00:00"})
    return {"CFDocument": {"identifier": doc_id, "uri": f"urn:uuid:{doc_id}",
                           "creator": "Lakeview Unified School District",
                           "title": "Lakeview Portrait of a Graduate", "version": version,
                           "lastChangeDateTime": "2026-09-01T00:00:00+00:00"},
            "CFItems": items, "CFAssociations": associations}


@pytest.fixture(scope="module")
def import_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("imports"))


_SUBMITTER: dict[str, str] = {}


@pytest.fixture(scope="module")
def app_client(import_settings: Settings) -> Iterator[TestClient]:
    """A client of a fresh app sending an admin key (imports need the admin role)."""
    admin, submitter = create_keys(import_settings, [(TENANT, Role.ADMIN),
                                                     (TENANT, Role.SUBMITTER)])
    _SUBMITTER.update(bearer(submitter))
    with TestClient(create_app(import_settings), headers=bearer(admin)) as test_client:
        yield test_client


def test_import_needs_the_admin_role(app_client: TestClient) -> None:
    response = app_client.post("/v1/taxonomies", params={"id": "x", "title": "X"},
                               content=b"{}", headers=_SUBMITTER | {
                                   "content-type": "application/json"})
    assert response.status_code == 403
    assert response.json()["error"] == "Forbidden"


def _import(client: TestClient, package: Any, **params: Any) -> Any:
    return client.post("/v1/taxonomies", params=params, content=json.dumps(package).encode(),
                       headers={"content-type": "application/json"})


def _extract(client: TestClient, taxonomies: list[str]) -> dict[str, Any]:
    body = copy.deepcopy(FOOD_DRIVE)
    body["options"] = {"taxonomies": taxonomies}
    response = client.post("/v1/extractions", json=body, headers=_SUBMITTER)
    assert response.status_code == 201, response.text
    result: dict[str, Any] = response.json()
    return result


def test_real_case_1_0_export_imports_and_round_trips(app_client: TestClient) -> None:
    sample = json.loads(SAMPLE.read_text())
    response = _import(app_client, sample, id="what-standards-could-be", skill_type="core")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["created"] and body["ref"] == "what-standards-could-be@1"
    assert body["taxonomy"]["items"] == 16
    assert response.headers["location"] == "/v1/taxonomies/what-standards-could-be@1"

    exported = app_client.get("/v1/taxonomies/what-standards-could-be")
    assert exported.status_code == 200
    assert exported.json() == sample
    assert exported.headers["etag"] == f'"{body["taxonomy"]["content_hash"]}"'

    again = _import(app_client, exported.json(), id="what-standards-could-be")
    assert again.status_code == 200
    assert again.json()["created"] is False
    assert again.json()["taxonomy"]["content_hash"] == body["taxonomy"]["content_hash"]


def test_bundled_framework_round_trips(app_client: TestClient) -> None:
    exported = app_client.get("/v1/taxonomies/ngss-sep")
    version = exported.headers["x-taxonomy-version"]
    same = _import(app_client, exported.json(), id="ngss-sep")
    assert same.status_code == 200 and same.json()["ref"] == f"ngss-sep@{version}"
    copied = _import(app_client, exported.json(), id="my-sep", skill_type="core")
    assert copied.status_code == 201
    assert app_client.get("/v1/taxonomies/my-sep").json() == exported.json()
    assert copied.json()["taxonomy"]["content_hash"] == same.json()["taxonomy"]["content_hash"]


def test_changing_a_bundled_framework_is_409(app_client: TestClient) -> None:
    package = app_client.get("/v1/taxonomies/ngss-sep").json()
    package["CFItems"][0]["fullStatement"] = "Asking Better Questions"
    response = _import(app_client, package, id="ngss-sep")
    assert response.status_code == 409
    assert "another id" in response.json()["detail"]


def _broken(change: str) -> dict[str, Any]:
    package = portrait_package()
    items, associations = package["CFItems"], package["CFAssociations"]
    if change == "missing identifier":
        del items[2]["identifier"]
    elif change == "empty statement":
        items[1]["fullStatement"] = " "
    elif change == "dangling association":
        associations[0]["destinationNodeURI"] = {"title": "x", "identifier": "nowhere",
                                                 "uri": "urn:x:nowhere"}
    elif change == "cycle":
        for origin, destination in ((0, 1), (1, 0)):
            assoc = copy.deepcopy(associations[origin])
            assoc["identifier"] = f"cycle-{origin}"
            assoc["destinationNodeURI"] = {"title": "x", "identifier": items[destination][
                "identifier"], "uri": items[destination]["uri"]}
            associations.append(assoc)
    return package


REJECTED = [
    ("missing identifier", r"CFItems[2] has no identifier"),
    ("empty statement", "has an empty fullStatement"),
    ("dangling association", "isChildOf points to an unknown item"),
    ("cycle", "hierarchy has a cycle"),
]


@pytest.mark.parametrize(("change", "message"), REJECTED, ids=[c for c, _ in REJECTED])
def test_bad_package_is_422_naming_the_problem(app_client: TestClient, change: str,
                                               message: str) -> None:
    response = _import(app_client, _broken(change), id="broken")
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "InvalidTaxonomyPackage"
    assert message in response.json()["detail"]
    assert "broken" not in app_client.get("/v1/taxonomies").text


@pytest.mark.parametrize(("content", "params", "message"), [
    (b"{not json", {"id": "x"}, "not JSON"),
    (b"[1, 2]", {"id": "x"}, "CFDocument"),
    (json.dumps(portrait_package()).encode(), {"id": "Bad Id!"}, "cannot be a taxonomy id"),
], ids=["not json", "not an object", "bad id"])
def test_unusable_upload_is_422(app_client: TestClient, content: bytes, params: dict[str, str],
                                message: str) -> None:
    response = app_client.post("/v1/taxonomies", params=params, content=content,
                               headers={"content-type": "application/json"})
    assert response.status_code == 422
    assert message in response.json()["detail"]


def test_esco_style_csv_imports(app_client: TestClient) -> None:
    csv = ("uri,preferred_label,alt_labels,description\n"
           "http://data.europa.eu/esco/skill/60c78287-22eb-4103-9c8c-28deaa460da0,work in teams,"
           "teamwork|work as a team,\"Be confident working with others.\"\n"
           "https://example.org/skills/budget,manage a budget,,Plan and track spending.\n")
    response = app_client.post("/v1/taxonomies", params={"id": "club-skills", "title": "Club"},
                               content=csv.encode(), headers={"content-type": "text/csv"})
    assert response.status_code == 201, response.text
    skills = app_client.get("/v1/taxonomies/club-skills/skills").json()["items"]
    assert [s["label"] for s in skills] == ["work in teams", "manage a budget"]
    assert skills[0]["id"] == "60c78287-22eb-4103-9c8c-28deaa460da0"
    assert skills[0]["keywords"] == ["teamwork", "work as a team"]
    missing = app_client.post("/v1/taxonomies", params={"id": "c", "title": "C"},
                              content=b"label,description\nx,y\n",
                              headers={"content-type": "text/csv"})
    assert missing.status_code == 422 and "uri, preferred_label" in missing.json()["detail"]


def test_imported_portrait_is_used_at_once_versioned_and_survives_a_restart(
        app_client: TestClient, import_settings: Settings) -> None:
    first = _import(app_client, portrait_package(), id="lakeview", title="Lakeview Portrait")
    assert first.status_code == 201, first.text
    assert first.json()["ref"] == "lakeview@2026"

    result = _extract(app_client, ["lakeview"])
    assert result["taxonomies"] == [{"id": "lakeview", "version": "2026",
                                     "content_hash": first.json()["taxonomy"]["content_hash"]}]
    codes = {a["skill"]["code"] for a in result["assertions"]}
    assert "LV-1" in codes
    for assertion in result["assertions"]:
        assert assertion["skill"]["framework"] == "lakeview"
        assert assertion["rationale"].startswith(assertion["skill"]["label"])
        assert assertion["evidence_spans"]

    changed = _import(app_client, portrait_package(extra_keyword="divided up the hallways"),
                      id="lakeview")
    assert changed.status_code == 201
    assert changed.json()["ref"] == "lakeview@2026+2"
    newer = _extract(app_client, ["lakeview"])
    assert newer["taxonomies"][0]["version"] == "2026+2"
    stored = app_client.get(f"/v1/extractions/{result['id']}", headers=_SUBMITTER).json()
    assert stored["taxonomies"][0]["version"] == "2026"  # old results keep their version
    assert app_client.get("/v1/taxonomies/lakeview@2026").json() == portrait_package()

    admin = {"Authorization": app_client.headers["Authorization"]}
    with TestClient(create_app(import_settings), headers=admin) as restarted:
        listed = {t["id"]: t for t in restarted.get("/v1/taxonomies").json()["taxonomies"]}
        assert listed["lakeview"]["version"] == "2026+2"
        versions = restarted.get("/v1/taxonomies/lakeview/versions").json()["versions"]
        assert [(v["version"], v["latest"]) for v in versions] == [
            ("2026", False), ("2026+2", True)]
        assert _extract(restarted, ["lakeview"])["assertions"]
    stored_dirs = sorted(p.name for p in (import_settings.var_dir / "taxonomies" / "lakeview")
                         .iterdir())
    assert stored_dirs == ["2026", "2026+2"]


def test_unknown_version_is_404(app_client: TestClient) -> None:
    response = app_client.get("/v1/taxonomies/ngss-sep@9.9")
    assert response.status_code == 404
    assert "Known versions" in response.json()["detail"]


def test_import_over_the_experience_body_limit_is_accepted(app_client: TestClient) -> None:
    package = portrait_package(version="big")
    package["CFItems"][3]["notes"] += " " + "and more " * 40_000  # ~360 kB
    response = _import(app_client, package, id="big-portrait")
    assert response.status_code == 201, response.text[:300]
