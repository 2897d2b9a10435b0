"""The review console through HTTP: sign-in, tenant scoping, escaping, optional sections."""

from __future__ import annotations

import copy
import json
import sqlite3
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.access.roles import Role
from service.review.highlight import pieces
from service.settings import Settings
from tests.conftest import OTHER_TENANT, TENANT, KeyRing, bearer, create_keys
from tests.experiences import FOOD_DRIVE

HOSTILE = copy.deepcopy(FOOD_DRIVE) | {
    "title": 'Flyers <img src=x onerror="alert(1)">',
    "narrative": FOOD_DRIVE["narrative"]
    + ' I wrote the flyer: <script>alert("pwned")</script> & <b>bold</b> claims.',
    "options": {"taxonomies": ["ngss-sep", "america-succeeds"], "max_assertions": 3},
}


@pytest.fixture(scope="module")
def console(client: TestClient, keys: KeyRing) -> TestClient:
    """A browser-like client signed in to the console as TENANT's reviewer."""
    browser = TestClient(client.app, follow_redirects=False)
    response = browser.post("/review/sign-in", data={"key": keys[TENANT, Role.REVIEWER]})
    assert response.status_code == 303, response.text
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/review" in cookie
    return browser


@pytest.fixture(scope="module")
def hostile(client: TestClient) -> dict[str, Any]:
    response = client.post("/v1/extractions", json=HOSTILE)
    assert response.status_code == 201
    body: dict[str, Any] = response.json()
    return body


def test_pages_need_a_reviewer_key(client: TestClient, keys: KeyRing) -> None:
    browser = TestClient(client.app, follow_redirects=False)
    assert browser.get("/review").headers["location"] == "/review/sign-in"
    assert browser.get("/review/extractions/x").headers["location"] == "/review/sign-in"
    bad = browser.post("/review/sign-in", data={"key": "sk_nope"})
    assert bad.status_code == 401 and "malformed" in bad.text
    submitter = browser.post("/review/sign-in", data={"key": keys[TENANT, Role.SUBMITTER]})
    assert submitter.status_code == 403 and "reviewer key" in submitter.text
    assert "set-cookie" not in submitter.headers


def test_the_cookie_keeps_a_session_and_never_the_key(client: TestClient, keys: KeyRing,
                                                     settings: Settings) -> None:
    key = create_keys(settings, [(TENANT, Role.REVIEWER)])[0]
    browser = TestClient(client.app, follow_redirects=False)
    signed_in = browser.post("/review/sign-in", data={"key": key})
    assert signed_in.status_code == 303
    secret = key.rsplit("_", 1)[1]
    cookie = signed_in.headers["set-cookie"]
    assert secret not in cookie and key not in cookie
    assert "Max-Age=43200" in cookie  # twelve hours
    assert 'review_key=""' in cookie  # the cookie that held the key itself is cleared
    assert browser.get("/review").status_code == 200
    # a session opened for this key, carried to another key id, is refused
    session = browser.cookies["review_session"]
    other_id = keys[TENANT, Role.ADMIN].split("_")[1]
    forged = TestClient(client.app, follow_redirects=False,
                        cookies={"review_session": other_id + session[16:]})
    assert forged.get("/review").headers["location"] == "/review/sign-in"
    # revoking the key ends its session at the next page
    key_id = key.split("_")[1]
    revoked = client.delete(f"/v1/keys/{key_id}", headers=bearer(keys[TENANT, Role.ADMIN]))
    assert revoked.status_code == 200
    assert browser.get("/review").headers["location"] == "/review/sign-in"


def test_signing_out_ends_the_keys_sessions_on_every_device(client: TestClient,
                                                             settings: Settings) -> None:
    key = create_keys(settings, [(TENANT, Role.REVIEWER)])[0]
    laptop, phone = (TestClient(client.app, follow_redirects=False) for _ in range(2))
    for device in (laptop, phone):
        assert device.post("/review/sign-in", data={"key": key}).status_code == 303
        assert device.get("/review").status_code == 200
    copied = TestClient(client.app, follow_redirects=False,
                        cookies={"review_session": laptop.cookies["review_session"]})
    assert copied.get("/review").status_code == 200
    out = laptop.post("/review/sign-out")
    assert out.headers["location"] == "/review/sign-in"
    assert 'review_session=""' in out.headers["set-cookie"]
    # the phone's session and a copy of the laptop's cookie are over too
    for device in (phone, copied):
        assert device.get("/review").headers["location"] == "/review/sign-in"
    # the key still signs in, and its API use never depended on the console
    assert laptop.post("/review/sign-in", data={"key": key}).status_code == 303
    assert laptop.get("/review").status_code == 200
    missing = client.get("/v1/extractions/ex_none", headers=bearer(key))
    assert missing.status_code == 404  # authenticated, and nothing there
    # a sign-out posted from another site ends nothing
    forger = TestClient(client.app, follow_redirects=False,
                        cookies={"review_session": laptop.cookies["review_session"]})
    foreign = forger.post("/review/sign-out", headers={"origin": "https://elsewhere.example"})
    assert foreign.headers["location"] == "/review/sign-in"
    assert laptop.get("/review").status_code == 200


