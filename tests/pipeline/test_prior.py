"""The experience prior: probes, their artefact, the out-of-fold fit, and how they are loaded."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from service.calibration.fit import _probe, fit_lexicon
from service.pipeline.calibrate import CalibrationModel
from service.pipeline.prior import (
    ExperiencePrior,
    FrameworkProbe,
    Lexicon,
    TextProbeFile,
    experience_vector,
)
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


def _prior(**changes: object) -> ExperiencePrior:
    fields: dict[str, object] = {
        "version": "prior-x", "trained_on": "sha256:d", "model_id": "m", "dimension": 2,
        "probes": {"fw": FrameworkProbe(("A", "B"), np.array([[2.0, 0.0], [0.0, -1.0]]),
                                        np.array([0.0, 1.0]))},
        "lexicon": Lexicon(("solder", "budget"), np.array([1.0, 2.0])),
        "lexical_probes": {"fw": FrameworkProbe(("A", "B"), np.array([[3.0, 0.0], [0.0, 0.0]]),
                                                np.array([-1.0, 0.5]))}}
    return ExperiencePrior(**(fields | changes))  # type: ignore[arg-type]


def test_artefact_round_trip_and_shape_check(tmp_path: Path) -> None:
    prior = _prior()
    prior.save(tmp_path / "p.json")
    loaded = ExperiencePrior.load(tmp_path / "p.json")
    x = np.array([0.6, 0.8])
    text = "I soldered... no: I learned to solder and to SOLDER well"
    read = loaded.for_framework("fw", x, text)
    assert read is not None and read == pytest.approx(prior.for_framework("fw", x, text))
    # A: embedding logit 1.2, lexical logit 3 * 1 - 1 (the text's only lexicon word is
    # "solder"); the prior is the logistic of their mean
    assert read["A"] == pytest.approx(1 / (1 + np.exp(-1.6)))
    # no lexicon word: the lexical probe gives its intercept alone
    unknown = loaded.for_framework("fw", x, "nothing here")
    assert unknown is not None and unknown["A"] == pytest.approx(1 / (1 + np.exp(-0.1)))
    assert loaded.for_framework("other", x, text) is None
    assert loaded.for_framework("fw", None, text) is None
    with pytest.raises(ValueError, match="2 dimensions"):
        loaded.for_framework("fw", np.ones(3), text)


def test_every_framework_read_at_once_matches_one_at_a_time() -> None:
    second = FrameworkProbe(("C",), np.array([[1.0, 1.0]]), np.array([0.0]))
    lexical = FrameworkProbe(("C",), np.array([[0.0, 2.0]]), np.array([0.0]))
    prior = _prior(probes=_prior().probes | {"fw2": second},
                   lexical_probes=_prior().lexical_probes | {"fw2": lexical})
    x, text = np.array([0.6, 0.8]), "a budget and a solder joint"
    both = prior.for_frameworks(["fw", "fw2", "esco"], x, text)
    assert set(both) == {"fw", "fw2"}  # a framework without a probe has no prior
    for framework in ("fw", "fw2"):
        assert both[framework] == pytest.approx(prior.for_framework(framework, x, text))
    assert prior.for_frameworks(["fw"], None, text) == {}


def test_a_prior_from_before_the_lexical_probes_is_refused(tmp_path: Path) -> None:
    raw = {"version": "prior-old", "trained_on": "sha256:d", "model_id": "m", "dimension": 2,
           "probes": {}}
    (tmp_path / "p.json").write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="refit with"):
        ExperiencePrior.load(tmp_path / "p.json")


def test_every_embedding_probe_needs_a_lexical_one_over_the_same_codes() -> None:
    with pytest.raises(ValueError, match="same codes"):
        _prior(lexical_probes={})
    other = FrameworkProbe(("A", "C"), np.zeros((2, 2)), np.zeros(2))
    with pytest.raises(ValueError, match="same codes"):
        _prior(lexical_probes={"fw": other})
    wide = FrameworkProbe(("A", "B"), np.zeros((2, 5)), np.zeros(2))
    with pytest.raises(ValueError, match="lexicon of 2 terms"):
        _prior(lexical_probes={"fw": wide})


def test_the_lexicon_weighs_words_as_the_fitted_vectorizer_did() -> None:
    """Serving reads words with our own numpy transform; it must equal scikit-learn's."""
    texts = ["Soldered the robot's wiring harness, re-soldered it twice.",
             "Built a budget for the club; the budget balanced by March.",
             "I tested a hypothesis about the robot's battery and the wiring.",
             "Café budget: 3 runs, the robot, the hypothesis, naïve résumé."]
    lexicon = fit_lexicon(texts)
    vectorizer = TfidfVectorizer(sublinear_tf=True, min_df=2, stop_words="english").fit(texts)
    assert lexicon.terms == tuple(vectorizer.get_feature_names_out())
    assert "the" not in lexicon.terms and "budget" in lexicon.terms
    unseen = "The ROBOT's budget, budget and budget again; wiring? robot!"
    expected = vectorizer.transform([*texts, unseen]).toarray()
    ours = np.stack([lexicon.vector(t) for t in [*texts, unseen]])
    assert np.allclose(ours, expected)
    assert not lexicon.vector("nothing it knows").any()
    assert fit_lexicon(["one", "two"]).terms == ()  # no word used twice


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
    for name in ("calibration-all-minilm-l6-v2.json", "prior-all-minilm-l6-v2.json",
                 "prior-text-probe-all-minilm-l6-v2.safetensors"):
        (models / "calibration" / name).write_bytes((INSTALLED / name).read_bytes())
    settings = make_settings(tmp_path, models_dir=models)
    encoder = load_encoder(settings)
    assert load_pipeline(settings, encoder).prior is not None
    (models / "calibration" / "prior-text-probe-all-minilm-l6-v2.safetensors").unlink()
    with pytest.raises(ValueError, match="which is missing"):
        load_pipeline(settings, encoder)
    raw = json.loads((models / "calibration" / "prior-all-minilm-l6-v2.json").read_text())
    raw["version"] = "prior-someone-else"
    (models / "calibration" / "prior-all-minilm-l6-v2.json").write_text(json.dumps(raw))
    with pytest.raises(ValueError, match="refit both"):
        load_pipeline(settings, encoder)
    (models / "calibration" / "prior-all-minilm-l6-v2.json").unlink()
    with pytest.raises(ValueError, match="refit both"):
        load_pipeline(settings, encoder)


