"""Out-of-fold machinery for calibration: folds by experience, roll-up, the score map, readings.

Candidates of one experience share its text, so folds hold out whole experiences: a fold never
sees another candidate of an experience it is scored on. Gold is labelled at the top-level code
(a competency, a cluster), so the score map is fitted, and every reading taken, on the best
candidate under each (experience, framework, top-level code), exactly as the eval harness rolls
results up.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.isotonic import IsotonicRegression

from service.evaluation import metrics
from service.pipeline.calibrate import CalibrationModel, ScoreMap

# (framework, experience number, top-level code): the unit gold is labelled in
RollUpKey = tuple[str, int, str]


def experience_folds(experiences: Sequence[int], n_splits: int, seed: int) -> list[np.ndarray]:
    """Row indices of each test fold; every experience's rows fall in exactly one fold."""
    distinct = np.unique(np.asarray(experiences))
    if len(distinct) < n_splits:
        raise ValueError(f"{len(distinct)} experiences cannot make {n_splits} folds")
    shuffled = np.random.default_rng(seed).permutation(distinct)
    owner = {int(e): f for f, part in enumerate(np.array_split(shuffled, n_splits)) for e in part}
    fold_of = np.asarray([owner[int(e)] for e in experiences])
    return [np.flatnonzero(fold_of == f) for f in range(n_splits)]


def roll_up(keys: Sequence[RollUpKey], values: np.ndarray) -> dict[RollUpKey, int]:
    """The row with the highest value under each key."""
    best: dict[RollUpKey, int] = {}
    for row, key in enumerate(keys):
        if key not in best or values[row] > values[best[key]]:
            best[key] = row
    return best


MIN_BLOCK = 20  # no probability rests on fewer labelled codes than this


def fit_score_map(logits: np.ndarray, labels: np.ndarray,
                  min_block: int = MIN_BLOCK) -> ScoreMap:
    """Isotonic regression of labels on logits, as a piecewise-linear map.

    Isotonic regression alone gives the few strongest (weakest) codes a probability of exactly
    1 (0) from a handful of examples; blocks smaller than ``min_block`` are pooled with their
    neighbour, which keeps the map monotone and every value an average of enough outcomes.
    The map interpolates between the blocks' (mean logit, observed rate) points.
    """
    order = np.argsort(logits, kind="stable")
    z, y = np.asarray(logits, dtype=np.float64)[order], np.asarray(labels, dtype=np.float64)[order]
    fitted = IsotonicRegression(y_min=0.0, y_max=1.0, increasing=True).fit(z, y).predict(z)
    starts = [0, *(np.flatnonzero(np.diff(fitted) != 0) + 1).tolist()]
    blocks = [[a, b] for a, b in zip(starts, [*starts[1:], len(z)], strict=True)]
    while len(blocks) > 1:
        sizes = [b - a for a, b in blocks]
        small = int(np.argmin(sizes))
        if sizes[small] >= min_block:
            break
        if small == 0:
            other = 1
        elif small == len(blocks) - 1:
            other = small - 1
        else:  # merge with the neighbour whose mean is closer
            mean = y[blocks[small][0]:blocks[small][1]].mean()
            left = abs(y[blocks[small - 1][0]:blocks[small - 1][1]].mean() - mean)
            right = abs(y[blocks[small + 1][0]:blocks[small + 1][1]].mean() - mean)
            other = small - 1 if left <= right else small + 1
        first, second = sorted((small, other))
        blocks[first:second + 1] = [[blocks[first][0], blocks[second][1]]]
    # One knot per block, at its mean logit: between knots the map rises, so the calibrated
    # scores keep the logits' ranking instead of tying every candidate of a block.
    # A block's rate is estimated as (positives + 0.5) / (n + 1): a block whose codes were all
    # right (or all wrong) still says "very likely", never "certain" (score 1) or "impossible".
    knots = [float(z[a:b].mean()) for a, b in blocks]
    values = np.maximum.accumulate(
        [(float(y[a:b].sum()) + 0.5) / (b - a + 1.0) for a, b in blocks]).tolist()
    if len(knots) == 1:  # a constant map still needs increasing knots
        knots, values = [knots[0], knots[0] + 1.0], [values[0], values[0]]
    return ScoreMap(np.asarray(knots), np.asarray(values))


def rolled_rows(keys: Sequence[RollUpKey], logits: np.ndarray) -> np.ndarray:
    """Indices of the best row under each key (the rows the score map is fitted on)."""
    return np.asarray(sorted(roll_up(keys, logits).values()), dtype=np.int64)


