"""The ESCO sentence benchmark: protocol on a hand-made set, and the baseline on real data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from service.evaluation import decorte
from service.evaluation.service import evaluate_decorte
from service.pipeline.hybrid import HybridScorer
from service.runtime import load_encoder
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


def test_gains_carry_a_paired_interval_over_sentences() -> None:
    baseline = np.array([[0.0, 1.0, 1.0, 0.5]] * 30)
    better = baseline + np.array([1.0, 0.0, 0.0, 0.5])  # RP@1 and MRR up on every sentence
    mixed = baseline.copy()
    mixed[::2, 2] -= 0.5  # RP@10 down on every other sentence
    mixed[1::2, 2] += 0.5 - 1e-9  # and up on the others, by a hair less
    spread = decorte.gain_intervals(better, baseline)
    assert set(spread) == set(decorte.METRICS)
    assert (spread["rp_at_1"].estimate, spread["rp_at_1"].low, spread["rp_at_1"].high) == (
        pytest.approx(1.0), pytest.approx(1.0), pytest.approx(1.0))
    assert spread["rp_at_5"].low == spread["rp_at_5"].high == 0.0
    mixed_spread = decorte.gain_intervals(mixed, baseline)["rp_at_10"]
    assert mixed_spread.low < -0.1 < 0.1 < mixed_spread.high  # no gain to speak of, either way
    assert mixed_spread.estimate == pytest.approx(0.0, abs=1e-6)


@pytest.mark.skipif(not (DATA / decorte.LABELS_FILE).exists(),
                    reason=f"the benchmark data is not at {DATA} (it lives in ../shared)")
def test_both_rankers_on_twenty_sentences(tmp_path: Path) -> None:
    """Baseline and hybrid in one run (labels only here: embedding every ESCO description
    takes minutes; `make eval` runs the full benchmark with them)."""
    settings = make_settings(tmp_path)
    result = evaluate_decorte(settings, DATA, tmp_path / "out", limit=20, progress=False,
                              esco_csv=tmp_path / "absent.csv")
    assert result.run.n_labels == 13_896
    assert result.run.baseline_ranker == "bi-encoder.nearest-label.v1"
    assert result.run.ranker == "hybrid.clauses-description-lexical.v1"
    assert (result.run.esco_texts, result.run.esco_matched) == ("labels-only", 0)
    # The API's ESCO retrieval, ranked in the same run: the same component over the package.
    assert result.run.product_ranker == result.run.ranker
    assert (result.run.product_taxonomy or "").startswith("esco@1.0.0 sha256:")
    assert result.run.product_labels_covered == 13_231
    for sets in (result.sets, result.baseline, result.product):
        for scores in sets.values():
            assert scores.n_sentences == 20
            assert 0 < scores.rp_at_1 <= scores.mrr <= 1  # a top-1 hit is a reciprocal rank of 1
            assert 0 < scores.rp_at_5 <= 1 and 0 < scores.rp_at_10 <= 1
    for name, gain in result.gain.items():
        assert gain["rp_at_5"] == pytest.approx(
            result.sets[name].rp_at_5 - result.baseline[name].rp_at_5, abs=1e-4)
        interval = result.gain_intervals[name]["rp_at_5"]
        assert interval.estimate == pytest.approx(gain["rp_at_5"], abs=1e-4)
        assert interval.low <= interval.estimate <= interval.high
    lines = (tmp_path / "out" / "predictions.jsonl").read_text().splitlines()
    first = json.loads(lines[0])
    assert len(lines) == 40
    assert len(first["top10"]) == len(first["baseline_top10"]) == len(first["product_top10"]) == 10
    # each sentence keeps its own scores, whose means are the set's
    for name, scores in result.sets.items():
        mine = [json.loads(line)["scores"] for line in lines if json.loads(line)["set"] == name]
        assert sum(s["rp_at_5"] for s in mine) / len(mine) == pytest.approx(scores.rp_at_5)
        assert sum(s["mrr"] for s in mine) / len(mine) == pytest.approx(scores.mrr)
    again = evaluate_decorte(settings, DATA, tmp_path / "again", limit=20, progress=False,
                             esco_csv=tmp_path / "absent.csv", taxonomy=None)
    assert again.run.label_vectors == "cache"  # keyed by model and the labels
    assert again.sets == result.sets and again.baseline == result.baseline
    assert again.product == {} and again.run.product_ranker is None


def test_label_texts_come_from_the_esco_file(tmp_path: Path) -> None:
    esco = tmp_path / "esco.csv"
    esco.write_text("uri,preferred_label,alt_labels,description,hierarchy,full_text\n"
                    "u1,lead a team,head a team|direct a team,Guide a group of people.,[],x\n")
    texts = decorte.label_texts(["lead a team", "use Java"], esco)
    assert texts.descriptions == ["Guide a group of people.", "use Java"]
    assert texts.alternatives == [["head a team", "direct a team"], []]
    assert texts.matched == 1 and texts.source.startswith("sha256:")
    assert decorte.label_texts(["use Java"], tmp_path / "absent.csv").source == "labels-only"


def test_hybrid_ranker_finds_each_skill_a_sentence_lists(tmp_path: Path) -> None:
    """The literal names and the clauses: every listed skill ranks above the distractors."""
    labels = ["Java (computer programming)", "JavaScript", "SQL", "Python (computer programming)",
              "manage staff", "coffee roasting", "use spreadsheets software", "C++"]
    encoder = load_encoder(make_settings(tmp_path))
    vectors = encoder.embed(labels)
    ranker = decorte.HybridRanker(encoder, HybridScorer.fit(labels, [[] for _ in labels],
                                                            vectors, vectors))
    baseline = decorte.BiEncoderRanker(encoder, vectors)
    sentence = "Solid experience with Java and SQL, ideally also Python"
    wanted = {0, 2, 3}
    ranking = ranker.rank([sentence])[0]
    assert set(ranking.labels[:3].tolist()) == wanted
    assert len(ranking.labels) == len(baseline.rank([sentence])[0].labels) == len(labels)
    with pytest.raises(ValueError, match="differ in length"):
        HybridScorer.fit(labels, [[] for _ in labels], vectors, vectors[:2])


def _benchmark_run(directory: Path, scores: dict[str, list[float]], set_hash: str = "sha256:s"
                   ) -> Path:
    """A benchmark run directory with per-sentence scores (RP@1, RP@5, RP@10, RR) per set."""
    directory.mkdir()
    means = {name: dict(zip(decorte.METRICS, np.mean(rows, axis=0).tolist(), strict=True))
             for name, rows in scores.items()}
    (directory / "metrics.json").write_text(json.dumps({
        "run": {"benchmark": "decorte-esco-validation", "labels_hash": "sha256:l",
                "set_hashes": {"tech": set_hash}, "ranker": "r"},
        "sets": means, "baseline": means, "gain": {}}))
    (directory / "predictions.jsonl").write_text("".join(
        json.dumps({"set": name, "sentence": f"s{i}", "gold": [], "top10": [],
                    "scores": dict(zip(decorte.METRICS, row, strict=True)),
                    "baseline_scores": dict(zip(decorte.METRICS, row, strict=True))}) + "\n"
        for name, rows in scores.items() for i, row in enumerate(rows)))
    return directory


def test_compare_pairs_two_benchmark_runs_sentence_by_sentence(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from service.cli import main

    before = [[0.0, 0.5, 1.0, 0.5]] * 20 + [[1.0, 1.0, 1.0, 1.0]] * 20
    after = [[1.0, 0.5, 1.0, 1.0]] * 20 + [[1.0, 1.0, 1.0, 1.0]] * 20  # first half fixed at 1
    a = _benchmark_run(tmp_path / "a", {"tech": before})
    b = _benchmark_run(tmp_path / "b", {"tech": after})
    assert main(["eval", "compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "paired bootstrap over 40 tech sentences" in out
    row = next(line for line in out.splitlines() if line.startswith("tech.hybrid.rp_at_1 "))
    assert "+0.5000" in row and "100.0%" in row  # B better on every resample
    row = next(line for line in out.splitlines() if line.startswith("tech.hybrid.rp_at_10 "))
    assert "[+0.0000, +0.0000]" in row
    # other sentences, other files, or files without per-sentence scores: deltas only
    fewer = _benchmark_run(tmp_path / "fewer", {"tech": after[:10]})
    assert main(["eval", "compare", str(a), str(fewer)]) == 0
    assert "no paired interval: the runs ranked different sentences" in capsys.readouterr().out
    moved = _benchmark_run(tmp_path / "moved", {"tech": after}, set_hash="sha256:other")
    assert main(["eval", "compare", str(a), str(moved)]) == 0
    assert "the runs read different benchmark files" in capsys.readouterr().out
    old = tmp_path / "old"
    _benchmark_run(old, {"tech": after})
    (old / "predictions.jsonl").write_text("".join(
        json.dumps({"set": "tech", "sentence": f"s{i}"}) + "\n" for i in range(40)))
    assert main(["eval", "compare", str(a), str(old)]) == 0
    assert "has no per-sentence scores" in capsys.readouterr().out
