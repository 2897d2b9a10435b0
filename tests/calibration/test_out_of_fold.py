"""Out-of-fold calibration: folds by experience, the score maps, and the readings it reports."""

from __future__ import annotations

import numpy as np
import pytest

from service.calibration.out_of_fold import (
    RollUpKey,
    cross_fitted_probabilities,
    experience_folds,
    fit_score_map,
    fit_score_maps,
    readings,
    roll_up,
)


def test_folds_partition_rows_and_never_split_an_experience() -> None:
    experiences = [n // 7 for n in range(7 * 23)]  # 23 experiences, 7 candidates each
    folds = experience_folds(experiences, n_splits=5, seed=3)
    rows = np.concatenate(folds)
    assert sorted(rows.tolist()) == list(range(len(experiences)))
    owners = [{experiences[r] for r in fold} for fold in folds]
    for a in range(5):
        for b in range(a + 1, 5):
            assert not owners[a] & owners[b]
    with pytest.raises(ValueError, match="folds"):
        experience_folds([0, 0, 1], n_splits=5, seed=0)


def test_score_map_recovers_known_probabilities_and_is_monotone() -> None:
    rng = np.random.default_rng(0)
    logits = rng.uniform(-4, 4, 20000)
    truth = 1 / (1 + np.exp(-(0.5 * logits - 1)))  # a miscalibrated logit: true slope 0.5
    labels = (rng.uniform(size=logits.size) < truth).astype(int)
    score_map = fit_score_map(logits, labels)
    assert np.all(np.diff(score_map.knots) > 0) and np.all(np.diff(score_map.values) >= 0)
    grid = np.linspace(-3.5, 3.5, 15)
    mapped = np.array([score_map.probability(z) for z in grid])
    assert np.all((mapped >= 0) & (mapped <= 1))
    assert np.max(np.abs(mapped - 1 / (1 + np.exp(-(0.5 * grid - 1))))) < 0.06


def test_no_probability_rests_on_a_handful_of_codes() -> None:
    # the five strongest codes are all right and the five weakest all wrong: plain isotonic
    # regression would answer 1.0 and 0.0 for them
    logits = np.arange(100, dtype=float)
    labels = np.array([0] * 5 + [0, 1] * 45 + [1] * 5)
    score_map = fit_score_map(logits, labels, min_block=20)
    assert score_map.probability(0.0) > 0.0 and score_map.probability(99.0) < 1.0
    assert score_map.probability(99.0) >= score_map.probability(0.0)


def test_cross_fitting_never_scores_a_fold_with_a_map_fitted_on_it() -> None:
    # fold 0 has its labels inverted; a map fitted on the other folds must still rise
    keys = [("f", n, "c") for n in range(400)]
    logits = np.tile(np.linspace(-2, 2, 100), 4)
    labels = (logits > 0).astype(int)
    folds = [np.arange(100 * f, 100 * (f + 1)) for f in range(4)]
    labels[folds[0]] = 1 - labels[folds[0]]
    probabilities = cross_fitted_probabilities(keys, logits, labels, folds)
    held_out = probabilities[folds[0]]
    assert held_out[-1] > 0.9 and held_out[0] < 0.1


def test_roll_up_keeps_the_best_row_per_code() -> None:
    keys = [("f", 0, "A"), ("f", 0, "A"), ("f", 0, "B"), ("f", 1, "A")]
    assert roll_up(keys, np.array([0.2, 0.7, 0.1, 0.4])) == {
        ("f", 0, "A"): 1, ("f", 0, "B"): 2, ("f", 1, "A"): 3}


def test_readings_match_a_hand_computed_case() -> None:
    # rolled up: A 0.85 right, B 0.65 wrong, C 0.62 right (asserted); D 0.05 wrong (not)
    keys = [("f", 0, "A"), ("f", 0, "A"), ("f", 0, "B"), ("f", 1, "C"), ("f", 1, "D")]
    probabilities = np.array([0.85, 0.30, 0.65, 0.62, 0.05])
    labels = np.array([1, 1, 0, 1, 0])
    r = readings(keys, probabilities, labels, {"f": 0.5}, gold_total=3)  # one gold never scored
    assert (r.asserted, r.precision, r.recall) == (3, pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert r.f1 == pytest.approx(2 / 3)
    # bins: 0.8-0.9 {0.85: 1}, 0.6-0.7 {0.65: 0, 0.62: 1}
    assert r.ece_asserted == pytest.approx(1 / 3 * 0.15 + 2 / 3 * abs(0.5 - 0.635))
    # plus D in bin 0.0-0.1: |0 - 0.05|
    assert r.ece_all == pytest.approx(1 / 4 * 0.15 + 2 / 4 * abs(0.5 - 0.635) + 1 / 4 * 0.05)


def test_a_framework_with_enough_labels_gets_its_own_map_and_the_rest_share_the_pooled() -> None:
    # the same logit means a rate of about 0.8 in "rich" and 0.2 in "poor"; "rare" has two
    # labelled codes, too few for a map of its own
    rng = np.random.default_rng(3)
    keys: list[RollUpKey] = []
    logits, labels = [], []
    for framework, rate, n in (("rich", 0.8, 600), ("poor", 0.2, 600), ("rare", 0.5, 4)):
        for e in range(n):
            keys.append((framework, e, "c"))
            logits.append(float(rng.uniform(-1, 1)))
            labels.append(int(rng.random() < rate) if framework != "rare" else e % 2)
    z, y = np.asarray(logits), np.asarray(labels)
    folds = experience_folds([k[1] for k in keys], n_splits=5, seed=1)
    fitted = fit_score_maps(keys, z, z, y, folds, eligible={"rich", "poor", "rare"},
                            min_positives=60)
    assert set(fitted.maps) == {"*", "rich", "poor"}
    assert fitted.probability("rich", 0.0) == pytest.approx(0.8, abs=0.1)
    assert fitted.probability("poor", 0.0) == pytest.approx(0.2, abs=0.1)
    assert fitted.probability("rare", 0.0) == fitted.probability("unlabelled", 0.0)
    assert fitted.probability("rare", 0.0) == pytest.approx(0.5, abs=0.1)
    # cross-fitted probabilities come from each row's own framework's map
    rich = np.asarray([k[0] == "rich" for k in keys])
    assert fitted.cross_fitted[rich].mean() == pytest.approx(0.8, abs=0.05)
    assert fitted.cross_fitted[~rich].mean() < 0.3


def test_a_framework_not_eligible_shares_the_pooled_map_however_many_labels() -> None:
    keys: list[RollUpKey] = [("f", e, "c") for e in range(300)]
    z = np.linspace(-1, 1, 300)
    y = (np.arange(300) % 2).astype(int)
    folds = experience_folds([k[1] for k in keys], n_splits=5, seed=1)
    assert set(fit_score_maps(keys, z, z, y, folds, eligible=(), min_positives=10).maps) == {"*"}


def test_the_pooled_map_reads_the_pooled_calibrators_logits_and_own_maps_their_own() -> None:
    # the pooled calibrator ranks well (logit = outcome); "own" ranks inversely: each map must
    # be fitted on the logits it will be served with
    keys: list[RollUpKey] = [("own", e, "c") for e in range(400)]
    y = (np.arange(400) % 2).astype(int)
    pooled = np.where(y == 1, 1.0, -1.0) + np.linspace(0, 0.1, 400)
    own = -pooled
    folds = experience_folds([k[1] for k in keys], n_splits=5, seed=1)
    fitted = fit_score_maps(keys, pooled, own, y, folds, eligible={"own"}, min_positives=60)
    assert fitted.maps["*"].probability(1.0) > 0.9 and fitted.maps["*"].probability(-1.0) < 0.1
    # the own map is fitted on own logits, which do not rank: no logit gets a confident score
    assert all(0.25 < fitted.probability("own", z) < 0.75 for z in (-1.0, 0.0, 1.0))
    assert fitted.pooled_cross_fitted[y == 1].min() > 0.9
    assert fitted.cross_fitted.min() > 0.25 and fitted.cross_fitted.max() < 0.75


def test_floor_is_half_the_best_f1_of_the_rolled_up_codes() -> None:
    from service.calibration.fit import _operating_floor

    # two experiences; the best row per (framework, experience, code) is what counts
    keys = [("fw", 0, "A"), ("fw", 0, "A"), ("fw", 0, "B"), ("fw", 1, "A"), ("fw", 1, "C")]
    probs = np.asarray([0.9, 0.2, 0.6, 0.4, 0.1])
    labels = np.asarray([1, 1, 0, 1, 0])
    # ranked 0.9 (hit), 0.6 (miss), 0.4 (hit), 0.1 (miss), with 3 gold codes (one never scored):
    # F1 after each: 0.5, 0.4, 0.667, 0.571; the best is 2/3, so the floor is 1/3
    assert _operating_floor(keys, probs, labels, gold_count=3) == pytest.approx(1 / 3)


def test_score_map_never_says_certain() -> None:
    from service.calibration.out_of_fold import fit_score_map

    logits = np.linspace(-3.0, 3.0, 60)
    labels = (logits > 0).astype(int)  # the top 30 all right, the bottom 30 all wrong
    score_map = fit_score_map(logits, labels)
    assert score_map.probability(-10.0) > 0.0 and score_map.probability(10.0) < 1.0
    assert score_map.values[-1] == pytest.approx(30.5 / 31)