def cross_fitted_probabilities(keys: Sequence[RollUpKey], logits: np.ndarray,
                               labels: np.ndarray, folds: Sequence[np.ndarray]) -> np.ndarray:
    """Each fold's probabilities from a score map fitted on the other folds' rolled-up rows."""
    probabilities = np.zeros(len(logits))
    best = rolled_rows(keys, logits)
    for test in folds:
        train = np.setdiff1d(best, test)
        score_map = fit_score_map(logits[train], labels[train])
        probabilities[test] = [score_map.probability(z) for z in logits[test]]
    return probabilities


@dataclass(frozen=True)
class FittedMaps:
    """Score maps by framework (the pooled one for the rest), and cross-fitted probabilities:
    each row as it would be served, and each row as the pooled calibrator and map would serve it.
    """

    maps: dict[str, ScoreMap]
    cross_fitted: np.ndarray
    pooled_cross_fitted: np.ndarray

    def probability(self, framework: str, logit: float) -> float:
        """A logit through its framework's map, or the pooled one."""
        return (self.maps.get(framework) or self.maps[CalibrationModel.POOLED]).probability(logit)


def fit_score_maps(keys: Sequence[RollUpKey], pooled_logits: np.ndarray, own_logits: np.ndarray,
                   labels: np.ndarray, folds: Sequence[np.ndarray], eligible: Collection[str],
                   min_positives: int) -> FittedMaps:
    """The pooled map, and an own map for each ``eligible`` framework with at least
    ``min_positives`` labelled codes among its rolled-up rows.

    The pooled map serves frameworks nobody labelled, through the pooled calibrator, so it is
    fitted on the pooled calibrator's logits (``pooled_logits``) of every labelled framework.
    An own map reads its framework's own calibrator (``own_logits``, on that framework's rows):
    one logit need not mean one rate across frameworks, and where a framework has enough labels
    its own map says what its logits mean. Cross-fitted probabilities come from the map a row
    would be served by, fitted without the row's fold.
    """
    best = rolled_rows(keys, pooled_logits)
    maps = {CalibrationModel.POOLED: fit_score_map(pooled_logits[best], labels[best])}
    pooled_cross_fitted = cross_fitted_probabilities(keys, pooled_logits, labels, folds)
    cross_fitted = pooled_cross_fitted.copy()
    frameworks = np.asarray([key[0] for key in keys])
    for framework in sorted(set(frameworks.tolist()) & set(eligible)):
        rows = np.flatnonzero(frameworks == framework)
        subset = [keys[int(r)] for r in rows]
        rolled = rows[rolled_rows(subset, own_logits[rows])]
        if int(labels[rolled].sum()) < min_positives:
            continue
        maps[framework] = fit_score_map(own_logits[rolled], labels[rolled])
        cross_fitted[rows] = cross_fitted_probabilities(
            subset, own_logits[rows], labels[rows],
            [np.flatnonzero(np.isin(rows, test)) for test in folds])
    return FittedMaps(maps, cross_fitted, pooled_cross_fitted)


@dataclass(frozen=True)
class Readings:
    """Operating-point scores and calibration of rolled-up predictions."""

    precision: float
    recall: float
    f1: float
    asserted: int
    ece_asserted: float | None
    ece_all: float | None

    def rounded(self) -> dict[str, float | int | None]:
        """For the fit summary."""
        return {k: (round(v, 3) if isinstance(v, float) else v) for k, v in vars(self).items()}


def readings(keys: Sequence[RollUpKey], probabilities: np.ndarray, labels: np.ndarray,
             floors: Mapping[str, float], gold_total: int) -> Readings:
    """P, R, F1 and ECE (asserted and all), as the eval harness computes them.

    A key is asserted when its best probability reaches its framework's floor; ``gold_total``
    counts gold codes that no candidate reached too.
    """
    best = roll_up(keys, probabilities)
    scored = [(float(probabilities[row]), bool(labels[row]), probabilities[row] >= floors[key[0]])
              for key, row in best.items()]
    asserted = [(p, hit) for p, hit, on in scored if on]
    tp = sum(hit for _, hit in asserted)
    counts = metrics.Counts(tp=tp, fp=len(asserted) - tp, fn=gold_total - tp)
    s = counts.scores()
    return Readings(
        precision=s.precision, recall=s.recall, f1=s.f1, asserted=len(asserted),
        ece_asserted=metrics.calibration([p for p, _ in asserted], [h for _, h in asserted]).ece,
        ece_all=metrics.calibration([p for p, _, _ in scored], [h for _, h, _ in scored]).ece)
