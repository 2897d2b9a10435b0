"""Issuing, bundling and verifying credentials through the real app."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.access.roles import Role
from service.credentials.keys import load_key
from service.credentials.validation import CLR2_SCHEMA_ID, OB3_SCHEMA_ID, schema_errors
from service.settings import Settings
from tests.conftest import OTHER_TENANT, TENANT, KeyRing, bearer
from tests.experiences import FOOD_DRIVE

LEARNER = "lrn-credentials-1"
EXPERIENCE = copy.deepcopy(FOOD_DRIVE) | {
    "learner_ref": LEARNER,
    "options": {"taxonomies": ["america-succeeds", "ngss-sep"], "max_assertions": 4}}


@pytest.fixture(scope="module")
def reviewer(keys: KeyRing) -> dict[str, str]:
    return bearer(keys[TENANT, Role.REVIEWER])


@pytest.fixture(scope="module")
def issued(client: TestClient, reviewer: dict[str, str]) -> dict[str, Any]:
    """An extraction with its first assertion accepted, its second rejected, then issued."""
    extraction = client.post("/v1/extractions", json=EXPERIENCE).json()
    first, second = extraction["assertions"][:2]
    for assertion, action in ((first, "accept"), (second, "reject")):
        decided = client.post(
            f"/v1/extractions/{extraction['id']}/assertions/{assertion['id']}/decisions",
            json={"action": action}, headers=reviewer)
        assert decided.status_code == 201, decided.text
    response = client.post(f"/v1/extractions/{extraction['id']}/credentials", headers=reviewer)
    assert response.status_code == 201, response.text
    return {"extraction": extraction, "accepted": first, "body": response.json()}


def test_an_accepted_assertion_becomes_a_valid_open_badge(issued: dict[str, Any],
                                                          settings: Settings) -> None:
    body = issued["body"]
    assert body["issued"] == 1 and len(body["credentials"]) == 1
    credential = body["credentials"][0]
    assert schema_errors(credential, OB3_SCHEMA_ID) == []
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    issuer_did = load_key(settings.issuer_key_path).did
    assert credential["issuer"]["id"] == issuer_did
    proof = credential["proof"]
    assert proof["cryptosuite"] == "eddsa-rdfc-2022"
    assert proof["verificationMethod"].startswith(issuer_did + "#")

    accepted = issued["accepted"]
    achievement = credential["credentialSubject"]["achievement"]
    assert achievement["achievementType"] == "Competency"
    alignment = achievement["alignment"][0]
    assert alignment["targetType"] == "CFItem"
    assert alignment["targetCode"] == accepted["skill"]["code"]
    assert alignment["targetName"] == accepted["skill"]["label"]
    assert alignment["targetUrl"] == accepted["skill"]["uri"]
    assert accepted["skill"]["framework"] in alignment["targetFramework"]
    quoted = [e["narrative"] for e in credential["evidence"]]
    assert quoted == [f"> {s['text']}" for s in accepted["evidence_spans"]]
    assert all(e["id"].startswith(f"urn:uuid:{issued['extraction']['id']}#")
               for e in credential["evidence"])
    result = credential["credentialSubject"]["result"][0]
    assert float(result["value"]) == pytest.approx(accepted["score"], abs=1e-4)
    assert result["achievedLevel"].endswith(":" + accepted["confidence"])
    assert LEARNER in credential["credentialSubject"]["id"]


def test_issuing_again_returns_the_same_credentials(client: TestClient, issued: dict[str, Any],
                                                    reviewer: dict[str, str]) -> None:
    again = client.post(f"/v1/extractions/{issued['extraction']['id']}/credentials",
                        headers=reviewer)
    assert again.status_code == 200
    assert again.json()["issued"] == 0
    assert again.json()["credentials"] == issued["body"]["credentials"]


def test_an_issued_credential_verifies_and_a_tampered_one_does_not(
        client: TestClient, issued: dict[str, Any]) -> None:
    credential = issued["body"]["credentials"][0]
    ok = client.post("/v1/credentials/verify", json=credential).json()
    assert ok == {"verified": True, "id": credential["id"], "type": credential["type"],
                  "issuer": credential["issuer"]["id"], "problems": []}

    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["result"][0]["value"] = "0.9999"
    failed = client.post("/v1/credentials/verify", json=tampered).json()
    assert failed["verified"] is False
    assert [p["code"] for p in failed["problems"]] == ["signature_mismatch"]
    assert "changed after signing" in failed["problems"][0]["message"]

    unsigned = {k: v for k, v in credential.items() if k != "proof"}
    assert client.post("/v1/credentials/verify",
                       json=unsigned).json()["problems"][0]["code"] == "proof_missing"

    broken = copy.deepcopy(credential)
    del broken["credentialSubject"]["achievement"]["name"]
    codes = {p["code"] for p in client.post("/v1/credentials/verify",
                                            json=broken).json()["problems"]}
    assert codes == {"signature_mismatch", "schema_invalid"}


def test_the_clr_bundles_the_learners_credentials(client: TestClient, issued: dict[str, Any],
                                                  settings: Settings) -> None:
    response = client.get(f"/v1/learners/{LEARNER}/clr")
    assert response.status_code == 200, response.text
    clr = response.json()
    assert schema_errors(clr, CLR2_SCHEMA_ID) == []
    assert clr["type"] == ["VerifiableCredential", "ClrCredential"]
    assert clr["credentialSubject"]["verifiableCredential"] == issued["body"]["credentials"]
    assert clr["proof"]["cryptosuite"] == "eddsa-rdfc-2022"
    verified = client.post("/v1/credentials/verify", json=clr).json()
    assert verified["verified"] is True, verified

    tampered = copy.deepcopy(clr)
    inner = tampered["credentialSubject"]["verifiableCredential"][0]
    inner["credentialSubject"]["achievement"]["name"] = "Something else"
    problems = client.post("/v1/credentials/verify", json=tampered).json()["problems"]
    assert {p["code"] for p in problems} == {"signature_mismatch"}
    assert any(p["message"].startswith("verifiableCredential[0]:") for p in problems)


def test_a_credential_signed_by_someone_else_is_refused(client: TestClient,
                                                        issued: dict[str, Any]) -> None:
    credential = copy.deepcopy(issued["body"]["credentials"][0])
    credential["issuer"]["id"] = "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK"
    problems = client.post("/v1/credentials/verify", json=credential).json()["problems"]
    assert "issuer_mismatch" in {p["code"] for p in problems}


def test_other_tenants_never_see_a_learner(client: TestClient, keys: KeyRing,
                                           issued: dict[str, Any]) -> None:
    other = bearer(keys[OTHER_TENANT, Role.REVIEWER])
    assert client.get(f"/v1/learners/{LEARNER}/clr", headers=other).status_code == 404
    response = client.post(f"/v1/extractions/{issued['extraction']['id']}/credentials",
                           headers=other)
    assert response.status_code == 404
    assert response.json()["error"] == "ExtractionNotFound"


def test_an_extraction_without_a_learner_cannot_be_issued(client: TestClient,
                                                          reviewer: dict[str, str]) -> None:
    anonymous = {k: v for k, v in EXPERIENCE.items() if k != "learner_ref"}
    extraction = client.post("/v1/extractions", json=anonymous).json()
    response = client.post(f"/v1/extractions/{extraction['id']}/credentials", headers=reviewer)
    assert response.status_code == 422
    assert response.json()["error"] == "NothingToIssue"


def test_the_issuer_key_is_kept_between_starts(settings: Settings) -> None:
    path = settings.issuer_key_path
    assert path.exists() and (path.stat().st_mode & 0o777) == 0o600
    assert json.loads(path.read_text())["controller"].startswith("did:key:")
