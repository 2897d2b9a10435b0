"""Metric formulas against cases computed by hand."""

from __future__ import annotations

import math

import pytest

from service.evaluation import metrics
from service.evaluation.metrics import Counts


def test_label_counts_splits_hits_false_alarms_and_misses() -> None:
    counts = metrics.label_counts(predicted={"a", "b", "c"}, gold={"a", "d"})
    assert counts == {"a": Counts(tp=1), "b": Counts(fp=1), "c": Counts(fp=1),
                      "d": Counts(fn=1)}


def test_ignored_labels_count_neither_way() -> None:
    counts = metrics.label_counts(predicted={"a", "w"}, gold={"a", "w", "v"}, ignored={"w", "v"})
    assert counts == {"a": Counts(tp=1)}


def test_micro_pools_counts_and_macro_averages_each_labels_f1() -> None:
    # a: tp 1, fp 1 (P 1/2, R 1, F1 2/3); b: tp 1, fn 1 (P 1, R 1/2, F1 2/3)
    per_label = metrics.sum_label_counts([
        metrics.label_counts({"a", "b"}, {"a", "b"}),
        metrics.label_counts({"a"}, {"b"}),
    ])
    assert per_label == {"a": Counts(tp=1, fp=1), "b": Counts(tp=1, fn=1)}
    micro = metrics.micro(per_label)
    assert micro.precision == pytest.approx(2 / 3)
    assert micro.recall == pytest.approx(2 / 3)
    assert micro.f1 == pytest.approx(2 / 3)
    macro = metrics.macro(per_label)
    assert macro.precision == pytest.approx(0.75)
    assert macro.recall == pytest.approx(0.75)
    assert macro.f1 == pytest.approx(2 / 3)  # mean of per-label F1, not F1 of the means (0.75)


def test_scores_without_predictions_or_gold_are_zero() -> None:
    assert Counts(fn=3).scores() == metrics.Scores(0.0, 0.0, 0.0)
    assert Counts(fp=2).scores() == metrics.Scores(0.0, 0.0, 0.0)
    assert metrics.macro({}) == metrics.Scores(0.0, 0.0, 0.0)


def test_r_precision_divides_by_the_smaller_of_k_and_gold() -> None:
    ranked = ["x", "a", "y", "b", "z"]
    gold = {"a", "b", "c"}
    assert metrics.rp_at_k(ranked, gold, 1) == 0.0
    assert metrics.rp_at_k(ranked, gold, 2) == pytest.approx(1 / 2)
    assert metrics.rp_at_k(ranked, gold, 5) == pytest.approx(2 / 3)
    assert metrics.rp_at_k(ranked, gold, 10) == pytest.approx(2 / 3)
    assert metrics.rp_at_k(["a"], {"a"}, 5) == 1.0
    with pytest.raises(ValueError, match="gold"):
        metrics.rp_at_k(ranked, set(), 5)


def test_reciprocal_rank_of_first_gold_hit() -> None:
    assert metrics.reciprocal_rank(["x", "a", "b"], {"a", "b"}) == pytest.approx(0.5)
    assert metrics.reciprocal_rank(["b"], {"a", "b"}) == 1.0
    assert metrics.reciprocal_rank(["x", "y"], {"a"}) == 0.0


def test_ndcg_with_binary_relevance() -> None:
    dcg = 1 / math.log2(3) + 1 / math.log2(4)
    ideal = 1 + 1 / math.log2(3)
    assert metrics.ndcg_at_k(["x", "a", "b"], {"a", "b"}, 3) == pytest.approx(dcg / ideal)
    assert metrics.ndcg_at_k(["a", "b", "x"], {"a", "b"}, 3) == pytest.approx(1.0)
    assert metrics.ndcg_at_k(["x", "y", "a"], {"a"}, 2) == 0.0


def test_expected_calibration_error_over_ten_bins() -> None:
    # bin 0: score .05, 0 of 1 gold; bin 1: .15, 1 of 1; bin 9: .95 twice, 1 of 2
    result = metrics.calibration([0.05, 0.15, 0.95, 0.95], [False, True, True, False])
    assert result.ece == pytest.approx(0.25 * 0.05 + 0.25 * 0.85 + 0.5 * 0.45)
    assert [b.count for b in result.bins] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 2]
    assert result.bins[9].mean_score == pytest.approx(0.95)
    assert result.bins[9].accuracy == pytest.approx(0.5)
    assert result.bins[5].accuracy is None
    assert (result.bins[3].lower, result.bins[3].upper) == pytest.approx((0.3, 0.4))


def test_calibration_bin_edges() -> None:
    result = metrics.calibration([0.1, 1.0, 0.0], [True, True, False])
    assert result.bins[1].count == 1  # 0.1 opens the second bin
    assert result.bins[9].count == 1  # 1.0 closes the last bin
    assert result.bins[0].count == 1
    assert metrics.calibration([], []).ece is None


def test_pr_curve_counts_unscored_gold_in_recall() -> None:
    points = metrics.pr_curve([0.9, 0.8, 0.3], [True, False, True], n_positive=4,
                              thresholds=[0.0, 0.5, 0.95])
    flat = [v for p in points for v in (p.precision, p.recall, p.predicted)]
    assert flat == pytest.approx([2 / 3, 0.5, 3, 0.5, 0.25, 2, 1.0, 0.0, 0])


def test_average_precision_steps_through_distinct_thresholds() -> None:
    # thresholds .9 (P 1, R .25), .8 (P .5, R .25), .3 (P 2/3, R .5)
    ap = metrics.average_precision([0.9, 0.8, 0.3], [True, False, True], n_positive=4)
    assert ap == pytest.approx(0.25 * 1 + 0.25 * 2 / 3)
    assert metrics.average_precision([0.5, 0.5], [True, False], 1) == pytest.approx(0.5)
    assert metrics.average_precision([0.5], [False], 0) == 0.0


def test_quality_agreement() -> None:
    result = metrics.quality_agreement([1, 2, 3, 4], [1, 3, 1, 4])
    assert (result.exact, result.within_one, result.mean_absolute_error) == pytest.approx(
        (0.5, 0.75, 0.75))
    with pytest.raises(ValueError):
        metrics.quality_agreement([], [])
