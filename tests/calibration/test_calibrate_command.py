"""``eval calibrate`` end to end: fit on real experiences with the real model, write the
artefacts (the prior's text probe among them), and serve with them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import torch

from service.calibration import command
from service.calibration.command import calibrate
from service.calibration.text_probe_settings import TextProbeSettings
from service.cli import main
from service.domain.experience import ExtractionOptions
from service.evaluation.dataset import load_dataset
from service.inference.text_probe import EncoderTextProbe
from service.runtime import load_catalog, load_encoder, load_indexes, load_pipeline
from service.settings import PROJECT_ROOT
from service.taxonomy.catalog import TaxonomyCatalog
from tests.conftest import make_settings

DEV = PROJECT_ROOT / "eval" / "datasets" / "experiences-v1" / "dev.jsonl"
FITTED = ("calibration-*.json", "prior-*.json", "fit-summary-*.json", "quality-model-*.json",
          "prior-text-probe-*.safetensors")


def test_calibrate_writes_the_artefacts_the_pipeline_then_serves_with(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    models = tmp_path / "models"
    shutil.copytree(PROJECT_ROOT / "models", models)
    for pattern in FITTED:  # nothing fitted before: what is there afterwards, the fit wrote
        for old in models.rglob(pattern):
            old.unlink()
    subset = tmp_path / "dev-60.jsonl"
    subset.write_text("".join(DEV.read_text(encoding="utf-8").splitlines(keepends=True)[:60]),
                      encoding="utf-8")
    settings = make_settings(tmp_path / "var", models_dir=models)

    # a short text probe fit: what the default one learns is measured in the README
    summary = calibrate([subset], settings, progress=True,
                        text_probe_settings=TextProbeSettings(epochs=2, folds=2))

    err = capsys.readouterr().err
    assert "embedding experiences" in err and "retrieving candidates" in err  # progress bars
    assert "text probe: out-of-fold fits" in err
    model_id = "all-minilm-l6-v2"
    assert summary["experiences"] == 60 and summary["datasets"] == ["dev-60.jsonl"]
    assert sorted(summary["written"]) == sorted([f"quality-model-{model_id}.json",
                                                 f"prior-{model_id}.json",
                                                 f"prior-text-probe-{model_id}.safetensors",
                                                 f"calibration-{model_id}.json"])
    written = json.loads((models / "calibration" / f"fit-summary-{model_id}.json").read_text())
    assert written["dataset_hash"] == summary["dataset_hash"]
    out_of_fold = summary["calibration"]["out_of_fold"]
    assert 0.0 < out_of_fold["f1"] <= 1.0 and out_of_fold["asserted"] > 0
    for dimension in ("responsibility", "complexity", "novelty"):
        assert 0.0 <= summary["quality_out_of_fold_accuracy"][dimension] <= 1.0

    # the pipeline loads what was written (the prior is the one the calibrator was fitted with,
    # its text probe the one the prior was fitted with)
    encoder = load_encoder(settings)
    pipeline = load_pipeline(settings, encoder)
    assert pipeline.prior is not None and pipeline.prior.reader is not None
    assert pipeline.components["prior"].startswith("prior.experience-probe.v3+")
    calibration = json.loads((models / "calibration" / f"calibration-{model_id}.json").read_text())
    assert pipeline.calibration is not None
    assert pipeline.calibration.version == calibration["version"]
    assert any(calibration["version"] in v for v in pipeline.components.values())
    frameworks = ["america-succeeds", "ngss-sep"]
    indexes, _ = load_indexes(settings, encoder,
                              TaxonomyCatalog(load_catalog(settings).select(frameworks)))
    record = load_dataset(DEV)[0]
    result = pipeline.run(record.experience, encoder, [indexes[f] for f in frameworks],
                          ExtractionOptions(taxonomies=frameworks))
    assert result.assertions and result.quality_indicators is not None
    assert all(0.0 < a.score < 1.0 for a in result.assertions)  # calibrated: never 0 or 1
    # the result records the artefacts that produced it: the ones just fitted
    prior = json.loads((models / "calibration" / f"prior-{model_id}.json").read_text())
    recorded = " ".join(result.components.values())
    assert calibration["version"] in recorded and prior["version"] in recorded

    # a probe file that is not the one the prior names is refused at start-up
    probe = models / "calibration" / f"prior-text-probe-{model_id}.safetensors"
    other = EncoderTextProbe.load(probe, encoder.backbone())
    with torch.no_grad():
        other.members[0].head.bias.add_(1.0)
    other.save(probe)
    with pytest.raises(ValueError, match="sha256 differs"):
        load_pipeline(settings, encoder)


@pytest.mark.parametrize(("flag", "value", "told"), [
    ("--text-probe-weight", "1.5", "give a number from 0 to 1, not 1.5"),
    ("--text-probe-weight", "-0.1", "give a number from 0 to 1, not -0.1"),
    ("--text-probe-weight", "half", "give a number, not 'half'"),
    ("--examples-weight", "-1", "give a number of 0 or more, not -1"),
    ("--examples-weight", "nan", "give a finite number, not nan"),
    ("--text-probe-heads", "mean,max", "give heads from mean, attention, separated by commas"),
    ("--text-probe-heads", "", "give heads from mean, attention"),
    ("--examples-weight", "inf", "give a finite number, not inf"),
])
def test_calibrate_refuses_a_weight_out_of_range(flag: str, value: str, told: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["eval", "calibrate", "--dataset", str(DEV), flag, value])
    assert exited.value.code == 2
    assert told in capsys.readouterr().err


def test_calibrate_passes_the_text_probes_weights_to_the_fit(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    asked: list[tuple[bool | None, TextProbeSettings | None]] = []

    def fit(datasets: list[Path], settings: object, progress: bool = False,
            text_probe: bool | None = None,
            text_probe_settings: TextProbeSettings | None = None) -> dict[str, object]:
        asked.append((text_probe, text_probe_settings))
        return {"experiences": 0}

    monkeypatch.setattr(command, "calibrate", fit)
    assert main(["eval", "calibrate", "--dataset", str(DEV), "--no-progress",
                 "--text-probe-weight", "0.5", "--examples-weight", "0"]) == 0
    assert main(["eval", "calibrate", "--dataset", str(DEV), "--no-progress"]) == 0
    assert main(["eval", "calibrate", "--dataset", str(DEV), "--no-progress",
                 "--text-probe-heads", "mean, attention"]) == 0
    assert asked == [(None, TextProbeSettings(weight=0.5, taxonomy_weight=0.0)),
                     (None, TextProbeSettings()),
                     (None, TextProbeSettings(heads=("mean", "attention")))]
    # settings of a probe that is not fitted are a mistake, not something to ignore
    for flag, value in (("--examples-weight", "0.5"), ("--text-probe-heads", "attention")):
        assert main(["eval", "calibrate", "--dataset", str(DEV), "--no-text-probe",
                     flag, value]) == 2
        assert "leave them out with --no-text-probe" in capsys.readouterr().err
    assert len(asked) == 3


@pytest.mark.parametrize("wrong", [{"weight": 1.2}, {"weight": -0.01}, {"folds": 1},
                                   {"epochs": 0}, {"frozen": -1},
                                   {"taxonomy_weight": -0.5},
                                   {"taxonomy_weight": float("nan")},
                                   {"heads": ()}, {"heads": ("mean", "max")}])
def test_text_probe_settings_refuse_what_cannot_be_fitted(wrong: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="must be"):
        TextProbeSettings(**wrong)  # type: ignore[arg-type]


def test_the_settings_know_every_head_the_probe_has() -> None:
    """The settings name the heads without importing torch; they must be the probe's."""
    from service.calibration.text_probe_settings import KNOWN_HEADS
    from service.inference.text_probe import HEADS

    assert KNOWN_HEADS == HEADS
