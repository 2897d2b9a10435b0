"""Calibration artefacts: round trip, refusal of stale artefacts, per-framework thresholds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from service.pipeline.calibrate import (
    FEATURES,
    CalibrationModel,
    LogisticCalibrator,
    Thresholds,
)
from service.settings import PROJECT_ROOT

INSTALLED = PROJECT_ROOT / "models" / "calibration" / "calibration-all-minilm-l6-v2.json"


def _model() -> CalibrationModel:
    n = len(FEATURES)
    pooled = LogisticCalibrator(np.ones(n), -1.0, np.zeros(n), np.ones(n))
    own = LogisticCalibrator(np.zeros(n), 2.0, np.zeros(n), np.ones(n))
    return CalibrationModel(version="calibration-test", trained_on="x", model_id="m",
                            calibrators={"*": pooled, "ngss-sep": own},
                            thresholds={"*": Thresholds(0.3, 0.5, 0.7),
                                        "ngss-sep": Thresholds(0.4, 0.6, 0.8)})


def test_round_trip(tmp_path: Path) -> None:
    model = _model()
    model.save(tmp_path / "c.json")
    loaded = CalibrationModel.load(tmp_path / "c.json")
    x = np.linspace(0, 1, len(FEATURES))
    for name in ("ngss-sep", "unknown-framework"):
        assert loaded.calibrator(name).probability(x) == pytest.approx(
            model.calibrator(name).probability(x))
    assert loaded.thresholds_for("ngss-sep") == Thresholds(0.4, 0.6, 0.8)
    assert loaded.thresholds_for("other") == Thresholds(0.3, 0.5, 0.7)


def test_probability_is_the_logistic_of_the_standardised_score() -> None:
    calibrator = LogisticCalibrator(np.array([2.0, 0.0]), -1.0, np.array([1.0, 0.0]),
                                    np.array([0.5, 1.0]))
    # z = 2 * (2 - 1) / 0.5 - 1 = 3
    assert calibrator.probability(np.array([2.0, 9.0])) == pytest.approx(1 / (1 + np.exp(-3)))


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
