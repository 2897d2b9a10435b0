"""ESCO through the API: the hybrid retrieval the ESCO benchmark measures, with the real model."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from service.domain.experience import Experience
from service.evaluation.decorte import HybridRanker
from service.pipeline.hybrid import HybridSkillIndex
from service.pipeline.retrieve import Match, SentenceQueries
from service.runtime import Runtime
from tests.experiences import LIBRARY_INTERNSHIP


def _runtime(client: TestClient) -> Runtime:
    runtime: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
    return runtime


def test_an_esco_extraction_names_the_literal_skill_with_its_evidence(
        client: TestClient) -> None:
    body: dict[str, Any] = {**LIBRARY_INTERNSHIP, "options": {"taxonomies": ["esco"]}}
    response = client.post("/v1/extractions", json=body)
    assert response.status_code == 201, response.text
    result = response.json()
    assert result["pipeline_version"] == "1.11.0"
    sql = next(a for a in result["assertions"] if a["skill"]["label"] == "SQL")
    assert sql["skill"]["framework"] == "esco"
    texts = {"narrative": body["narrative"], "evidence[0]": body["evidence"][0]["text"]}
    assert {s["source"] for s in sql["evidence_spans"]} == set(texts)
    for span in sql["evidence_spans"]:
        assert texts[span["source"]][span["start"]:span["end"]] == span["text"]
        assert "SQL" in span["text"] and 0.25 <= span["similarity"] <= 1


def test_the_api_and_the_benchmark_rank_with_one_component(client: TestClient) -> None:
    runtime = _runtime(client)
    index = runtime.indexes["esco"]
    assert isinstance(index, HybridSkillIndex)
    assert not isinstance(runtime.indexes["america-succeeds"], HybridSkillIndex)
    benchmark = HybridRanker(runtime.encoder, index.scorer)
    recorded = runtime.pipeline.components["retrieve_hybrid"]
    assert recorded == f"{runtime.pipeline.hybrid.name}.v{runtime.pipeline.hybrid.version}+" \
                      f"{benchmark.name}"
    labels = [item.label for item in index.taxonomy.items]
    top = benchmark.rank(["Solid experience with Java and SQL"])[0].labels[:2]
    assert {labels[i] for i in top} == {"SQL", "Java (computer programming)"}


def test_literal_names_the_dense_index_misses_become_candidates(client: TestClient) -> None:
    runtime = _runtime(client)
    pipeline, hybrid = runtime.pipeline, runtime.indexes["esco"]
    assert isinstance(hybrid, HybridSkillIndex)
    experience = Experience.model_validate(LIBRARY_INTERNSHIP)
    segments = pipeline.segment(experience)
    texts = [s.text for s in segments]
    queries = SentenceQueries.split(texts, runtime.encoder.embed(pipeline.texts_to_embed(segments)))
    listing = next(n for n, text in enumerate(texts) if "SQL queries and Java" in text)

    def found(matches: list[Match]) -> set[str]:
        return {m.item.label for m in matches if m.segment == listing}

    # Searched by its clauses, the dense index finds "SQL" in "I wrote SQL queries"; the
    # vector of "Java services for the book reservation system" lands among books and
    # reservations, and only the hybrid score's lexical view keeps Java
    by_hybrid = found(pipeline.hybrid.retrieve(queries, hybrid))
    by_dense = found(pipeline.retriever.retrieve(queries, hybrid.dense))
    assert {"SQL", "Java (computer programming)"} <= by_hybrid
    assert "SQL" in by_dense and "Java (computer programming)" not in by_dense
