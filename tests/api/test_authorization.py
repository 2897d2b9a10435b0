"""The authorization matrix: every role x endpoint x own or other tenant, and missing keys.

A role without the permission gets 403 whatever the target; with it, another tenant's ids are
404 (never 403, so ids do not leak); lists only ever show the caller's tenant.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.access.roles import Role
from service.settings import PROJECT_ROOT, Settings
from tests.conftest import OTHER_TENANT, TENANT, KeyRing, bearer, create_keys
from tests.experiences import FOOD_DRIVE

SMALL = copy.deepcopy(FOOD_DRIVE) | {
    "options": {"taxonomies": ["ngss-sep", "america-succeeds"], "max_assertions": 4}}


@dataclass(frozen=True)
class World:
    """One extraction per tenant, with an assertion and a skill the machine did not assert."""

    extraction: dict[str, str]
    assertion: dict[str, str]
    missing_code: dict[str, str]
    learner: dict[str, str]  # with an accepted assertion and an issued credential
    issued: dict[str, str]  # that learner's extraction


@pytest.fixture(scope="module")
def world(client: TestClient, keys: KeyRing) -> World:
    extraction, assertion, missing, learner, issued_ids = {}, {}, {}, {}, {}
    for tenant in (TENANT, OTHER_TENANT):
        learner[tenant] = f"lrn-matrix-{tenant}"
        issued = client.post("/v1/extractions", json=SMALL | {"learner_ref": learner[tenant]},
                             headers=bearer(keys[tenant, Role.SUBMITTER])).json()
        reviewer = bearer(keys[tenant, Role.REVIEWER])
        client.post(f"/v1/extractions/{issued['id']}/assertions/"
                    f"{issued['assertions'][0]['id']}/decisions", json={"action": "accept"},
                    headers=reviewer)
        assert client.post(f"/v1/extractions/{issued['id']}/credentials",
                           headers=reviewer).status_code == 201
        issued_ids[tenant] = issued["id"]
        response = client.post("/v1/extractions", json=SMALL,
                               headers=bearer(keys[tenant, Role.SUBMITTER]))
        assert response.status_code == 201, response.text
        body = response.json()
        extraction[tenant] = body["id"]
        assertion[tenant] = body["assertions"][0]["id"]
        asserted = {a["skill"]["code"] for a in body["assertions"]}
        missing[tenant] = next(f"SEP{i}" for i in range(1, 9) if f"SEP{i}" not in asserted)
    return World(extraction, assertion, missing, learner, issued_ids)


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    allowed: frozenset[Role]
    ok: int
    scoped: bool  # the path names one tenant's resource
    body: Any = None


ALL = frozenset(Role)
READERS = frozenset({Role.SUBMITTER, Role.REVIEWER})
ISSUERS = frozenset({Role.REVIEWER, Role.ADMIN})
ENDPOINTS = [
    Endpoint("create extraction", "POST", "/v1/extractions", frozenset({Role.SUBMITTER}), 201,
             False, SMALL),
    Endpoint("read extraction", "GET", "/v1/extractions/{extraction}", READERS, 200, True),
    Endpoint("read review", "GET", "/v1/extractions/{extraction}/review", READERS, 200, True),
    Endpoint("assertion history", "GET",
             "/v1/extractions/{extraction}/assertions/{assertion}/decisions", READERS, 200, True),
    Endpoint("decide", "POST", "/v1/extractions/{extraction}/assertions/{assertion}/decisions",
             frozenset({Role.REVIEWER}), 201, True, {"action": "accept", "comment": "ok"}),
    Endpoint("add skill", "POST", "/v1/extractions/{extraction}/assertions",
             frozenset({Role.REVIEWER}), 201, True, "add"),
    Endpoint("review queue", "GET", "/v1/review/queue", frozenset({Role.REVIEWER}), 200, False),
    Endpoint("export", "GET", "/v1/review/export", frozenset({Role.REVIEWER}), 200, False),
    # Issued once already (see world), so issuing again answers 200 with the same credentials.
    Endpoint("issue credentials", "POST", "/v1/extractions/{issued}/credentials", ISSUERS,
             200, True),
    Endpoint("learner profile", "GET", "/v1/learners/{learner}/profile", ALL, 200, True),
    Endpoint("learner clr", "GET", "/v1/learners/{learner}/clr", ALL, 200, True),
    Endpoint("verify credential", "POST", "/v1/credentials/verify", ALL, 200, False,
             {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["x"]}),
    Endpoint("list keys", "GET", "/v1/keys", frozenset({Role.ADMIN}), 200, False),
    Endpoint("create key", "POST", "/v1/keys", frozenset({Role.ADMIN}), 201, False,
             {"role": "reviewer", "name": "new reviewer"}),
    Endpoint("revoke key", "DELETE", "/v1/keys/{key}", frozenset({Role.ADMIN}), 200, True),
    Endpoint("list taxonomies", "GET", "/v1/taxonomies", ALL, 200, False),
    Endpoint("search skills", "GET", "/v1/taxonomies/ngss-sep/skills?q=data", ALL, 200, False),
    Endpoint("export taxonomy", "GET", "/v1/taxonomies/ngss-sep", ALL, 200, False),
    Endpoint("taxonomy versions", "GET", "/v1/taxonomies/ngss-sep/versions", ALL, 200, False),
    Endpoint("crosswalk", "GET", "/v1/crosswalk?from=iowa-universal-constructs&to=utah-portrait",
             ALL, 200, False),
    # Re-importing the installed package is a no-op that answers 200; only admins may import.
    Endpoint("import taxonomy", "POST", "/v1/taxonomies?id=ngss-sep", frozenset({Role.ADMIN}),
             200, False, json.loads((PROJECT_ROOT / "taxonomies" / "ngss-sep" / "package.json")
                                    .read_text(encoding="utf-8"))),
]

CASES = [(e, role, target) for e in ENDPOINTS for role in Role
         for target in (("own", "other") if e.scoped else ("own",))]


def _request(client: TestClient, endpoint: Endpoint, world: World, settings: Settings,
             target_tenant: str, headers: dict[str, str]) -> Any:
    ids = {"extraction": world.extraction[target_tenant],
           "assertion": world.assertion[target_tenant], "learner": world.learner[target_tenant],
           "issued": world.issued[target_tenant]}
    if "{key}" in endpoint.path:  # a fresh key of the target tenant, so revoking it is harmless
        ids["key"] = create_keys(settings, [(target_tenant, Role.REVIEWER)])[0].split("_")[1]
    path = endpoint.path.format(**ids)
    body = endpoint.body
    if body == "add":
        span_end = FOOD_DRIVE["narrative"].index(",")
        body = {"skill": {"framework": "ngss-sep", "code": world.missing_code[target_tenant]},
                "confidence": "low", "comment": "the shared schedule is a plan",
                "evidence_spans": [{"source": "narrative", "start": 0, "end": span_end}]}
    return client.request(endpoint.method, path, json=body, headers=headers)


@pytest.mark.parametrize(("endpoint", "role", "target"), CASES,
                         ids=[f"{e.name}-{r.value}-{t}" for e, r, t in CASES])
def test_authorization_matrix(client: TestClient, keys: KeyRing, world: World,
                              settings: Settings, endpoint: Endpoint, role: Role,
                              target: str) -> None:
    target_tenant = TENANT if target == "own" else OTHER_TENANT
    response = _request(client, endpoint, world, settings, target_tenant,
                        bearer(keys[TENANT, role]))
    if role not in endpoint.allowed:
        expected = 403
    elif target == "other":
        expected = 404
    else:
        expected = endpoint.ok
    assert response.status_code == expected, response.text
    if expected >= 400:
        error = response.json()
        assert error["error"] in {"Forbidden", "ExtractionNotFound", "ApiKeyNotFound",
                                  "LearnerNotFound"}
        assert world.extraction[OTHER_TENANT] not in response.text or target == "other"


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=[e.name for e in ENDPOINTS])
@pytest.mark.parametrize("authorization", [None, "Bearer", "Basic dXNlcjpwYXNz", "Bearer nope",
                                           "Bearer sk_0123456789abcdef_" + "A" * 43])
def test_no_valid_key_is_401(anonymous: TestClient, world: World, settings: Settings,
                             endpoint: Endpoint, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = _request(anonymous, endpoint, world, settings, TENANT, headers)
    assert response.status_code == 401, response.text
    assert response.headers["www-authenticate"] == "Bearer"
    assert response.json()["error"] == "Unauthenticated"


def test_a_revoked_key_is_refused(client: TestClient, keys: KeyRing, settings: Settings) -> None:
    key = create_keys(settings, [(TENANT, Role.SUBMITTER)])[0]
    assert client.get("/v1/taxonomies", headers=bearer(key)).status_code == 200
    revoked = client.delete(f"/v1/keys/{key.split('_')[1]}",
                            headers=bearer(keys[TENANT, Role.ADMIN]))
    assert revoked.status_code == 200 and revoked.json()["revoked_at"]
    response = client.get("/v1/taxonomies", headers=bearer(key))
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_lists_show_only_the_callers_tenant(client: TestClient, keys: KeyRing,
                                            world: World) -> None:
    reviewer = bearer(keys[TENANT, Role.REVIEWER])
    queue = client.get("/v1/review/queue", params={"limit": 200}, headers=reviewer).json()
    ids = {item["id"] for item in queue["items"]}
    assert world.extraction[TENANT] in ids
    assert world.extraction[OTHER_TENANT] not in ids
    export = client.get("/v1/review/export", headers=reviewer).text
    assert world.extraction[OTHER_TENANT] not in export
    listed = client.get("/v1/keys", headers=bearer(keys[TENANT, Role.ADMIN])).json()["keys"]
    assert listed and {k["tenant_id"] for k in listed} == {TENANT}
    assert all("key" not in k and "secret_sha256" not in k for k in listed)


def test_a_new_key_is_shown_once_and_works(client: TestClient, keys: KeyRing) -> None:
    created = client.post("/v1/keys", json={"role": "submitter"},
                          headers=bearer(keys[TENANT, Role.ADMIN])).json()
    assert created["key"].startswith(f"sk_{created['id']}_")
    assert created["tenant_id"] == TENANT
    listed = client.get("/v1/keys", headers=bearer(keys[TENANT, Role.ADMIN])).text
    assert created["key"].split("_", 2)[2] not in listed
    fresh = client.post("/v1/extractions", json=SMALL, headers=bearer(created["key"]))
    assert fresh.status_code == 201
