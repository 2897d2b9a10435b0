"""How far a run's numbers can be trusted: bootstrap intervals over experiences.

A labelled split of 120 experiences is a sample: another 120 written the same way would read a
different micro-F1. Resampling whole experiences with replacement (the unit that was written and
labelled together, so codes of one experience stay together) gives a percentile interval for
each headline metric. For two runs over the same experiences, the same resamples are read under
both runs and the interval is of their difference (a paired bootstrap): what the two runs share,
the easy and the hard experiences, cancels out, so a real improvement shows where two
overlapping unpaired intervals would hide it.

Every metric is recomputed from per-experience tallies with the formulas of ``metrics`` and
``summary`` (the full sample reproduces the run's own figures exactly), so a resample costs a
matrix product rather than a pass over the predictions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel

from service.domain.experience import ConfidenceLevel
from service.domain.quality import DIMENSIONS
from service.evaluation.dataset import Strength
from service.evaluation.metrics import RELIABILITY_BINS
from service.evaluation.runner import ExperiencePrediction

RESAMPLES = 2000
LEVEL = 0.95
SEED = 20261130
CONFIDENCE_LEVELS = tuple(level.value for level in ConfidenceLevel)  # low, medium, high

Array = npt.NDArray[np.float64]


class Interval(BaseModel):
    """A metric on the full sample and the percentile interval of its bootstrap resamples."""

    estimate: float
    low: float
    high: float


class CalibrationNoise(BaseModel):
    """The ECE over asserted codes read against the noise of a finite sample.

    A plug-in ECE reads above zero even for a perfectly calibrated model: each bin's hit rate is
    a sample, and ``|rate - mean score|`` turns its noise into error. Two readings say how much:

    * ``corrected``: the observed ECE less the bootstrap's estimate of that bias (the mean
      resampled ECE minus the observed), with the basic bootstrap interval (the percentile
      interval reflected about the estimate, ``2 ECE - q_high .. 2 ECE - q_low``), which does
      not inherit the percentile interval's upward shift. Clipped at 0.
    * ``calibrated_*``: the ECE that a perfectly calibrated model with exactly these scores
      reads when each asserted code is right with probability equal to its score (consistency
      resampling, Bröcker and Smith 2007): its mean, its upper percentile, and the share of such
      draws that read at least the observed ECE (near 0: the miscalibration is real; well
      above 0: sampling noise alone reads this much).
    """

    observed: float
    bias: float
    corrected: Interval
    calibrated_mean: float
    calibrated_high: float
    as_high_if_calibrated: float
    draws: int


class Intervals(BaseModel):
    """Bootstrap intervals of a run's headline metrics (``metrics.json`` → ``intervals``)."""

    unit: str = "experience"
    level: float
    resamples: int
    seed: int
    metrics: dict[str, Interval]
    # share of resamples in which the precision of high > medium > low holds (None when a level
    # was never asserted)
    confidence_ordered: float | None = None
    # how much of the asserted codes' ECE sampling noise alone accounts for (None when nothing
    # was asserted)
    ece_noise: CalibrationNoise | None = None


class PairedDelta(BaseModel):
    """One metric in two runs over the same experiences, and the interval of B − A."""

    metric: str
    a: float
    b: float
    delta: float
    low: float
    high: float
    b_better: float  # share of resamples in which B reads higher than A (lower, for ECE)


class ComparisonError(ValueError):
    """Two runs that cannot be paired; the message says why."""


