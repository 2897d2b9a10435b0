"""The experience prior: probes, their artefact, the out-of-fold fit, and how they are loaded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from service.calibration.fit import _probe
from service.pipeline.calibrate import CalibrationModel
from service.pipeline.prior import ExperiencePrior, FrameworkProbe, experience_vector
from service.runtime import load_encoder, load_pipeline
from service.settings import PROJECT_ROOT
from tests.conftest import make_settings

INSTALLED = PROJECT_ROOT / "models" / "calibration"


def test_experience_vector_is_the_unit_mean() -> None:
    v = experience_vector(np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32))
    assert v is not None and np.allclose(v, [2 ** -0.5, 2 ** -0.5])
    assert experience_vector(np.zeros((0, 2), dtype=np.float32)) is None
    assert experience_vector(np.array([[1.0, 0.0], [-1.0, 0.0]], dtype=np.float32)) is None


def test_probes_learn_which_experiences_show_a_competency() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=(60, 4))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    shows = [{"A"} if row[0] > 0 else set() for row in x]  # A goes with the first direction
    shows[0].add("RARE")
    probe = _probe(x, shows, ["A", "RARE", "NEVER"])
    p_yes = probe.probabilities(np.array([1.0, 0.0, 0.0, 0.0]))
    p_no = probe.probabilities(np.array([-1.0, 0.0, 0.0, 0.0]))
    assert p_yes["A"] > 0.8 > 0.2 > p_no["A"]
    # too few examples to fit: the smoothed observed rate, whatever the experience
    assert p_yes["RARE"] == pytest.approx(p_no["RARE"]) == pytest.approx(1.5 / 61)
    assert p_yes["NEVER"] == pytest.approx(0.5 / 61)


def test_artefact_round_trip_and_shape_check(tmp_path: Path) -> None:
    probe = FrameworkProbe(("A", "B"), np.array([[2.0, 0.0], [0.0, -1.0]]), np.array([0.0, 1.0]))
    prior = ExperiencePrior("prior-x", "sha256:d", "m", 2, {"fw": probe})
    prior.save(tmp_path / "p.json")
    loaded = ExperiencePrior.load(tmp_path / "p.json")
    x = np.array([0.6, 0.8])
    assert loaded.for_framework("fw", x) == pytest.approx(prior.for_framework("fw", x))
    assert loaded.for_framework("fw", x)["A"] == pytest.approx(1 / (1 + np.exp(-1.2)))
    assert loaded.for_framework("other", x) is None and loaded.for_framework("fw", None) is None
    with pytest.raises(ValueError, match="2 dimensions"):
        loaded.for_framework("fw", np.ones(3))


def test_installed_prior_matches_the_installed_calibration() -> None:
    calibration = CalibrationModel.load(INSTALLED / "calibration-all-minilm-l6-v2.json")
    prior = ExperiencePrior.load(INSTALLED / "prior-all-minilm-l6-v2.json")
    assert calibration.notes["prior"] == prior.version
    assert prior.dimension == 384
    assert {"america-succeeds", "career-clusters-2024", "ngss-sep", "ngss-ccc"} <= set(
        prior.probes)
    # the pooled calibrator serves frameworks with no prior: it must give the prior no weight
    column = list(json.loads((INSTALLED / "calibration-all-minilm-l6-v2.json").read_text())
                  ["features"]).index("experience_prior")
    assert calibration.calibrators["*"].coef[column] == 0.0
    assert calibration.calibrators["ngss-sep"].coef[column] > 0.0


def test_a_prior_the_calibration_was_not_fitted_with_is_refused(tmp_path: Path) -> None:
    models = tmp_path / "models"
    (models / "calibration").mkdir(parents=True)
    (models / "quality").mkdir()
    for name in ("rubric.yaml", "quality-model-all-minilm-l6-v2.json"):
        (models / "quality" / name).write_bytes((PROJECT_ROOT / "models/quality" / name)
                                                .read_bytes())
    (models / "registry.yaml").write_bytes((PROJECT_ROOT / "models/registry.yaml").read_bytes())
    for name in ("calibration-all-minilm-l6-v2.json", "prior-all-minilm-l6-v2.json"):
        (models / "calibration" / name).write_bytes((INSTALLED / name).read_bytes())
    settings = make_settings(tmp_path, models_dir=models)
    encoder = load_encoder(settings)
    assert load_pipeline(settings, encoder).prior is not None
    raw = json.loads((models / "calibration" / "prior-all-minilm-l6-v2.json").read_text())
    raw["version"] = "prior-someone-else"
    (models / "calibration" / "prior-all-minilm-l6-v2.json").write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="refit both"):
        load_pipeline(settings, encoder)
    (models / "calibration" / "prior-all-minilm-l6-v2.json").unlink()
    with pytest.raises(ValueError, match="refit both"):
        load_pipeline(settings, encoder)
