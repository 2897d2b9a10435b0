"""A run's metrics, assembled over slices, on predictions written by hand."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from service.domain.experience import ConfidenceLevel
from service.evaluation.dataset import GoldSkill, QualityRatings, Strength
from service.evaluation.runner import CodePrediction, ExperiencePrediction, RunInfo
from service.evaluation.summary import summarize
from service.settings import PROJECT_ROOT
from service.taxonomy.catalog import TaxonomyCatalog

RATING = QualityRatings(responsibility=2, complexity=2, novelty=1)


def _candidate(key: str, score: float, level: ConfidenceLevel | None) -> CodePrediction:
    framework, code = key.split(":")
    return CodePrediction(framework=framework, code=code, label=code, score=score,
                          asserted=level is not None, confidence=level, matched_item=code,
                          rationale="")


def _experience(ident: str, category: str, gold: dict[str, Strength],
                candidates: list[CodePrediction]) -> ExperiencePrediction:
    return ExperiencePrediction(
        id=ident, category=category, title=None, tags=["thin"] if category == "course" else [],
        labelled_frameworks=["fw-a", "fw-b"],
        gold=[GoldSkill(framework=k.split(":")[0], code=k.split(":")[1], strength=s)
              for k, s in gold.items()],
        gold_quality=RATING, candidates=candidates, seconds=0.1)


def _run() -> RunInfo:
    return RunInfo(dataset="hand", dataset_hash="sha256:0", n_experiences=2, model_id="m",
                   pipeline_version="1", components={}, taxonomies=[],
                   operating_floors={"fw-a": 0.35, "fw-b": 0.35}, fitted_on=[], in_sample=False,
                   started_at=datetime.now(UTC), seconds={})


PREDICTIONS = [
    # asserted: A1 (gold, high), A2 (not gold, low); scored below the floor: B1 (gold, weak)
    _experience("e1", "service", {"fw-a:A1": Strength.CLEAR, "fw-b:B1": Strength.WEAK},
                [_candidate("fw-a:A1", 0.9, ConfidenceLevel.HIGH),
                 _candidate("fw-a:A2", 0.5, ConfidenceLevel.LOW),
                 _candidate("fw-b:B1", 0.2, None)]),
    # asserted: B1 (weak gold, medium); A1 is gold and never scored
    _experience("e2", "course", {"fw-a:A1": Strength.CLEAR, "fw-b:B1": Strength.WEAK},
                [_candidate("fw-b:B1", 0.6, ConfidenceLevel.MEDIUM)]),
]


def test_operating_point_strict_and_lenient() -> None:
    result = summarize(_run(), PREDICTIONS)
    strict = result.overall.strict
    # A1: tp 1, fn 1; A2: fp 1; B1: tp 1, fn 1 -> P 2/3, R 2/4
    assert (strict.counts.tp, strict.counts.fp, strict.counts.fn) == (2, 1, 2)
    assert strict.micro.precision == pytest.approx(2 / 3)
    assert strict.micro.recall == pytest.approx(0.5)
    # per code F1: A1 2/3, A2 0, B1 2/3
    assert strict.macro.f1 == pytest.approx((2 / 3 + 0 + 2 / 3) / 3)
    lenient = result.overall.lenient  # the weak B1 counts neither way
    assert (lenient.counts.tp, lenient.counts.fp, lenient.counts.fn) == (1, 1, 1)
    assert result.per_framework["fw-b"].strict.micro.f1 == pytest.approx(2 / 3)
    assert result.per_framework["fw-a"].per_code["A2"].counts.fp == 1
    assert result.per_category["course"].strict.micro.precision == 1.0
    # each framework's calibration over its own codes: fw-a asserted A1 0.9 (right) and
    # A2 0.5 (wrong): bins 0.9 and 0.5, ECE (0.1 + 0.5) / 2; fw-b's B1 0.6 asserted, right
    fw_a, fw_b = result.per_framework["fw-a"], result.per_framework["fw-b"]
    assert fw_a.calibration["asserted"].n == 2
    assert fw_a.calibration["asserted"].ece == pytest.approx((0.1 + 0.5) / 2)
    assert fw_b.calibration["asserted"].ece == pytest.approx(0.4)
    # all scored: B1 0.2 (gold, e1) and 0.6 (gold, e2): |1 - 0.2| and |1 - 0.6|, halved
    assert fw_b.calibration["all_candidates"].ece == pytest.approx((0.8 + 0.4) / 2)
    assert result.per_tag["thin"].strict.n_experiences == 1


def test_confidence_levels_ranking_and_curve() -> None:
    result = summarize(_run(), PREDICTIONS)
    levels = result.confidence_levels
    assert (levels["high"].n, levels["high"].precision) == (1, 1.0)
    assert (levels["low"].n, levels["low"].precision) == (1, 0.0)
    assert (levels["medium"].precision, levels["medium"].lenient_precision) == (1.0, 0.0)
    ranking = result.ranking["all"]
    # e1: [A1, A2, B1] vs {A1, B1}: RP@5 1, RR 1; e2: [B1] vs {A1, B1}: RP@5 1/2, RR 1
    assert ranking.rp_at_5 == pytest.approx(0.75)
    assert ranking.mrr == 1.0
    assert result.ranking["fw-a"].mrr == pytest.approx(0.5)  # e2 never ranks A1
    op = result.pr_curve.operating_point
    assert (op.precision, op.recall, op.predicted) == pytest.approx((2 / 3, 0.5, 3))
    zero = result.pr_curve.points[0]
    assert zero.predicted == 4
    assert zero.recall == pytest.approx(0.75)
    assert result.calibration["asserted"].n == 3
    assert result.calibration["all_candidates"].n == 4


def test_recall_by_gold_strength() -> None:
    result = summarize(_run(), PREDICTIONS)
    overall = result.recall_by_strength["all"]
    # clear A1: found in e1, never scored in e2; weak B1: below the floor in e1, asserted in e2
    assert (overall["clear"].gold, overall["clear"].found) == (2, 1)
    assert (overall["weak"].gold, overall["weak"].found) == (2, 1)
    assert overall["weak"].recall == pytest.approx(0.5)
    # the confidence each found code was asserted at (the annotated strength is the expected one)
    assert overall["clear"].by_confidence == {"high": 1, "medium": 0, "low": 0}  # A1 in e1
    assert overall["weak"].by_confidence == {"high": 0, "medium": 1, "low": 0}  # B1 in e2
    assert result.recall_by_strength["fw-a"]["weak"].gold == 0
    assert result.recall_by_strength["fw-a"]["weak"].recall == 0.0
    assert result.recall_by_strength["fw-b"]["clear"].gold == 0
    assert (result.recall_by_strength["fw-b"]["weak"].found,
            result.recall_by_strength["fw-b"]["weak"].gold) == (1, 2)


def test_quality_is_reported_only_when_estimated() -> None:
    assert summarize(_run(), PREDICTIONS).quality.status == "not estimated"
    rated = [p.model_copy(update={"quality": RATING}) for p in PREDICTIONS]
    quality = summarize(_run(), rated).quality
    assert quality.status == "estimated"
    assert quality.per_indicator["novelty"].exact == 1.0
    assert quality.under_repetition == {}  # nothing estimated twice, nothing to read


def test_quality_under_repetition_counts_the_levels_that_move() -> None:
    once = QualityRatings(responsibility=2, complexity=2, novelty=3)
    rated = [PREDICTIONS[0].model_copy(update={
                 "quality": once,
                 "quality_repeated": QualityRatings(responsibility=3, complexity=2, novelty=1)}),
             PREDICTIONS[1].model_copy(update={
                 "quality": once,
                 "quality_repeated": QualityRatings(responsibility=3, complexity=2, novelty=3)})]
    shifts = summarize(_run(), rated).quality.under_repetition
    assert (shifts["responsibility"].changed, shifts["responsibility"].raised) == (1.0, 1.0)
    assert shifts["responsibility"].mean_shift == pytest.approx(1.0)
    assert (shifts["complexity"].changed, shifts["complexity"].mean_shift) == (0.0, 0.0)
    assert (shifts["novelty"].changed, shifts["novelty"].raised) == (0.5, 0.0)
    assert shifts["novelty"].mean_shift == pytest.approx(-1.0)
    assert shifts["novelty"].n == 2


def test_predicted_children_roll_up_to_the_gold_level() -> None:
    catalog = TaxonomyCatalog.from_directory(PROJECT_ROOT / "taxonomies")
    durable = catalog.get("america-succeeds")
    indicator = next(i for i in durable.items if i.code == "AS-COLLAB.1")
    assert durable.root_of(indicator.identifier).code == "AS-COLLAB"
    clusters = catalog.get("career-clusters-2024")
    sub = next(i for i in clusters.items if i.code == "010101")
    assert clusters.root_of(sub.identifier).code == "010100"
    sep = catalog.get("ngss-sep")
    assert sep.root_of(sep.items[2].identifier).code == "SEP3"
