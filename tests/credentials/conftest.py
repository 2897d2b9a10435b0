"""Fixtures: an issuer key and a realistic Open Badges 3.0 skill credential."""

from typing import Any

import pytest

from service.credentials.document_loader import CREDENTIALS_V2_URL, OB_V3P0_CONTEXT_URL
from service.credentials.keys import IssuerKey


@pytest.fixture
def issuer_key() -> IssuerKey:
    """A fresh Ed25519 issuer key."""
    return IssuerKey.generate()


@pytest.fixture
def skill_credential(issuer_key: IssuerKey) -> dict[str, Any]:
    """An unsigned OpenBadgeCredential asserting a skill extracted from a learner's experience."""
    return {
        "@context": [CREDENTIALS_V2_URL, OB_V3P0_CONTEXT_URL],
        "id": "urn:uuid:2f5b1b0e-7d3c-4a4e-9a43-3c1f0f6b8f21",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {
            "id": issuer_key.did,
            "type": ["Profile"],
            "name": "Skills Service Example Issuer",
        },
        "validFrom": "2025-03-01T09:00:00Z",
        "name": "Data analysis with SQL",
        "credentialSubject": {
            "id": "did:example:learner-4821",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://skills.example.org/achievements/sql-data-analysis",
                "type": ["Achievement"],
                "achievementType": "Competency",
                "name": "Data analysis with SQL",
                "description": "Writes SQL queries that join, filter and aggregate data.",
                "criteria": {
                    "narrative": "Built weekly sales reports from the order database "
                    "with joins and window functions."
                },
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": "Use SQL to query databases",
                        "targetUrl": "https://taxonomy.example.org/esco/skill/use-sql",
                        "targetFramework": "ESCO",
                        "targetType": "ext:ESCOSkill",
                    }
                ],
            },
        },
    }