def test_queue_lists_the_tenants_extractions(console: TestClient,
                                             hostile: dict[str, Any]) -> None:
    page = console.get("/review", params={"status": "pending"})
    assert page.status_code == 200
    assert f"/review/extractions/{hostile['id']}" in page.text
    assert "default-src 'none'" in page.headers["content-security-policy"]


def test_learner_text_is_escaped(console: TestClient, hostile: dict[str, Any]) -> None:
    page = console.get(f"/review/extractions/{hostile['id']}")
    assert page.status_code == 200
    html = page.text
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "<img src=x" not in html
    assert ("&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; &amp; "
            "&lt;b&gt;bold&lt;/b&gt;") in html
    assert "Flyers &lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html
    queue = console.get("/review").text
    assert "<img src=x" not in queue


def test_another_tenants_extraction_is_not_found(console: TestClient, client: TestClient,
                                                 keys: KeyRing) -> None:
    theirs = client.post("/v1/extractions", json=HOSTILE,
                         headers=bearer(keys[OTHER_TENANT, Role.SUBMITTER])).json()
    page = console.get(f"/review/extractions/{theirs['id']}")
    assert page.status_code == 404
    assert "Flyers" not in page.text
    assert theirs["id"] not in console.get("/review").text


def test_a_decision_from_the_console_lands_in_the_log(console: TestClient, client: TestClient,
                                                      keys: KeyRing,
                                                      hostile: dict[str, Any]) -> None:
    first, second = hostile["assertions"][0]["id"], hostile["assertions"][1]["id"]
    response = console.post(
        f"/review/extractions/{hostile['id']}/assertions/{first}/decisions",
        data={"action": "accept", "comment": "<i>fine</i>", "next": second})
    assert response.status_code == 303
    assert response.headers["location"].endswith(f"?selected={second}")
    history = client.get(f"/v1/extractions/{hostile['id']}/assertions/{first}/decisions").json()
    assert history["decisions"][-1]["comment"] == "<i>fine</i>"
    page = console.get(f"/review/extractions/{hostile['id']}", params={"selected": second})
    assert "&lt;i&gt;fine&lt;/i&gt;" in page.text
    refused = console.post(
        f"/review/extractions/{hostile['id']}/assertions/{first}/decisions",
        data={"action": "correct", "skill": "ngss-sep:SEP99"})
    assert refused.status_code == 422 and "SEP99" in refused.text
    foreign = console.post(
        f"/review/extractions/{hostile['id']}/assertions/{first}/decisions",
        data={"action": "accept"}, headers={"origin": "https://evil.example"})
    assert foreign.status_code == 303 and foreign.headers["location"] == "/review/sign-in"


def test_quality_indicators_and_equivalents_show_when_present(
        console: TestClient, hostile: dict[str, Any], settings: Settings) -> None:
    """The console renders quality indicators and equivalents when the result has them."""
    page = console.get(f"/review/extractions/{hostile['id']}").text
    assert "Quality indicators" in page  # every extraction now estimates them
    for name in ("responsibility", "complexity", "novelty"):
        level = hostile["quality_indicators"][name]["level"]
        assert f"{level}" in page
    assert "Crosswalk equivalents" not in page
    result = copy.deepcopy(hostile)
    result["id"] = str(uuid.uuid4())
    result["quality_indicators"] = {"responsibility": {"level": 3, "rationale": "Led zones"},
                                    "complexity": 2}
    result["assertions"][0]["equivalents"] = [
        {"framework": "esco-transversal", "code": "T4.1", "label": "Working in teams",
         "relation": "exactMatch"}]
    database = settings.database_url.removeprefix("sqlite+aiosqlite:///")
    with sqlite3.connect(database) as connection:
        columns = ("tenant_id, created_at, learner_ref, external_id, category, model_id,"
                   " pipeline_version, components, taxonomy_versions, request_json")
        connection.execute(
            f"INSERT INTO extractions (id, result_json, review_status, {columns})"
            f" SELECT ?, ?, 'pending', {columns} FROM extractions WHERE id = ?",
            (result["id"], json.dumps(result), hostile["id"]))
    page = console.get(f"/review/extractions/{result['id']}").text
    assert "Quality indicators" in page and "Led zones" in page
    assert "Crosswalk equivalents" in page and "Working in teams" in page


def test_pieces_rebuild_the_text_and_each_span_exactly() -> None:
    text = "We split the school into zones and I made a shared schedule."
    spans = [(3, 8, "a"), (0, 30, "b"), (35, 60, "a"), (59, 99, "c")]
    cut = pieces(text, spans)
    assert "".join(p.text for p in cut) == text
    for assertion in "abc":
        lit = [p.text for p in cut if assertion in p.assertion_ids]
        expected = [text[s:min(e, len(text))] for s, e, a in spans if a == assertion]
        assert "".join(lit) == "".join(expected)
