"""Hybrid retrieval over a small framework, with the real model: names a sentence lists win."""

from __future__ import annotations

import numpy as np
import pytest

from service.domain.experience import Experience
from service.domain.taxonomy import SkillItem, SkillType, Taxonomy
from service.inference.encoder import SentenceEncoder
from service.pipeline.hybrid import HybridRetriever, HybridScorer, HybridSkillIndex
from service.pipeline.pipeline import ExtractionPipeline
from service.pipeline.retrieve import SentenceQueries
from service.runtime import load_encoder
from service.taxonomy.index import FaissSkillIndex, hybrid_index
from tests.conftest import make_settings

SKILLS = [("Java (computer programming)", "Program software in Java.", ("Java EE",)),
          ("JavaScript", "Program web pages in JavaScript.", ()),
          ("SQL", "The query language of relational databases.", ("SEQUEL",)),
          ("manage staff", "Direct and motivate employees.", ("direct employees",)),
          ("coffee roasting", "", ()),
          ("use spreadsheets software", "Work with tabular data in spreadsheets.", ())]


@pytest.fixture(scope="module")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> SentenceEncoder:
    return load_encoder(make_settings(tmp_path_factory.mktemp("var")))


@pytest.fixture(scope="module")
def index(encoder: SentenceEncoder) -> HybridSkillIndex:
    items = tuple(SkillItem(identifier=f"s{n}", code=f"S{n}", label=label, description=text,
                            keywords=alternatives[:1], uri=f"urn:s{n}",
                            alternative_labels=alternatives)
                  for n, (label, text, alternatives) in enumerate(SKILLS))
    taxonomy = Taxonomy(id="tiny", title="Tiny", version="1", skill_type=SkillType.TECHNICAL,
                        default=False, content_hash="sha256:0", items=items)
    return hybrid_index(FaissSkillIndex.build(taxonomy, encoder))


def test_each_named_skill_is_kept_with_a_cosine_as_its_similarity(
        encoder: SentenceEncoder, index: HybridSkillIndex) -> None:
    sentence = "I wrote SQL queries and Java services"
    queries = SentenceQueries.embed([sentence], encoder)
    assert len(queries.clause_vectors) == 2  # "I wrote SQL queries", "Java services"
    matches = HybridRetriever(per_segment=2).retrieve(queries, index)
    assert [m.item.label for m in matches] == ["SQL", "Java (computer programming)"]
    texts = encoder.embed([sentence, "I wrote SQL queries", "Java services"])
    for match in matches:  # the best cosine of the sentence or a clause with the name, or of
        name, described = encoder.embed([match.item.label,  # the sentence with name + description
                                         f"{match.item.label}: {match.item.description}"])
        best = max(*(texts @ name), texts[0] @ described)
        assert match.similarity == pytest.approx(best, abs=1e-5)
        assert match.facet in {"label", "description"}


def test_alternative_labels_count_as_words(encoder: SentenceEncoder,
                                           index: HybridSkillIndex) -> None:
    queries = SentenceQueries.embed(["I had to direct employees on the night shift"], encoder)
    scores = index.scorer.score(queries)
    manage = 3  # "direct employees" is one of its alternative labels
    others = np.delete(scores.combined[0], manage)
    assert scores.combined[0, manage] > others.max() + 0.1


def test_the_pipeline_embeds_each_segment_then_its_clauses(
        encoder: SentenceEncoder, index: HybridSkillIndex) -> None:
    pipeline = ExtractionPipeline()
    experience = Experience.model_validate(
        {"category": "employment", "narrative": "I wrote SQL queries and Java services."})
    segments = pipeline.segment(experience)
    texts = pipeline.texts_to_embed(segments)
    assert texts == [segments[0].text, "I wrote SQL queries", "Java services."]
    with pytest.raises(ValueError, match="embed the clauses too"):
        SentenceQueries.split([segments[0].text], encoder.embed([segments[0].text]))
    result = pipeline.run(experience, encoder, [index])
    assert result.components["retrieve_hybrid"] == (
        "retrieve.hybrid.v1+hybrid.clauses-description-lexical.v1")
    # the names the lexical view matched are recorded (alternative labels ship outside the
    # package's content hash); a dense-only result records none
    assert result.components["names:tiny"] == f"sha256:{index.scorer.names_digest}"
    assert not any(k.startswith("names:")
                   for k in pipeline.run(experience, encoder, [index.dense]).components)
    found = {a.skill.label: a for a in result.assertions}
    assert {"SQL", "Java (computer programming)"} <= set(found)
    span = found["SQL"].evidence_spans[0]
    assert experience.narrative[span.start:span.end] == span.text
    assert 0.25 <= span.similarity <= 1


def test_the_names_digest_changes_with_any_alternative_label(encoder: SentenceEncoder) -> None:
    vectors = encoder.embed(["SQL", "Java"])

    def digest(alternatives: list[list[str]]) -> str:
        return HybridScorer.fit(["SQL", "Java"], alternatives, vectors, vectors).names_digest

    assert digest([["SEQUEL"], []]) == digest([["SEQUEL"], []])
    assert len({digest([["SEQUEL"], []]), digest([["SEQUEL", "T-SQL"], []]),
                digest([[], ["SEQUEL"]])}) == 3


def test_a_scorer_of_another_length_is_refused(encoder: SentenceEncoder,
                                              index: HybridSkillIndex) -> None:
    vectors = encoder.embed(["SQL"])
    with pytest.raises(ValueError, match="differ in length"):
        HybridSkillIndex(index.dense, HybridScorer.fit(["SQL"], [[]], vectors, vectors))