class _Reader:
    """A stand-in text reader with fixed logits (the fine-tuned one is tested with the real
    model in tests/inference/test_text_probe.py)."""

    def __init__(self, version: str = "prior-x", codes: tuple[str, ...] = ("A", "B")) -> None:
        self.version = version
        self.codes = {"fw": codes}
        self.read: list[str] = []

    def logits(self, text: str) -> dict[str, np.ndarray]:
        self.read.append(text)
        return {"fw": np.array([4.0, -2.0])}


def test_a_text_reader_is_a_third_view_averaged_with_the_other_two(tmp_path: Path) -> None:
    x, text = np.array([0.6, 0.8]), "I learned to solder"
    two = _prior().for_framework("fw", x, text)
    assert two is not None
    named = TextProbeFile("probe.safetensors", "ab" * 32)
    reader = _Reader()
    prior = _prior(text_probe=named).with_reader(reader)
    three = prior.for_framework("fw", x, text)
    # A: embedding 1.2, lexical 2.0, text 4.0
    assert three is not None and three["A"] == pytest.approx(1 / (1 + np.exp(-(7.2 / 3))))
    assert reader.read == [text]
    assert prior.component_version == "3" and _prior().component_version == "2"
    # the fit passes out-of-fold logits in the reader's place
    given = prior.for_framework("fw", x, text, {"fw": np.array([0.0, 0.0])})
    assert given is not None and given["A"] == pytest.approx(1 / (1 + np.exp(-(3.2 / 3))))
    assert reader.read == [text]
    prior.save(tmp_path / "p.json")
    loaded = ExperiencePrior.load(tmp_path / "p.json")
    assert loaded.text_probe == named and loaded.reader is None
    with pytest.raises(ValueError, match="attached before it can serve"):
        loaded.for_framework("fw", x, text)
    assert loaded.with_reader(reader).for_framework("fw", x, text) == pytest.approx(three)


def test_the_text_readers_weight_sets_its_share_of_the_prior(tmp_path: Path) -> None:
    x, text = np.array([0.6, 0.8]), "I learned to solder"
    named = TextProbeFile("probe.safetensors", "ab" * 32, weight=0.6)
    prior = _prior(text_probe=named).with_reader(_Reader())
    read = prior.for_framework("fw", x, text)
    # A: embedding 1.2 and lexical 2.0 share 0.4, the text reader's 4.0 has 0.6
    assert read is not None and read["A"] == pytest.approx(1 / (1 + np.exp(-(0.4 * 1.6 + 2.4))))
    prior.save(tmp_path / "p.json")
    assert ExperiencePrior.load(tmp_path / "p.json").text_probe == named
    # a format-3 prior written before the weight was recorded averaged the three views
    raw = json.loads((tmp_path / "p.json").read_text())
    del raw["text_probe"]["weight"]
    (tmp_path / "p.json").write_text(json.dumps(raw))
    old = ExperiencePrior.load(tmp_path / "p.json")
    assert old.text_probe is not None and old.text_probe.weight == pytest.approx(1 / 3)
    equal = old.with_reader(_Reader()).for_framework("fw", x, text)
    assert equal is not None and equal["A"] == pytest.approx(1 / (1 + np.exp(-(7.2 / 3))))
    with pytest.raises(ValueError, match=r"within 0\.\.1"):
        TextProbeFile("probe.safetensors", "ab" * 32, weight=1.5)


def test_a_text_reader_from_another_fit_is_refused() -> None:
    with pytest.raises(ValueError, match="fitted without a text probe"):
        _prior().with_reader(_Reader())
    named = _prior(text_probe=TextProbeFile("probe.safetensors", "ab" * 32))
    with pytest.raises(ValueError, match="was not fitted with prior prior-x"):
        named.with_reader(_Reader(version="prior-y"))
    with pytest.raises(ValueError, match="codes differ"):
        named.with_reader(_Reader(codes=("B", "A")))


def test_a_prior_without_a_text_probe_still_loads(tmp_path: Path) -> None:
    prior = _prior()
    prior.save(tmp_path / "p.json")
    raw = json.loads((tmp_path / "p.json").read_text())
    raw["format"] = 2
    del raw["text_probe"]
    (tmp_path / "p.json").write_text(json.dumps(raw))
    loaded = ExperiencePrior.load(tmp_path / "p.json")
    x, text = np.array([0.6, 0.8]), "budget"
    assert loaded.text_probe is None
    assert loaded.for_framework("fw", x, text) == pytest.approx(prior.for_framework("fw", x, text))
