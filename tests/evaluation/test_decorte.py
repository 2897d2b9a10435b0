"""The ESCO sentence benchmark: protocol on a hand-made set, and the baseline on real data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from service.evaluation import decorte
from service.evaluation.service import evaluate_decorte
from tests.conftest import SHARED, make_settings

DATA = SHARED / "data" / "decorte"

CSV = """sentence,span,sub_span,label
we use python daily,python,,Python (computer programming)
we use python daily,daily,,LABEL NOT PRESENT
lead a small team,lead,,lead a team
lead a small team,team,,manage staff
be enthusiastic,enthusiastic,,UNDERSPECIFIED
"""
LABELS = ["Python (computer programming)", "lead a team", "manage staff", "use Java"]


def test_sentences_are_grouped_and_unknown_labels_dropped(tmp_path: Path) -> None:
    path = tmp_path / "set.csv"
    path.write_text(CSV)
    bench = decorte.load_set("tiny", path, LABELS)
    assert bench.sentences == ["we use python daily", "lead a small team"]
    assert bench.gold == [frozenset({0}), frozenset({1, 2})]
    assert decorte.load_set("tiny", path, LABELS, limit=1).sentences == ["we use python daily"]


def test_scores_follow_the_protocol() -> None:
    bench = decorte.BenchmarkSet("tiny", ["s1", "s2"], [frozenset({0}), frozenset({1, 2})])
    rankings = [  # s1: gold first; s2: gold at ranks 2 and 4
        decorte.Ranking(np.array([0, 3, 1, 2]), np.zeros(4, dtype=np.float32)),
        decorte.Ranking(np.array([3, 1, 0, 2]), np.zeros(4, dtype=np.float32)),
    ]
    scores = decorte.score_rankings(rankings, bench)
    assert scores.rp_at_1 == pytest.approx((1 + 0) / 2)
    assert scores.rp_at_5 == pytest.approx((1 + 1) / 2)  # 2 of min(5, 2)
    assert scores.mrr == pytest.approx((1 + 1 / 2) / 2)
    assert (scores.n_sentences, scores.n_gold) == (2, 3)


@pytest.mark.skipif(not (DATA / decorte.LABELS_FILE).exists(),
                    reason=f"the benchmark data is not at {DATA} (it lives in ../shared)")
def test_baseline_on_twenty_sentences(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    result = evaluate_decorte(settings, DATA, tmp_path / "out", limit=20, progress=False)
    assert result.run.n_labels == 13_896
    assert result.run.ranker == "bi-encoder.nearest-label.v1"
    for scores in result.sets.values():
        assert scores.n_sentences == 20
        assert 0 < scores.rp_at_1 <= scores.mrr <= 1  # a top-1 hit is a reciprocal rank of 1
        assert 0 < scores.rp_at_5 <= 1 and 0 < scores.rp_at_10 <= 1
    lines = (tmp_path / "out" / "predictions.jsonl").read_text().splitlines()
    assert len(lines) == 40 and len(json.loads(lines[0])["top10"]) == 10
    again = evaluate_decorte(settings, DATA, tmp_path / "again", limit=20, progress=False)
    assert again.run.label_vectors == "cache"  # keyed by model and label-file hash
    assert again.sets == result.sets
