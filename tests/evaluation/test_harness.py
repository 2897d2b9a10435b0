"""The harness end to end on real experiences with the real model: files, ranges, and the same
assertions the API makes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.cli import main
from service.domain.experience import ExtractionOptions
from service.domain.quality import VerifiedQuality
from service.evaluation.dataset import load_dataset
from service.evaluation.runner import PipelineRunner
from service.evaluation.service import evaluate_dataset
from service.runtime import load_encoder, load_indexes, load_pipeline
from service.settings import PROJECT_ROOT
from service.taxonomy.catalog import TaxonomyCatalog
from tests.conftest import make_settings

DEV = PROJECT_ROOT / "eval" / "datasets" / "experiences-v1" / "dev.jsonl"


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One six-experience run of dev.jsonl, shared by the tests of this module."""
    var = tmp_path_factory.mktemp("eval-var")
    out = var / "runs" / "first-six"
    evaluate_dataset(make_settings(var), DEV, out, limit=6, progress=False)
    return out


def _unit_interval(tree: object, path: str = "") -> list[str]:
    """Paths of scores outside [0, 1] (counts, seconds and thresholds excepted)."""
    bad: list[str] = []
    if isinstance(tree, dict):
        for key, value in tree.items():
            skipped = {"run", "counts", "count", "n", "correct", "predicted", "mean_shift",
                       "bias"}
            if key in skipped or key.startswith("n_"):
                continue
            bad += _unit_interval(value, f"{path}.{key}")
    elif isinstance(tree, list):
        for i, value in enumerate(tree):
            bad += _unit_interval(value, f"{path}[{i}]")
    elif isinstance(tree, float) and not 0.0 <= tree <= 1.0:
        bad.append(f"{path}={tree}")
    return bad


def test_run_writes_metrics_predictions_and_report(run_dir: Path) -> None:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    run = metrics["run"]
    assert run["n_experiences"] == 6
    assert run["model_id"] == "all-minilm-l6-v2"
    assert {"segment", "retrieve", "score", "select", "explain"} <= set(run["components"])
    assert {t["id"] for t in run["taxonomies"]} == {
        "ngss-sep", "ngss-ccc", "career-clusters-2024", "america-succeeds"}
    assert all(t["content_hash"].startswith("sha256:") for t in run["taxonomies"])
    assert run["seconds"]["extract"] > 0
    # the shipped artefacts were fitted on the dev split (with other dev files, joined by "+")
    assert run["in_sample"] is True and len(run["fitted_on"]) >= 1
    assert _unit_interval(metrics) == []
    assert metrics["overall"]["strict"]["counts"]["tp"] > 0
    assert 0 < metrics["ranking"]["all"]["mrr"] <= 1
    assert metrics["calibration"]["all_candidates"]["ece"] is not None
    assert len(metrics["calibration"]["asserted"]["bins"]) == 10
    assert metrics["per_framework"]["america-succeeds"]["per_code"]
    by_strength = metrics["recall_by_strength"]["all"]
    assert (by_strength["clear"]["gold"] + by_strength["weak"]["gold"]
            == metrics["overall"]["strict"]["counts"]["tp"]
            + metrics["overall"]["strict"]["counts"]["fn"])
    assert (by_strength["clear"]["found"] + by_strength["weak"]["found"]
            == metrics["overall"]["strict"]["counts"]["tp"])
    for strength in ("clear", "weak"):  # every found code was asserted at some level
        assert sum(by_strength[strength]["by_confidence"].values()) == (
            by_strength[strength]["found"])

    predictions = [json.loads(line) for line in
                   (run_dir / "predictions.jsonl").read_text().splitlines()]
    estimated = all(p["quality"] is not None for p in predictions)
    assert metrics["quality"]["status"] == ("estimated" if estimated else "not estimated")
    if estimated:
        assert set(metrics["quality"]["per_indicator"]) == {
            "responsibility", "complexity", "novelty"}
        shifts = metrics["quality"]["under_repetition"]
        assert set(shifts) == {"responsibility", "complexity", "novelty"}
        assert all(s["n"] == 6 and -3 <= s["mean_shift"] <= 3 for s in shifts.values())
        assert all(p["quality_repeated"] is not None for p in predictions)
    assert [p["id"] for p in predictions] == [f"exp-dev-00{i}" for i in range(1, 7)]
    codes = {c["code"] for p in predictions for c in p["candidates"]
             if c["framework"] == "america-succeeds"}
    assert codes and all("." not in code for code in codes)  # indicators rolled up

    html = (run_dir / "report.html").read_text()
    assert html.startswith("<!doctype html>")
    assert html.count("<svg") == 3
    assert "Worst errors" in html and "Quality indicators" in html
    assert "Recall by gold strength" in html and "clear found as high / medium / low" in html
    assert "changed with the narrative twice" in html
    low = metrics["intervals"]["metrics"]["micro_f1"]["low"]
    assert "How far these figures can move" in html and f"{low:.3f}" in html
    noise = metrics["intervals"]["ece_noise"]  # the asserted codes' ECE against its noise
    assert noise["observed"] == pytest.approx(metrics["calibration"]["asserted"]["ece"])
    assert noise["draws"] == metrics["intervals"]["resamples"]
    assert "perfectly calibrated model with exactly these scores" in html
    assert f"{noise['corrected']['estimate']:.3f}" in html
    assert ("Precision rises from low to medium to high in" in html
            or "Some level was never asserted" in html)
    assert "<script" not in html and "<link" not in html and "src=" not in html  # one file


