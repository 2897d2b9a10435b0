"""Metric formulas: pure functions over labels, rankings and scores.

Conventions, so that every number can be recomputed by hand:
- a ratio whose denominator is zero is 0 (precision with no predictions, recall with no gold),
  except the precision of an empty prediction set on a PR curve, which is 1 (as scikit-learn);
- macro averages run over the labels seen in the gold or the predictions of the slice;
- rankings are lists of label keys, best first; a gold label missing from the list was not found.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

Label = TypeVar("Label", bound=Hashable)


@dataclass(frozen=True, slots=True)
class Scores:
    """Precision, recall and F1."""

    precision: float
    recall: float
    f1: float


@dataclass(frozen=True, slots=True)
class Counts:
    """True positives, false positives and false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __add__(self, other: Counts) -> Counts:
        return Counts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)

    def scores(self) -> Scores:
        """P, R and F1 of these counts."""
        precision = _ratio(self.tp, self.tp + self.fp)
        recall = _ratio(self.tp, self.tp + self.fn)
        return Scores(precision, recall, _ratio(2 * precision * recall, precision + recall))


def label_counts(predicted: Collection[str], gold: Collection[str],
                 ignored: Collection[str] = ()) -> dict[str, Counts]:
    """Per-label counts for one example; ``ignored`` labels count neither way (lenient gold)."""
    pred = set(predicted) - set(ignored)
    true = set(gold) - set(ignored)
    counts = {label: Counts(tp=1) for label in pred & true}
    counts |= {label: Counts(fp=1) for label in pred - true}
    counts |= {label: Counts(fn=1) for label in true - pred}
    return counts


def sum_label_counts(examples: Iterable[Mapping[str, Counts]]) -> dict[str, Counts]:
    """Per-label counts summed over examples."""
    total: dict[str, Counts] = defaultdict(Counts)
    for example in examples:
        for label, counts in example.items():
            total[label] += counts
    return dict(total)


def micro(per_label: Mapping[str, Counts]) -> Scores:
    """Scores of the pooled counts."""
    return sum(per_label.values(), Counts()).scores()


def macro(per_label: Mapping[str, Counts]) -> Scores:
    """Unweighted mean of each label's precision, recall and F1."""
    if not per_label:
        return Scores(0.0, 0.0, 0.0)
    scores = [c.scores() for c in per_label.values()]
    n = len(scores)
    return Scores(sum(s.precision for s in scores) / n, sum(s.recall for s in scores) / n,
                  sum(s.f1 for s in scores) / n)


def rp_at_k(ranked: Sequence[Label], gold: Collection[Label], k: int) -> float:
    """R-precision at k: gold labels in the top k over min(k, number of gold labels)."""
    if not gold:
        raise ValueError("rp_at_k needs at least one gold label")
    return len(set(ranked[:k]) & set(gold)) / min(k, len(gold))


def reciprocal_rank(ranked: Sequence[Label], gold: Collection[Label]) -> float:
    """1 / rank of the first gold label, 0 when none is ranked."""
    return next((1.0 / rank for rank, label in enumerate(ranked, 1) if label in gold), 0.0)


def ndcg_at_k(ranked: Sequence[Label], gold: Collection[Label], k: int) -> float:
    """Normalised discounted cumulative gain at k with binary relevance."""
    if not gold:
        raise ValueError("ndcg_at_k needs at least one gold label")
    dcg = sum(1.0 / math.log2(i + 2) for i, label in enumerate(ranked[:k]) if label in gold)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, len(gold))))
    return dcg / ideal


@dataclass(frozen=True, slots=True)
class ReliabilityBin:
    """One bin of a reliability diagram; mean score and accuracy are None when it is empty."""

    lower: float
    upper: float
    count: int
    mean_score: float | None
    accuracy: float | None


@dataclass(frozen=True, slots=True)
class Calibration:
    """Expected calibration error and the bins it was computed from."""

    ece: float | None
    n: int
    bins: list[ReliabilityBin]


RELIABILITY_BINS = 10  # equal-width bins of a reliability diagram and its ECE


def calibration(scores: Sequence[float], outcomes: Sequence[bool],
                n_bins: int = RELIABILITY_BINS) -> Calibration:
    """ECE over equal-width bins of [0, 1]: sum of |accuracy - mean score| weighted by bin size.

    Bins are half-open [lower, upper) except the last, which includes 1.0.
    """
    if len(scores) != len(outcomes):
        raise ValueError("scores and outcomes differ in length")
    members: list[list[int]] = [[] for _ in range(n_bins)]
    for i, score in enumerate(scores):
        members[min(int(score * n_bins), n_bins - 1)].append(i)
    bins, ece = [], 0.0
    for b, rows in enumerate(members):
        mean = sum(scores[i] for i in rows) / len(rows) if rows else None
        accuracy = sum(outcomes[i] for i in rows) / len(rows) if rows else None
        if mean is not None and accuracy is not None:
            ece += len(rows) / len(scores) * abs(accuracy - mean)
        bins.append(ReliabilityBin(b / n_bins, (b + 1) / n_bins, len(rows), mean, accuracy))
    return Calibration(ece if scores else None, len(scores), bins)


@dataclass(frozen=True, slots=True)
class PRPoint:
    """Precision and recall when everything scoring at least ``threshold`` is predicted."""

    threshold: float
    precision: float
    recall: float
    predicted: int


def pr_curve(scores: Sequence[float], outcomes: Sequence[bool], n_positive: int,
             thresholds: Iterable[float]) -> list[PRPoint]:
    """One point per threshold; ``n_positive`` counts gold labels that were never scored too."""
    points = []
    for threshold in thresholds:
        chosen = [o for s, o in zip(scores, outcomes, strict=True) if s >= threshold]
        tp = sum(chosen)
        precision = tp / len(chosen) if chosen else 1.0
        points.append(PRPoint(threshold, precision, _ratio(tp, n_positive), len(chosen)))
    return points


def average_precision(scores: Sequence[float], outcomes: Sequence[bool], n_positive: int) -> float:
    """Sum over distinct thresholds of (recall gained) x precision; unscored golds add nothing."""
    if n_positive == 0:
        return 0.0
    points = pr_curve(scores, outcomes, n_positive, sorted(set(scores), reverse=True))
    ap, recall = 0.0, 0.0
    for point in points:
        ap += (point.recall - recall) * point.precision
        recall = point.recall
    return ap


@dataclass(frozen=True, slots=True)
class QualityAgreement:
    """Agreement of predicted and gold ratings on a 1-4 scale."""

    n: int
    exact: float
    within_one: float
    mean_absolute_error: float


def quality_agreement(gold: Sequence[int], predicted: Sequence[int]) -> QualityAgreement:
    """Exact and within-one accuracy and mean absolute error."""
    if len(gold) != len(predicted) or not gold:
        raise ValueError("quality_agreement needs equally long, non-empty rating lists")
    errors = [abs(g - p) for g, p in zip(gold, predicted, strict=True)]
    n = len(errors)
    return QualityAgreement(n, sum(e == 0 for e in errors) / n, sum(e <= 1 for e in errors) / n,
                            sum(errors) / n)


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else 0.0
