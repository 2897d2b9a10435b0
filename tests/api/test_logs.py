"""Logs are structured JSON and never carry learner text."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.experiences import FOOD_DRIVE


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything the service logs during a test, rendered by the service's own formatter."""
    root = logging.getLogger()
    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setFormatter(root.handlers[0].formatter)
    root.addHandler(handler)
    yield buffer
    root.removeHandler(handler)


def test_extraction_logs_ids_and_counts_but_no_text(client: TestClient,
                                                    log_output: io.StringIO) -> None:
    response = client.post("/v1/extractions", json=FOOD_DRIVE)
    bad = client.post("/v1/extractions", json={**FOOD_DRIVE, "category": "unknown-kind"})
    assert response.status_code == 201 and bad.status_code == 422
    err = log_output.getvalue()
    events = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    completed = [e for e in events if e.get("event") == "extraction.completed"]
    assert completed and completed[-1]["extraction_id"] == response.json()["id"]
    assert completed[-1]["assertions"] == len(response.json()["assertions"])
    texts = [FOOD_DRIVE["narrative"], FOOD_DRIVE["title"], FOOD_DRIVE["organization"]["name"],
             *(e["text"] for e in FOOD_DRIVE["evidence"]), "Alvarez", "Maya"]
    for text in texts:
        for fragment in (text[:25], text[-25:]):
            assert fragment not in err