def test_operating_point_is_what_the_api_asserts(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    records = load_dataset(DEV, limit=3)
    frameworks = records[0].gold.labelled_frameworks
    taxonomies = TaxonomyCatalog.from_directory(settings.taxonomies_dir).select(frameworks)
    encoder = load_encoder(settings)
    indexes, _ = load_indexes(settings, encoder, TaxonomyCatalog(taxonomies))
    api = load_pipeline(settings, encoder)  # the API's pipeline, with its fitted artefacts
    runner = PipelineRunner(encoder, indexes, api)
    floors = runner.operating_floors
    for record in records:
        result = api.run(record.experience, encoder, [indexes[f] for f in frameworks],
                         ExtractionOptions(taxonomies=frameworks))
        expected = {f"{a.skill.framework}:"
                    f"{indexes[a.skill.framework].taxonomy.root_of(a.skill.id).code}"
                    for a in result.assertions}
        predicted = runner.predict(record)
        assert {c.key for c in predicted.candidates if c.asserted} == expected
        # the scan-all copy adds candidates below the floor but changes no score above it
        assert all(c.asserted == (c.score >= floors[c.framework])
                   for c in predicted.candidates if abs(c.score - floors[c.framework]) > 1e-3)
        assert len(predicted.candidates) >= len(expected)
        quality = result.quality_indicators
        assert (predicted.quality.model_dump() if predicted.quality else None) == (
            quality.levels() if quality else None)
        # what the runner reads as "the narrative twice" is what the API estimates for it
        twice = record.experience.model_copy(update={
            "narrative": f"{record.experience.narrative}\n\n{record.experience.narrative}"})
        repeated = api.run(twice, encoder, [indexes[f] for f in frameworks],
                           ExtractionOptions(taxonomies=frameworks)).quality_indicators
        assert repeated is not None and predicted.quality_repeated is not None
        assert predicted.quality_repeated.model_dump() == repeated.levels()
    # a level the platform verified stays verified, so it never counts as moving
    verified = records[0].model_copy(update={"experience": records[0].experience.model_copy(
        update={"quality_indicators": VerifiedQuality(novelty=4)})})
    predicted = runner.predict(verified)
    assert predicted.quality is not None and predicted.quality_repeated is not None
    assert predicted.quality.novelty == predicted.quality_repeated.novelty == 4
    assert not api.scan_all and set(floors) == set(frameworks)


def test_compare_prints_deltas(run_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "compare", str(run_dir), str(run_dir / "metrics.json"),
                 "--match", "overall.strict.micro"]) == 0
    out = capsys.readouterr().out
    assert "overall.strict.micro.f1" in out
    assert "+0.0000" in out
    assert "runs differ" not in out


def test_compare_pairs_two_runs_of_one_dataset_on_the_same_resamples(
        run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    metrics = json.loads((run_dir / "metrics.json").read_text())
    interval = metrics["intervals"]["metrics"]["micro_f1"]
    assert interval["estimate"] == pytest.approx(metrics["overall"]["strict"]["micro"]["f1"])
    assert interval["low"] <= interval["estimate"] <= interval["high"]
    # the same run twice: every paired difference is exactly nothing
    assert main(["eval", "compare", str(run_dir), str(run_dir), "--match", "micro_f1"]) == 0
    out = capsys.readouterr().out
    assert "paired bootstrap over 6 experiences (2000 resamples" in out
    paired = [line for line in out.splitlines() if line.startswith("micro_f1 ")]
    assert len(paired) == 1 and "[+0.0000, +0.0000]" in paired[0]
    # a metrics file on its own (no predictions beside it): the deltas, and why not paired
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "metrics.json").write_text((run_dir / "metrics.json").read_text())
    assert main(["eval", "compare", str(run_dir), str(alone)]) == 0
    assert "no paired interval: run B has no predictions.jsonl" in capsys.readouterr().out
    # another dataset: the experiences cannot be paired
    other = tmp_path / "other"
    other.mkdir()
    moved = metrics | {"run": metrics["run"] | {"dataset_hash": "sha256:other"}}
    (other / "metrics.json").write_text(json.dumps(moved))
    (other / "predictions.jsonl").write_text((run_dir / "predictions.jsonl").read_text())
    assert main(["eval", "compare", str(run_dir), str(other)]) == 0
    assert "the runs read different datasets" in capsys.readouterr().out
    # the same file, fewer experiences (`eval run --limit`): the deltas, and why not paired
    fewer = tmp_path / "fewer"
    fewer.mkdir()
    (fewer / "metrics.json").write_text((run_dir / "metrics.json").read_text())
    (fewer / "predictions.jsonl").write_text(
        "".join((run_dir / "predictions.jsonl").read_text().splitlines(keepends=True)[:4]))
    assert main(["eval", "compare", str(run_dir), str(fewer)]) == 0
    out = capsys.readouterr().out
    assert "overall.strict.micro.f1" in out
    assert "no paired interval: the runs hold different experiences (2 only in A" in out
    # predictions of another shape: named, and still only the pairing is given up
    (fewer / "predictions.jsonl").write_text('{"id": "x"}\n')
    assert main(["eval", "compare", str(run_dir), str(fewer)]) == 0
    assert "is not a prediction file of `eval run`" in capsys.readouterr().out
    assert main(["eval", "compare", str(run_dir), str(run_dir), "--resamples", "10"]) == 2
    assert "use at least 100" in capsys.readouterr().err


def test_calibrate_refuses_an_experience_given_twice(tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    two = tmp_path / "two.jsonl"
    two.write_text("".join(DEV.read_text(encoding="utf-8").splitlines(keepends=True)[:2]),
                   encoding="utf-8")
    assert main(["eval", "calibrate", "--dataset", str(DEV), "--dataset", str(two)]) == 2
    assert "exp-dev-001, exp-dev-002" in capsys.readouterr().err
