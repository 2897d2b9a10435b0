"""Crosswalks through the API, and the equivalents each assertion lists."""

from __future__ import annotations

import copy
from typing import Any

from fastapi.testclient import TestClient

from tests.experiences import FOOD_DRIVE, WATER_QUALITY


def _mappings(client: TestClient, source: str, target: str) -> set[tuple[str, str, str]]:
    response = client.get("/v1/crosswalk", params={"from": source, "to": target})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["from"], body["to"]) == (source, target)
    return {(m["from"]["code"], m["to"]["code"], m["relation"]) for m in body["mappings"]}


def test_crosswalk_reads_the_same_from_both_ends(client: TestClient) -> None:
    forward = _mappings(client, "iowa-universal-constructs", "utah-portrait")
    backward = _mappings(client, "utah-portrait", "iowa-universal-constructs")
    assert ("IA-UC-CO", "UT-A.4", "exactMatchOf") in forward
    assert {(b, a, r) for a, b, r in backward} == forward


def test_crosswalk_of_unknown_framework_is_404(client: TestClient) -> None:
    response = client.get("/v1/crosswalk", params={"from": "ngss-sep", "to": "nope"})
    assert response.status_code == 404


def _extract(client: TestClient, experience: dict[str, Any],
             taxonomies: list[str] | None) -> list[dict[str, Any]]:
    body = copy.deepcopy(experience)
    body["options"] = {"taxonomies": taxonomies}
    response = client.post("/v1/extractions", json=body)
    assert response.status_code == 201, response.text
    assertions: list[dict[str, Any]] = response.json()["assertions"]
    return assertions


def test_assertions_list_equivalents_in_the_other_selected_frameworks(
        client: TestClient) -> None:
    selected = ["utah-portrait", "iowa-universal-constructs"]
    assertions = _extract(client, FOOD_DRIVE, selected)
    utah = next(a for a in assertions if a["skill"]["code"] == "UT-A.4")
    assert {"framework": "iowa-universal-constructs", "code": "IA-UC-CO",
            "label": "Collaboration", "relation": "exactMatchOf"}.items() <= \
        utah["equivalents"][0].items()
    for assertion in assertions:
        assert all(e["framework"] in selected and e["framework"] != assertion["skill"][
            "framework"] for e in assertion["equivalents"])

    alone = _extract(client, FOOD_DRIVE, ["utah-portrait"])
    assert all(a["equivalents"] == [] for a in alone)


def test_full_esco_is_selectable_and_not_searched_by_default(client: TestClient) -> None:
    listed = {t["id"]: t for t in client.get("/v1/taxonomies").json()["taxonomies"]}
    assert listed["esco"]["default"] is False and listed["esco"]["items"] > 13_000
    default = _extract(client, WATER_QUALITY, None)
    assert all(a["skill"]["framework"] != "esco" for a in default)

    assertions = _extract(client, WATER_QUALITY, ["esco", "ngss-sep"])
    esco = [a for a in assertions if a["skill"]["framework"] == "esco"]
    assert esco
    assert all(a["skill"]["uri"].startswith("http://data.europa.eu/esco/skill/") for a in esco)
    sep4 = next((a for a in assertions if a["skill"]["code"] == "SEP4"), None)
    if sep4 is not None:
        assert all(e["framework"] == "esco" for e in sep4["equivalents"])
