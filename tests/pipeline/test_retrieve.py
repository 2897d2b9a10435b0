"""Dense retrieval searches each sentence and its clauses; a clause's match counts for its
sentence. The index is a stand-in that answers per query row (the logic under test is how
rows map back to sentences); the real model and index are exercised in tests/api."""

from __future__ import annotations

import numpy as np

from service.domain.taxonomy import SkillItem, SkillType, Taxonomy
from service.pipeline.embed import Vectors
from service.pipeline.retrieve import CandidateRetriever, SentenceQueries

ITEMS = tuple(SkillItem(identifier=f"s{n}", code=f"S{n}", label=label, description="",
                        keywords=(), uri=f"urn:s{n}")
              for n, label in enumerate(("budgeting", "event planning", "public speaking")))
TAXONOMY = Taxonomy(id="tiny", title="Tiny", version="1", skill_type=SkillType.DURABLE,
                    default=False, content_hash="sha256:0", items=ITEMS)


class RowIndex:
    """Answers query row r with ``hits[r]``, and records the rows it was asked."""

    def __init__(self, hits: list[list[tuple[int, float]]]) -> None:
        self.hits = hits
        self.rows = 0

    @property
    def taxonomy(self) -> Taxonomy:
        return TAXONOMY

    def search(self, queries: Vectors, k: int) -> list[list[tuple[SkillItem, float, str]]]:
        self.rows = len(queries)
        return [[(ITEMS[i], sim, "label") for i, sim in row[:k]] for row in self.hits]


def _queries() -> SentenceQueries:
    sentences = ["I booked the venue and kept the budget.", "I gave the opening talk."]
    # rows: sentence 0, sentence 1, then sentence 0's two clauses
    return SentenceQueries.split(sentences, np.eye(4, dtype=np.float32)[:, :4])


def test_a_clause_match_counts_for_its_sentence_with_the_best_similarity() -> None:
    queries = _queries()
    assert list(queries.clause_owners) == [0, 0]
    index = RowIndex([
        [(1, 0.40)],  # sentence 0 as a whole: a blur, event planning at 0.40
        [(2, 0.70)],  # sentence 1: public speaking
        [(1, 0.62), (0, 0.20)],  # "I booked the venue": event planning, budgeting below floor
        [(0, 0.66), (1, 0.30)],  # "kept the budget.": budgeting
    ])
    matches = CandidateRetriever(floor=0.25).retrieve(queries, index)
    assert index.rows == 4  # one search for the sentences and their clauses
    found = {(m.segment, m.item.label): m.similarity for m in matches}
    assert found == {(0, "event planning"): 0.62, (0, "budgeting"): 0.66,
                     (1, "public speaking"): 0.70}
    assert len(matches) == len(found)  # one match per sentence and skill


def test_no_sentences_no_matches() -> None:
    empty = SentenceQueries.split([], np.zeros((0, 4), dtype=np.float32))
    assert CandidateRetriever().retrieve(empty, RowIndex([])) == []