@dataclass(frozen=True)
class Tally:
    """Per-experience counts from which every headline metric is recomputed.

    Rows are experiences. ``strict`` and ``lenient`` hold each label's tp, fp and fn
    (experiences × labels × 3); ``bins`` each reliability bin's asserted count, summed score
    and hits (experiences × bins × 3); ``levels`` each confidence level's asserted count and
    hits (experiences × levels × 2); ``quality`` whether each indicator was estimated
    exactly, NaN where it was not estimated.
    """

    ids: tuple[str, ...]
    labels: tuple[str, ...]
    strict: Array
    lenient: Array
    bins: Array
    levels: Array
    quality: Array

    @classmethod
    def of(cls, predictions: Sequence[ExperiencePrediction]) -> Tally:
        """Tally a run's predictions."""
        labels = sorted({g.key for p in predictions for g in p.gold}
                        | {c.key for p in predictions for c in p.candidates if c.asserted})
        column = {label: j for j, label in enumerate(labels)}
        n = len(predictions)
        strict, lenient = np.zeros((n, len(labels), 3)), np.zeros((n, len(labels), 3))
        bins, quality = np.zeros((n, RELIABILITY_BINS, 3)), np.full((n, len(DIMENSIONS)), np.nan)
        levels = np.zeros((n, len(CONFIDENCE_LEVELS), 2))
        for i, p in enumerate(predictions):
            gold = {g.key for g in p.gold}
            weak = {g.key for g in p.gold if g.strength is Strength.WEAK}
            asserted = [c for c in p.candidates if c.asserted]
            predicted = {c.key for c in asserted}
            for table, ignored in ((strict, set()), (lenient, weak)):
                pred, true = predicted - ignored, gold - ignored
                for key in pred & true:
                    table[i, column[key], 0] += 1
                for key in pred - true:
                    table[i, column[key], 1] += 1
                for key in true - pred:
                    table[i, column[key], 2] += 1
            for c in asserted:
                b = min(int(c.score * RELIABILITY_BINS), RELIABILITY_BINS - 1)
                bins[i, b] += (1.0, c.score, float(c.key in gold))
                if c.confidence is not None:
                    levels[i, c.confidence.rank] += (1.0, float(c.key in gold))
            if p.quality is not None:
                quality[i] = [float(getattr(p.quality, d) == getattr(p.gold_quality, d))
                              for d in DIMENSIONS]
        return cls(tuple(p.id for p in predictions), tuple(labels), strict, lenient, bins,
                   levels, quality)

    def frameworks(self) -> list[str]:
        """The frameworks of the labels, in order."""
        return sorted({label.split(":", 1)[0] for label in self.labels})

    def read(self, weights: Array) -> dict[str, Array]:
        """Every headline metric under each row of ``weights`` (resamples × experiences: how
        many times each experience is drawn); NaN where a resample leaves a metric undefined."""
        strict = np.einsum("rn,nlk->rlk", weights, self.strict)
        lenient = np.einsum("rn,nlk->rlk", weights, self.lenient)
        bins = np.einsum("rn,nbk->rbk", weights, self.bins)
        levels = np.einsum("rn,nlk->rlk", weights, self.levels)
        out = {"micro_precision": _precision(strict.sum(axis=1)),
               "micro_recall": _recall(strict.sum(axis=1)),
               "micro_f1": _f1(strict.sum(axis=1)),
               "macro_f1": _macro_f1(strict),
               "lenient_micro_f1": _f1(lenient.sum(axis=1)),
               "ece_asserted": _ece(bins)}
        for framework in self.frameworks():
            columns = [j for j, label in enumerate(self.labels)
                       if label.startswith(framework + ":")]
            out[f"micro_f1:{framework}"] = _f1(strict[:, columns].sum(axis=1))
        for j, level in enumerate(CONFIDENCE_LEVELS):
            asserted = levels[:, j, 0]
            out[f"precision_at:{level}"] = np.where(
                asserted > 0, levels[:, j, 1] / np.maximum(asserted, 1), np.nan)
        if not np.isnan(self.quality).all():
            for d, name in enumerate(DIMENSIONS):
                out[f"quality_exact:{name}"] = _mean_where_known(weights, self.quality[:, d])
        return out


# Metrics where lower is better: a paired comparison counts B as better when it reads lower.
LOWER_IS_BETTER = frozenset({"ece_asserted"})


def _ratio(numerator: Array, denominator: Array) -> Array:
    return np.divide(numerator, denominator, out=np.zeros_like(numerator),
                     where=denominator > 0)


def _precision(counts: Array) -> Array:
    return _ratio(counts[..., 0], counts[..., 0] + counts[..., 1])


def _recall(counts: Array) -> Array:
    return _ratio(counts[..., 0], counts[..., 0] + counts[..., 2])


def _f1(counts: Array) -> Array:
    # the harmonic mean of P and R as ``metrics.Counts.scores`` takes it
    precision, recall = _precision(counts), _recall(counts)
    return _ratio(2 * precision * recall, precision + recall)


def _macro_f1(per_label: Array) -> Array:
    """Mean F1 over the labels each resample sees in its gold or its assertions."""
    seen = per_label.sum(axis=2) > 0
    f1 = np.where(seen, _f1(per_label), 0.0)
    count = seen.sum(axis=1)
    return np.where(count > 0, f1.sum(axis=1) / np.maximum(count, 1), np.nan)


def _ece(bins: Array) -> Array:
    """Expected calibration error over the asserted codes of each resample."""
    count, scores, hits = bins[..., 0], bins[..., 1], bins[..., 2]
    total = count.sum(axis=1)
    gaps = np.abs(_ratio(hits, count) - _ratio(scores, count)) * count
    return np.where(total > 0, gaps.sum(axis=1) / np.maximum(total, 1), np.nan)


