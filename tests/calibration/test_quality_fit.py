"""The quality model's fit: word probes stacked out of fold, every level kept as a row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from service.calibration.fit import (
    _four_levels,
    _out_of_fold_word_probabilities,
    _Prepared,
    _word_probe,
    fit_quality,
)
from service.domain.quality import DIMENSIONS
from service.evaluation.dataset import load_dataset
from service.pipeline.pipeline import ExtractionPipeline
from service.pipeline.quality import WORD_FEATURES, QualityModel, Rubric
from service.pipeline.retrieve import SentenceQueries
from service.runtime import load_encoder
from service.settings import PROJECT_ROOT
from tests.conftest import make_settings

DEV = PROJECT_ROOT / "eval" / "datasets" / "experiences-v1" / "dev.jsonl"


def test_a_two_level_model_keeps_four_rows_and_never_predicts_an_unseen_level() -> None:
    x = np.asarray([[0.0], [0.1], [0.9], [1.0]])
    model = LogisticRegression().fit(x, [2, 2, 4, 4])
    coef, intercept = _four_levels(model, 1)
    logits = coef @ np.asarray([1.0]) + intercept
    assert int(np.argmax(logits)) + 1 == 4
    assert int(np.argmax(coef @ np.asarray([0.0]) + intercept)) + 1 == 2
    assert intercept[0] == intercept[2] == -1e3  # levels 1 and 3 were never seen


def test_a_probe_that_cannot_be_fitted_gives_the_observed_rates() -> None:
    one_level = _word_probe(np.ones((6, 3)), np.full(6, 2))
    p = one_level.probabilities(np.ones(3))
    assert int(np.argmax(p)) + 1 == 2 and p.sum() == pytest.approx(1.0)
    no_words = _word_probe(np.zeros((4, 0)), np.asarray([1, 1, 1, 3]))
    assert no_words.probabilities(np.zeros(0))[0] > no_words.probabilities(np.zeros(0))[2] > 0


def test_out_of_fold_word_probabilities_come_from_probes_that_did_not_see_the_experience(
        ) -> None:
    """One experience alone says "founded" and is level 4; the rest say "assigned" and are
    level 1 or 2. Fitted on all, the probe ties "founded" to level 4; out of fold, that
    experience is read by a probe that never saw the word, so level 4 stays unlikely."""
    words = np.asarray([[1.0, 0.0]] + [[0.0, 1.0]] * 39)
    y = np.asarray([4] + [1, 2, 2] * 13)
    oof = _out_of_fold_word_probabilities(words, y)
    assert oof.shape == (40, 4) and np.allclose(oof.sum(axis=1), 1.0)
    in_sample = _word_probe(words, y).probabilities(words[0])
    assert in_sample[3] > 0.3 > 0.05 > oof[0, 3]


def test_fit_quality_on_real_experiences(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    encoder = load_encoder(settings)
    rubric = Rubric.load(settings.models_dir / "quality" / "rubric.yaml", encoder)
    pipeline = ExtractionPipeline()
    prepared = []
    for record in load_dataset(DEV, limit=60):
        segments = pipeline.segment(record.experience)
        vectors = encoder.embed(pipeline.texts_to_embed(segments))
        prepared.append(_Prepared(record, segments,
                                  SentenceQueries.split([s.text for s in segments], vectors)))
    model, levels, accuracy = fit_quality(prepared, rubric, "quality-test", "sha256:x")
    assert model.feature_names[-len(WORD_FEATURES):] == WORD_FEATURES
    assert len(model.lexicon.terms) > 100
    for d in DIMENSIONS:
        assert model.word_probes[d].coef.shape == (4, len(model.lexicon.terms))
        assert model.mean[d].shape == (len(model.feature_names),)
        assert set(levels[d].values()) <= {1, 2, 3, 4} and len(levels[d]) == 60
        assert 0.0 <= accuracy[d] <= accuracy[f"{d}_within_one"] <= 1.0
    path = tmp_path / "quality.json"
    model.save(path)
    again = QualityModel.load(path)
    words = again.words(prepared[0].segments)
    assert words.any()
    features = np.zeros(len(model.feature_names) - len(WORD_FEATURES))
    for d in DIMENSIONS:
        assert again.probabilities(d, features, words).sum() == pytest.approx(1.0)
        assert np.allclose(again.probabilities(d, features, words),
                           model.probabilities(d, features, words), atol=1e-5)
