"""Calibration artefacts: round trip, the score map, refusal of stale artefacts, thresholds."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from service.pipeline.calibrate import (
    FEATURES,
    CalibrationModel,
    LogisticCalibrator,
    ScoreMap,
    Thresholds,
)
from service.settings import PROJECT_ROOT

INSTALLED = PROJECT_ROOT / "models" / "calibration" / "calibration-all-minilm-l6-v2.json"


def _model() -> CalibrationModel:
    n = len(FEATURES)
    pooled = LogisticCalibrator(np.ones(n), -1.0, np.zeros(n), np.ones(n))
    own = LogisticCalibrator(np.zeros(n), 2.0, np.zeros(n), np.ones(n))
    pooled_map = ScoreMap(np.array([-2.0, 0.0, 3.0]), np.array([0.05, 0.3, 0.9]))
    own_map = ScoreMap(np.array([0.0, 4.0]), np.array([0.2, 0.6]))
    return CalibrationModel(version="calibration-test", trained_on="x", model_id="m",
                            calibrators={"*": pooled, "ngss-sep": own},
                            score_maps={"*": pooled_map, "ngss-sep": own_map},
                            thresholds={"*": Thresholds(0.3, 0.5, 0.7),
                                        "ngss-sep": Thresholds(0.4, 0.6, 0.8)})


def test_round_trip(tmp_path: Path) -> None:
    model = _model()
    model.save(tmp_path / "c.json")
    loaded = CalibrationModel.load(tmp_path / "c.json")
    x = np.linspace(0, 1, len(FEATURES))
    for name in ("ngss-sep", "unknown-framework"):
        assert loaded.probability(name, x) == pytest.approx(model.probability(name, x))
    assert loaded.score_map("other").knots.tolist() == [-2.0, 0.0, 3.0]
    assert loaded.score_map("ngss-sep").knots.tolist() == [0.0, 4.0]
    assert loaded.thresholds_for("ngss-sep") == Thresholds(0.4, 0.6, 0.8)
    assert loaded.thresholds_for("other") == Thresholds(0.3, 0.5, 0.7)


def test_probability_is_the_logistic_of_the_standardised_score() -> None:
    calibrator = LogisticCalibrator(np.array([2.0, 0.0]), -1.0, np.array([1.0, 0.0]),
                                    np.array([0.5, 1.0]))
    # z = 2 * (2 - 1) / 0.5 - 1 = 3
    assert calibrator.probability(np.array([2.0, 9.0])) == pytest.approx(1 / (1 + np.exp(-3)))


def test_probability_maps_the_framework_logit_through_the_frameworks_score_map() -> None:
    model = _model()
    x = np.zeros(len(FEATURES))
    # ngss-sep: its own calibrator's logit 2.0 through its own map, halfway from 0.2 to 0.6
    assert model.probability("ngss-sep", x) == pytest.approx(0.4)
    # any other framework: the pooled calibrator's logit -1.0 through the pooled map,
    # halfway between 0.05 and 0.3
    assert model.probability("other", x) == pytest.approx(0.175)


def test_a_model_without_a_pooled_fallback_is_refused() -> None:
    model = _model()
    with pytest.raises(ValueError, match="pooled"):
        CalibrationModel(version="v", trained_on="x", model_id="m",
                         calibrators=model.calibrators,
                         score_maps={"ngss-sep": model.score_map("ngss-sep")},
                         thresholds=model.thresholds)


def test_score_map_keeps_rising_outside_its_knots_and_stays_a_probability() -> None:
    score_map = _model().score_map("*")
    first, last = float(score_map.knots[0]), float(score_map.knots[-1])
    # continuous where the tails join the knots
    assert score_map.probability(last + 1e-9) == pytest.approx(score_map.values[-1])
    assert score_map.probability(first - 1e-9) == pytest.approx(score_map.values[0])
    # beyond the knots the strongest (weakest) candidates still keep their order
    above = [score_map.probability(z) for z in np.linspace(last + 0.1, last + 8, 20)]
    below = [score_map.probability(z) for z in np.linspace(first - 8, first - 0.1, 20)]
    assert all(a < b for a, b in itertools.pairwise(above))
    assert all(a < b for a, b in itertools.pairwise(below))
    # bounded: never more than half-way beyond the outer steps
    assert score_map.probability(800.0) == pytest.approx(0.9 + 0.1 / 2)
    assert score_map.probability(-800.0) == pytest.approx(0.05 / 2)
    values = [score_map.probability(z) for z in np.linspace(-10, 10, 201)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values == sorted(values)


@pytest.mark.parametrize(("knots", "values"), [
    ([0.0, 0.0], [0.1, 0.2]),  # knots not increasing
    ([0.0, 1.0], [0.5, 0.4]),  # decreasing
    ([0.0, 1.0], [-0.1, 0.4]),  # not a probability
    ([0.0, 1.0], [0.1, 1.2]),
])
def test_a_score_map_that_is_not_a_monotone_probability_is_refused(
        knots: list[float], values: list[float]) -> None:
    with pytest.raises(ValueError, match="score map"):
        ScoreMap(np.array(knots), np.array(values))


@pytest.mark.parametrize("earlier_format", [1, 2])
def test_artefact_of_an_earlier_format_is_refused(tmp_path: Path, earlier_format: int) -> None:
    _model().save(tmp_path / "c.json")
    raw = json.loads((tmp_path / "c.json").read_text())
    del raw["score_maps"]
    if earlier_format == 1:  # logistic probabilities only
        del raw["format"]
    else:  # one pooled score map
        raw["format"], raw["score_map"] = 2, _model().score_map("*").to_json()
    (tmp_path / "c.json").write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="refit"):
        CalibrationModel.load(tmp_path / "c.json")


def test_artefact_for_other_features_is_refused(tmp_path: Path) -> None:
    _model().save(tmp_path / "c.json")
    raw = json.loads((tmp_path / "c.json").read_text())
    raw["features"] = raw["features"][:-1]
    (tmp_path / "c.json").write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="refit"):
        CalibrationModel.load(tmp_path / "c.json")


def test_installed_artefact_matches_this_code() -> None:
    model = CalibrationModel.load(INSTALLED)
    assert model.model_id == "all-minilm-l6-v2"
    for framework in ("ngss-sep", "career-clusters-2024", "america-succeeds"):
        t = model.thresholds_for(framework)
        assert 0 < t.floor < t.medium < t.high < 1
    # every labelled framework has its own map; frameworks nobody labelled share the pooled one
    assert set(model.score_maps) == {"*", "ngss-sep", "ngss-ccc", "career-clusters-2024",
                                     "america-succeeds"}
    assert model.score_map("esco") is model.score_maps["*"]
    for score_map in model.score_maps.values():
        knots, values = score_map.knots, score_map.values
        assert np.all(np.diff(knots) > 0) and np.all(np.diff(values) >= 0)
        assert values[0] >= 0.0 and values[-1] <= 1.0
        # each map separates: weak logits give low probabilities, strong ones much higher
        assert values[0] < 0.15 and values[-1] > 0.5
    assert model.score_maps["*"].values[-1] > 0.7