def _mean_where_known(weights: Array, values: Array) -> Array:
    known = ~np.isnan(values)
    drawn = weights[:, known].sum(axis=1)
    return np.where(drawn > 0, weights[:, known] @ values[known] / np.maximum(drawn, 1), np.nan)


def resample_weights(n: int, resamples: int, seed: int) -> Array:
    """How many times each of ``n`` experiences is drawn, in each resample (rows)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(resamples, n))
    weights = np.zeros((resamples, n))
    np.add.at(weights, (np.repeat(np.arange(resamples), n), draws.ravel()), 1.0)
    return weights


def _bounds(values: Array, level: float) -> tuple[float, float]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return float("nan"), float("nan")
    tail = (1.0 - level) / 2.0 * 100.0
    low, high = np.percentile(finite, [tail, 100.0 - tail])
    return float(low), float(high)


def intervals(predictions: Sequence[ExperiencePrediction], resamples: int = RESAMPLES,
              level: float = LEVEL, seed: int = SEED) -> Intervals:
    """Percentile bootstrap intervals of the headline metrics, resampling experiences."""
    tally = Tally.of(predictions)
    full = tally.read(np.ones((1, len(tally.ids))))
    drawn = tally.read(resample_weights(len(tally.ids), resamples, seed)) if tally.ids else {}
    metrics: dict[str, Interval] = {}
    for name, value in full.items():
        if not np.isfinite(value[0]):
            continue
        low, high = _bounds(drawn[name], level) if drawn else (value[0], value[0])
        metrics[name] = Interval(estimate=float(value[0]), low=low, high=high)
    noise = None
    if "ece_asserted" in metrics and drawn:
        scores = np.asarray([c.score for p in predictions for c in p.candidates if c.asserted])
        noise = calibration_noise(metrics["ece_asserted"].estimate, drawn["ece_asserted"],
                                  scores, level, seed)
    return Intervals(level=level, resamples=resamples, seed=seed, metrics=metrics,
                     confidence_ordered=_ordered_share(drawn) if drawn else None,
                     ece_noise=noise)


def calibrated_ece(scores: Array, draws: int, seed: int) -> Array:
    """The ECE of each of ``draws`` samples in which every code is right with probability equal
    to its score: what a perfectly calibrated model with these scores reads (same bins)."""
    if scores.size == 0:
        return np.full(draws, np.nan)
    bins = np.minimum((scores * RELIABILITY_BINS).astype(int), RELIABILITY_BINS - 1)
    members = np.zeros((scores.size, RELIABILITY_BINS))
    members[np.arange(scores.size), bins] = 1.0
    rng = np.random.default_rng(seed)
    hits = (rng.random((draws, scores.size)) < scores).astype(np.float64) @ members
    # per bin |hit rate - mean score| x count is |hits - summed score|
    return np.asarray(np.abs(hits - scores @ members).sum(axis=1) / scores.size)


def calibration_noise(observed: float, resampled: Array, scores: Array, level: float = LEVEL,
                      seed: int = SEED) -> CalibrationNoise:
    """``CalibrationNoise`` of an observed ECE, its bootstrap resamples and the asserted scores
    it was read from (the draws of a calibrated model are as many as the resamples)."""
    finite = resampled[np.isfinite(resampled)]
    bias = float(finite.mean()) - observed if finite.size else 0.0
    low, high = _bounds(resampled, level)
    corrected = Interval(estimate=max(0.0, observed - bias), low=max(0.0, 2 * observed - high),
                         high=max(0.0, 2 * observed - low))
    calibrated = calibrated_ece(scores, len(resampled), seed)
    _, calibrated_high = _bounds(calibrated, level)
    return CalibrationNoise(
        observed=observed, bias=bias, corrected=corrected,
        calibrated_mean=float(np.nanmean(calibrated)), calibrated_high=calibrated_high,
        as_high_if_calibrated=float(np.mean(calibrated >= observed - 1e-12)),
        draws=len(resampled))


def _ordered_share(drawn: dict[str, Array]) -> float | None:
    """Share of resamples whose precision rises strictly from low to medium to high; a
    resample without an assertion at some level counts as not ordered."""
    low, medium, high = (drawn[f"precision_at:{level}"] for level in CONFIDENCE_LEVELS)
    if np.isnan(low).all() or np.isnan(medium).all() or np.isnan(high).all():
        return None
    with np.errstate(invalid="ignore"):
        ordered = (low < medium) & (medium < high)
    return float(ordered.mean())


def paired(a: Sequence[ExperiencePrediction], b: Sequence[ExperiencePrediction],
           resamples: int = RESAMPLES, level: float = LEVEL, seed: int = SEED,
           keep: Callable[[str], bool] = lambda name: True) -> list[PairedDelta]:
    """B − A for each headline metric, with a paired bootstrap interval.

    Both runs must hold the same experiences with the same gold; B's predictions are put in
    A's order, and each resample draws the same experiences for both.
    """
    by_id = {p.id: p for p in b}
    ids_a = [p.id for p in a]
    if len(by_id) != len(b) or len(set(ids_a)) != len(a):
        raise ComparisonError("a run lists an experience twice; pair runs of `eval run` only")
    if set(ids_a) != set(by_id):
        only_a, only_b = set(ids_a) - set(by_id), set(by_id) - set(ids_a)
        raise ComparisonError(
            f"the runs hold different experiences ({len(only_a)} only in A, {len(only_b)} "
            f"only in B, e.g. {sorted(only_a | only_b)[0]}): compare runs of the same dataset")
    b_in_order = [by_id[i] for i in ids_a]
    for pa, pb in zip(a, b_in_order, strict=True):
        if {g.key: g.strength for g in pa.gold} != {g.key: g.strength for g in pb.gold}:
            raise ComparisonError(f"experience {pa.id} has different gold in the two runs: "
                                  "compare runs of the same version of the dataset")
    tally_a, tally_b = Tally.of(a), Tally.of(b_in_order)
    ones = np.ones((1, len(ids_a)))
    full_a, full_b = tally_a.read(ones), tally_b.read(ones)
    weights = resample_weights(len(ids_a), resamples, seed)
    drawn_a, drawn_b = tally_a.read(weights), tally_b.read(weights)
    rows = []
    for name in full_a:
        if name not in full_b or not keep(name):
            continue
        value_a, value_b = float(full_a[name][0]), float(full_b[name][0])
        if not (np.isfinite(value_a) and np.isfinite(value_b)):
            continue
        rows.append(_delta(name, value_a, value_b, drawn_b[name] - drawn_a[name], level))
    return rows


def paired_means(a: Array, b: Array, names: Sequence[str], resamples: int = RESAMPLES,
                 level: float = LEVEL, seed: int = SEED) -> list[PairedDelta]:
    """B − A for metrics that are means of per-unit values (one row per sentence, one column
    per name, the same units in the same order in both), with a paired bootstrap interval."""
    if a.shape != b.shape or a.ndim != 2 or a.shape[1] != len(names):
        raise ComparisonError(f"per-unit values of shape {a.shape} and {b.shape} for "
                              f"{len(names)} metrics cannot be paired")
    if a.shape[0] == 0:
        raise ComparisonError("no units to compare")
    weights = resample_weights(a.shape[0], resamples, seed) / a.shape[0]
    difference = weights @ (b - a)
    return [_delta(name, float(a[:, j].mean()), float(b[:, j].mean()), difference[:, j], level)
            for j, name in enumerate(names)]


def _delta(name: str, a: float, b: float, difference: Array, level: float) -> PairedDelta:
    """One metric's B − A from the two full samples and its resampled differences."""
    low, high = _bounds(difference, level)
    finite = difference[np.isfinite(difference)]
    better = finite < 0 if name in LOWER_IS_BETTER else finite > 0
    return PairedDelta(metric=name, a=a, b=b, delta=b - a, low=low, high=high,
                       b_better=float(better.mean()) if finite.size else float("nan"))


def format_paired(rows: Sequence[PairedDelta], n: int, resamples: int, level: float,
                  unit: str = "experiences") -> str:
    """A fixed-width table of paired deltas, with a line saying how it was read."""
    width = max([len(r.metric) for r in rows] + [6])
    pct = f"{level:.0%}"
    lines = [f"paired bootstrap over {n} {unit} ({resamples} resamples, {pct} interval "
             "of B - A; 'B better' is the share of resamples where B reads better):",
             f"{'metric':<{width}}  {'A':>7}  {'B':>7}  {'B - A':>7}  {pct + ' interval':>18}  "
             f"{'B better':>8}"]
    for r in rows:
        interval = f"[{r.low:+.4f}, {r.high:+.4f}]"
        lines.append(f"{r.metric:<{width}}  {r.a:>7.4f}  {r.b:>7.4f}  {r.delta:>+7.4f}  "
                     f"{interval:>18}  {r.b_better:>8.1%}")
    return "\n".join(lines)
