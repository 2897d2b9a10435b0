"""The HNSW graph that serves the full ESCO framework finds what exact search finds."""

from __future__ import annotations

import json

import pytest

from service.domain.experience import Experience
from service.pipeline.pipeline import ExtractionPipeline
from service.runtime import load_encoder
from service.settings import PROJECT_ROOT
from service.taxonomy.catalog import TaxonomyCatalog
from service.taxonomy.index import EXACT_LIMIT, FaissSkillIndex, IndexStore
from tests.conftest import make_settings

DEV = PROJECT_ROOT / "eval" / "datasets" / "experiences-v1" / "dev.jsonl"


@pytest.mark.slow
def test_hnsw_recall_at_10_against_exact_search(tmp_path) -> None:
    settings = make_settings(tmp_path)  # the shared index cache: ESCO is built once a session
    encoder = load_encoder(settings)
    esco = TaxonomyCatalog.from_directory(settings.taxonomies_dir).get("esco")
    graph, _ = IndexStore(settings.index_dir, encoder).load_or_build(esco)
    assert graph.size > EXACT_LIMIT and not graph.exact
    exact = FaissSkillIndex.from_vectors(esco, graph.rows, graph.vectors(), exact=True)

    pipeline = ExtractionPipeline()
    sentences = []
    for line in DEV.read_text().splitlines()[:40]:
        experience = Experience.model_validate(json.loads(line)["experience"])
        sentences += [s.text for s in pipeline.segment(experience)]
    queries = encoder.embed(sentences[:300])

    found = graph.search(queries, 10)
    truth = exact.search(queries, 10)
    recall = sum(len({i.identifier for i, _, _ in f} & {i.identifier for i, _, _ in t}) / 10
                 for f, t in zip(found, truth, strict=True)) / len(queries)
    assert recall >= 0.95, recall
