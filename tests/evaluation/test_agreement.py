"""Inter-annotator agreement: the formulas by hand, the file checks, the command end to end, and
the second annotation committed for the test split."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.cli import main
from service.evaluation.agreement import (
    SecondAnnotation,
    agreement_report,
    annotator_agreement,
    cohen_kappa,
    load_annotation,
    model_agreement,
)
from service.evaluation.dataset import DatasetError, LabelledExperience, load_dataset
from service.evaluation.runner import CodePrediction, ExperiencePrediction
from service.settings import PROJECT_ROOT
from service.taxonomy.catalog import TaxonomyCatalog

DATASET = PROJECT_ROOT / "eval" / "datasets" / "experiences-v1"
CODES = {"ngss-sep": [f"SEP{i}" for i in range(1, 9)],
         "ngss-ccc": [f"CCC{i}" for i in range(1, 8)],
         "career-clusters-2024": ["010100", "060200"],
         "america-succeeds": ["AS-COLLAB", "AS-COMM", "AS-CRIT", "AS-LEAD"]}


def _skills(*keys: str, weak: tuple[str, ...] = ()) -> list[dict[str, str]]:
    return [{"framework": k.split(":")[0], "code": k.split(":")[1],
             "strength": "weak" if k in weak else "clear"} for k in keys]


def _records(*golds: list[dict[str, str]]) -> list[LabelledExperience]:
    """The first dev experiences, with the given gold skills."""
    base = load_dataset(DATASET / "dev.jsonl", limit=len(golds))
    return [LabelledExperience.model_validate(
        r.model_dump() | {"gold": r.gold.model_dump() | {"skills": gold}})
        for r, gold in zip(base, golds, strict=True)]


def _second(record: LabelledExperience, skills: list[dict[str, str]],
            responsibility: int = 2) -> SecondAnnotation:
    return SecondAnnotation.model_validate(
        {"id": record.id, "skills": skills,
         "quality": {"responsibility": responsibility, "complexity": 2, "novelty": 1}})


def _prediction(record: LabelledExperience, asserted: list[str]) -> ExperiencePrediction:
    return ExperiencePrediction(
        id=record.id, category=record.experience.category.value, title=None, tags=[],
        labelled_frameworks=record.gold.labelled_frameworks, gold=record.gold.skills,
        gold_quality=record.gold.quality, seconds=0.0,
        candidates=[CodePrediction(framework=k.split(":")[0], code=k.split(":")[1], label=k,
                                   score=0.5, asserted=True, confidence=None,
                                   matched_item=k.split(":")[1], rationale="")
                    for k in asserted])


def test_kappa_by_hand() -> None:
    # observed 3/4; chance 0.5 * 0.25 + 0.5 * 0.75 = 0.5; kappa (0.75 - 0.5) / 0.5
    assert cohen_kappa([True, True, False, False], [True, False, False, False]) == 0.5
    assert cohen_kappa([True, False], [False, True]) == -1.0
    assert cohen_kappa([False, False], [False, False]) is None  # chance agreement is total
    with pytest.raises(ValueError):
        cohen_kappa([True], [])


def test_annotators_f1_is_symmetric_and_kappa_counts_every_code() -> None:
    records = _records(_skills("ngss-sep:SEP3", "america-succeeds:AS-COMM",
                               "america-succeeds:AS-CRIT", weak=("america-succeeds:AS-CRIT",)),
                       _skills("career-clusters-2024:060200"))
    second = {records[0].id: _second(records[0], _skills(
                  "ngss-sep:SEP3", "america-succeeds:AS-CRIT", "america-succeeds:AS-LEAD")),
              records[1].id: _second(records[1], [])}
    result = annotator_agreement(records, second, CODES)
    # gold 4 labels, second 3, 2 shared: F1 = 2 * 2 / (4 + 3)
    assert result.micro.f1 == pytest.approx(4 / 7)
    assert (result.labels_reference, result.labels_second) == (4, 3)
    # clear only: gold {SEP3, AS-COMM, 060200}, second {SEP3, AS-CRIT, AS-LEAD}: 1 shared
    assert result.micro_clear.f1 == pytest.approx(2 / 6)
    # 2 experiences x 21 codes; disagreements: AS-COMM, AS-LEAD, 060200
    assert result.decisions == 42
    p_ref, p_sec = 4 / 42, 3 / 42
    chance = p_ref * p_sec + (1 - p_ref) * (1 - p_sec)
    assert result.kappa == pytest.approx((39 / 42 - chance) / (1 - chance))
    sep = annotator_agreement(records, second, CODES, {"ngss-sep"})
    assert sep.micro.f1 == 1.0 and sep.kappa == 1.0 and sep.decisions == 16


def test_consensus_reading_leaves_disputed_codes_out() -> None:
    records = _records(_skills("ngss-sep:SEP3", "america-succeeds:AS-COMM"))
    second = {records[0].id: _second(records[0], _skills("ngss-sep:SEP3",
                                                          "america-succeeds:AS-LEAD"))}
    run = {records[0].id: _prediction(records[0], ["ngss-sep:SEP3", "america-succeeds:AS-LEAD",
                                                    "america-succeeds:AS-CRIT"])}
    result = model_agreement(records, second, run)
    assert result.disputed == 2  # AS-COMM (gold only) and AS-LEAD (second only)
    assert (result.vs_reference.counts.tp, result.vs_reference.counts.fp,
            result.vs_reference.counts.fn) == (1, 2, 1)
    assert (result.vs_second.counts.tp, result.vs_second.counts.fp) == (2, 1)
    # consensus {SEP3}; AS-LEAD disputed, so neither rewarded nor penalised; AS-CRIT is wrong
    consensus = result.vs_consensus.counts
    assert (consensus.tp, consensus.fp, consensus.fn) == (1, 1, 0)


def test_report_needs_a_prediction_for_every_experience() -> None:
    records = _records([], [])
    second = {r.id: _second(r, []) for r in records}
    with pytest.raises(DatasetError, match="no prediction for 1 experiences"):
        agreement_report("d", "a", records, second, CODES, [_prediction(records[0], [])])


def _write(path: Path, rows: list[dict[str, object]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.mark.parametrize(("change", "message"), [
    (lambda rows: rows[:1], r"1 experiences are not annotated"),
    (lambda rows: [*rows, rows[0]], r":3: 'exp-dev-001' is annotated twice"),
    (lambda rows: [rows[0] | {"id": "exp-x"}, rows[1]], r":1: 'exp-x' is not in the dataset"),
    (lambda rows: [rows[0] | {"skills": _skills("ngss-sep:SEP9")}, rows[1]],
     r":1: ngss-sep:SEP9: not a top-level code"),
    (lambda rows: [rows[0] | {"skills": _skills("esco:S1")}, rows[1]],
     r":1: 'exp-dev-001' labels esco, which the dataset does not label"),
    (lambda rows: [rows[0] | {"quality": {"responsibility": 5, "complexity": 1,
                                          "novelty": 1}}, rows[1]],
     r":1: quality\.responsibility"),
])
def test_annotation_file_problems_name_the_line(tmp_path: Path, change: object,
                                                message: str) -> None:
    records = _records([], [])
    rows: list[dict[str, object]] = [
        {"id": r.id, "skills": [], "quality": {"responsibility": 1, "complexity": 1,
                                               "novelty": 1}} for r in records]
    path = _write(tmp_path / "b.jsonl", change(rows))  # type: ignore[operator]
    with pytest.raises(DatasetError, match=message):
        load_annotation(path, records, CODES)


def test_command_writes_the_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    records = _records(_skills("ngss-sep:SEP3", "america-succeeds:AS-COMM"), [])
    dataset = _write(tmp_path / "two.jsonl", [r.model_dump(mode="json") for r in records])
    annotation = _write(tmp_path / "b.jsonl", [
        _second(records[0], _skills("ngss-sep:SEP3"), responsibility=3).model_dump(mode="json"),
        _second(records[1], []).model_dump(mode="json")])
    run = tmp_path / "run"
    run.mkdir()
    _write(run / "predictions.jsonl", [
        _prediction(records[0], ["ngss-sep:SEP3"]).model_dump(mode="json"),
        _prediction(records[1], ["america-succeeds:AS-LEAD"]).model_dump(mode="json")])
    code = main(["eval", "agreement", "--dataset", str(dataset), "--annotation",
                 str(annotation), "--run", str(run)])
    out = capsys.readouterr().out
    assert code == 0, out
    report = json.loads((run / "agreement.json").read_text())
    assert report["n_experiences"] == 2
    assert report["annotators"]["all"]["micro"]["f1"] == pytest.approx(2 / 3)
    assert report["quality"]["responsibility"]["within_one"] == 1.0
    assert report["model"]["all"]["vs_consensus"]["counts"] == {"tp": 1, "fp": 1, "fn": 0}
    assert "all: micro-F1 0.667" in out

    bad = _write(tmp_path / "bad.jsonl", [{"id": "exp-x"}])
    assert main(["eval", "agreement", "--dataset", str(dataset), "--annotation",
                 str(bad)]) == 2
    assert "bad.jsonl:1" in capsys.readouterr().err


SECOND = DATASET / "test.second-annotation.jsonl"


@pytest.mark.skipif(not SECOND.exists(), reason="no second annotation committed")
def test_committed_second_annotation_covers_the_test_split() -> None:
    records = load_dataset(DATASET / "test.jsonl")
    catalog = TaxonomyCatalog.from_directory(PROJECT_ROOT / "taxonomies")
    codes = {t.id: [i.code for i in t.items if i.parent is None]
             for t in catalog.select(records[0].gold.labelled_frameworks)}
    second = load_annotation(SECOND, records, codes)
    assert set(second) == {r.id for r in records}
