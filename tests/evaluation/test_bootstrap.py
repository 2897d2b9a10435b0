"""Bootstrap intervals and paired comparisons, on predictions made up with a seeded generator."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence

import numpy as np
import pytest

from service.domain.experience import ConfidenceLevel
from service.evaluation import bootstrap
from service.evaluation.dataset import GoldSkill, QualityRatings, Strength
from service.evaluation.runner import CodePrediction, ExperiencePrediction
from service.evaluation.summary import summarize
from tests.evaluation.test_summary import _run

FRAMEWORKS = {"fw-a": ["A1", "A2", "A3", "A4"], "fw-b": ["B1", "B2", "B3"]}
LEVELS = [ConfidenceLevel.LOW, ConfidenceLevel.MEDIUM, ConfidenceLevel.HIGH]


def _experience(rng: random.Random, n: int) -> ExperiencePrediction:
    gold, candidates = [], []
    for framework, codes in FRAMEWORKS.items():
        for code in codes:
            if rng.random() < 0.4:
                gold.append(GoldSkill(framework=framework, code=code,
                                      strength=rng.choice([Strength.CLEAR, Strength.WEAK])))
            if rng.random() < 0.7:
                score = rng.random()
                asserted = score >= 0.35
                candidates.append(CodePrediction(
                    framework=framework, code=code, label=code, score=score, asserted=asserted,
                    confidence=rng.choice(LEVELS) if asserted else None, matched_item=code,
                    rationale=""))
    candidates.sort(key=lambda c: -c.score)

    def rating() -> QualityRatings:
        return QualityRatings(responsibility=rng.randint(1, 4), complexity=rng.randint(1, 4),
                              novelty=rng.randint(1, 4))

    return ExperiencePrediction(
        id=f"e{n:03d}", category=rng.choice(["service", "course"]), title=None, tags=[],
        labelled_frameworks=list(FRAMEWORKS), gold=gold, gold_quality=rating(),
        quality=rating(), candidates=candidates, seconds=0.1)


def _predictions(n: int, seed: int = 7) -> list[ExperiencePrediction]:
    rng = random.Random(seed)
    return [_experience(rng, i) for i in range(n)]


def _with_one_more_hit(predictions: list[ExperiencePrediction]) -> list[ExperiencePrediction]:
    """Each experience asserts one more of its gold codes, where one was missed."""
    better = []
    for p in predictions:
        asserted = {c.key for c in p.candidates if c.asserted}
        missed = [g for g in p.gold if g.key not in asserted]
        if not missed:
            better.append(p)
            continue
        g = missed[0]
        others = [c for c in p.candidates if c.key != g.key]
        found = CodePrediction(framework=g.framework, code=g.code, label=g.code, score=0.8,
                               asserted=True, confidence=ConfidenceLevel.HIGH,
                               matched_item=g.code, rationale="")
        better.append(p.model_copy(update={"candidates": [found, *others]}))
    return better


def test_the_full_sample_reads_exactly_what_the_run_reports() -> None:
    predictions = _predictions(60)
    result = summarize(_run(), predictions)
    full = bootstrap.Tally.of(predictions).read(np.ones((1, len(predictions))))
    expected = {
        "micro_precision": result.overall.strict.micro.precision,
        "micro_recall": result.overall.strict.micro.recall,
        "micro_f1": result.overall.strict.micro.f1,
        "macro_f1": result.overall.strict.macro.f1,
        "lenient_micro_f1": result.overall.lenient.micro.f1,
        "ece_asserted": result.calibration["asserted"].ece,
        "micro_f1:fw-a": result.per_framework["fw-a"].strict.micro.f1,
        "micro_f1:fw-b": result.per_framework["fw-b"].strict.micro.f1,
    } | {f"quality_exact:{name}": q.exact for name, q in result.quality.per_indicator.items()
         } | {f"precision_at:{level}": v.precision for level, v in result.confidence_levels.items()}
    assert set(full) == set(expected)
    for name, value in expected.items():
        assert full[name][0] == pytest.approx(value, abs=1e-12), name
    # and the run's metrics carry those intervals
    assert result.intervals.metrics["micro_f1"].estimate == pytest.approx(
        result.overall.strict.micro.f1)
    assert result.intervals.resamples == bootstrap.RESAMPLES


def test_intervals_hold_the_estimate_narrow_with_more_experiences_and_repeat() -> None:
    small, large = _predictions(30), _predictions(300)
    a, b = bootstrap.intervals(small), bootstrap.intervals(small)
    assert a == b  # seeded: the same reading twice
    for name in ("micro_precision", "micro_recall", "micro_f1", "lenient_micro_f1"):
        i = a.metrics[name]
        assert i.low < i.estimate < i.high, name
    wide, narrow = a.metrics["micro_f1"], bootstrap.intervals(large).metrics["micro_f1"]
    # the width of a percentile interval falls about as 1/sqrt(n): ten times the data, about
    # a third of the width
    assert narrow.high - narrow.low < 0.6 * (wide.high - wide.low)
    other = bootstrap.intervals(small, seed=1).metrics["micro_f1"]
    assert (other.low, other.high) != (wide.low, wide.high)


def test_every_resample_draws_as_many_experiences_as_there_are() -> None:
    weights = bootstrap.resample_weights(25, 200, seed=3)
    assert weights.shape == (200, 25)
    assert (weights.sum(axis=1) == 25).all()
    assert (weights == 0).any()  # some experiences left out of some resamples
    assert weights.max() > 1  # and some drawn more than once


def test_a_run_paired_with_itself_changes_nothing() -> None:
    predictions = _predictions(40)
    rows = bootstrap.paired(predictions, list(reversed(predictions)))  # order does not matter
    assert rows
    for r in rows:
        assert (r.delta, r.low, r.high, r.b_better) == (0.0, 0.0, 0.0, 0.0), r.metric


def test_a_run_that_finds_more_gold_is_better_on_every_resample() -> None:
    a = _predictions(80)
    b = _with_one_more_hit(a)
    rows = {r.metric: r for r in bootstrap.paired(a, b, resamples=500)}
    f1 = rows["micro_f1"]
    assert f1.delta > 0 and f1.low > 0
    assert f1.b_better == 1.0
    recall = rows["micro_recall"]
    assert recall.low <= recall.delta <= recall.high
    # ECE: lower is better, so "B better" counts the resamples where B reads lower
    weights = bootstrap.resample_weights(len(a), 500, bootstrap.SEED)
    ece_a = bootstrap.Tally.of(a).read(weights)["ece_asserted"]
    ece_b = bootstrap.Tally.of(b).read(weights)["ece_asserted"]
    assert rows["ece_asserted"].b_better == pytest.approx(float(np.mean(ece_b < ece_a)))
    assert rows["ece_asserted"].b_better != pytest.approx(float(np.mean(ece_b > ece_a)))
    only = bootstrap.paired(a, b, resamples=500, keep=lambda name: name == "ece_asserted")
    assert [r.metric for r in only] == ["ece_asserted"]
    table = bootstrap.format_paired(list(rows.values()), len(a), 500, bootstrap.LEVEL)
    assert "paired bootstrap over 80 experiences (500 resamples" in table
    assert "micro_f1:fw-a" in table


def test_runs_of_other_experiences_or_other_gold_are_not_paired() -> None:
    a = _predictions(20)
    with pytest.raises(bootstrap.ComparisonError, match="different experiences"):
        bootstrap.paired(a, a[:-1])
    regolded = [a[0].model_copy(update={"gold": []}), *a[1:]]
    assert a[0].gold  # the generator gave the first experience some gold
    with pytest.raises(bootstrap.ComparisonError, match="e000 has different gold"):
        bootstrap.paired(a, regolded)
    with pytest.raises(bootstrap.ComparisonError, match="twice"):
        bootstrap.paired(a, [*a, a[0]])


def _graded(hits: dict[ConfidenceLevel, float], n: int = 60) -> list[ExperiencePrediction]:
    """Each experience asserts one code at each level, right with the given frequency."""
    return [_asserting(f"g{i:03d}", [
        (f"A{j}", 0.3 + 0.3 * j, level, (i * 7 + j * 3) % 10 < rate * 10)
        for j, (level, rate) in enumerate(hits.items())]) for i in range(n)]


def _asserting(identifier: str, rows: Sequence[tuple[str, float, ConfidenceLevel, bool]]
               ) -> ExperiencePrediction:
    """One experience of framework fw-a asserting each (code, score, level, right) row; the
    right ones are its gold."""
    return ExperiencePrediction(
        id=identifier, category="service", title=None, tags=[], labelled_frameworks=["fw-a"],
        gold=[GoldSkill(framework="fw-a", code=code, strength=Strength.CLEAR)
              for code, _, _, right in rows if right],
        gold_quality=QualityRatings(responsibility=1, complexity=1, novelty=1),
        candidates=[CodePrediction(framework="fw-a", code=code, label=code, score=score,
                                   asserted=True, confidence=level, matched_item=code,
                                   rationale="")
                    for code, score, level, _ in rows],
        seconds=0.1)


def test_the_order_of_confidence_levels_is_read_on_every_resample() -> None:
    ordered = bootstrap.intervals(_graded({ConfidenceLevel.LOW: 0.2, ConfidenceLevel.MEDIUM: 0.5,
                                           ConfidenceLevel.HIGH: 0.9}))
    assert ordered.confidence_ordered == 1.0
    assert ordered.metrics["precision_at:high"].estimate == pytest.approx(0.9)
    inverted = bootstrap.intervals(_graded({ConfidenceLevel.LOW: 0.9, ConfidenceLevel.MEDIUM: 0.5,
                                            ConfidenceLevel.HIGH: 0.2}))
    assert inverted.confidence_ordered == 0.0
    close = bootstrap.intervals(_graded({ConfidenceLevel.LOW: 0.4, ConfidenceLevel.MEDIUM: 0.5,
                                         ConfidenceLevel.HIGH: 0.6}))
    assert close.confidence_ordered is not None and 0.0 < close.confidence_ordered < 1.0
    never_high = [p.model_copy(update={"candidates": p.candidates[:2]})
                  for p in _graded({ConfidenceLevel.LOW: 0.2, ConfidenceLevel.MEDIUM: 0.5})]
    assert bootstrap.intervals(never_high).confidence_ordered is None
    assert "precision_at:high" not in bootstrap.intervals(never_high).metrics


def test_paired_means_read_per_unit_values_on_the_same_resamples() -> None:
    rng = np.random.default_rng(5)
    a = rng.random((50, 2))
    same = bootstrap.paired_means(a, a.copy(), ["x", "ece_asserted"])
    assert [(r.delta, r.low, r.high, r.b_better) for r in same] == [(0.0, 0.0, 0.0, 0.0)] * 2
    shifted = bootstrap.paired_means(a, a - 0.1, ["x", "ece_asserted"], resamples=300)
    assert shifted[0].delta == pytest.approx(-0.1) and shifted[0].b_better == 0.0
    assert shifted[1].b_better == 1.0  # lower ECE is better
    with pytest.raises(bootstrap.ComparisonError, match="cannot be paired"):
        bootstrap.paired_means(a, a[:40], ["x", "y"])


def _scored(n: int, truth: Callable[[float], float], seed: int = 11
            ) -> list[ExperiencePrediction]:
    """``n`` experiences, each asserting eight codes with seeded scores; a code is in the gold
    with probability ``truth(score)``."""
    rng = random.Random(seed)
    predictions = []
    for i in range(n):
        rows = []
        for j in range(8):
            score = rng.uniform(0.3, 0.95)
            rows.append((f"A{j}", score, ConfidenceLevel.MEDIUM, rng.random() < truth(score)))
        predictions.append(_asserting(f"s{i:03d}", rows))
    return predictions


def test_a_calibrated_model_reads_an_ece_that_sampling_noise_alone_explains() -> None:
    iv = bootstrap.intervals(_scored(40, lambda score: score))
    noise = iv.ece_noise
    assert noise is not None
    assert noise.observed == pytest.approx(iv.metrics["ece_asserted"].estimate)
    # the plug-in ECE reads above zero though every score is its true probability ...
    assert noise.observed > 0.02
    # ... about as high as a calibrated model with these scores reads, and often exceeded
    assert noise.calibrated_mean == pytest.approx(noise.observed, abs=0.02)
    assert 0.1 < noise.as_high_if_calibrated < 0.9
    # the resamples read higher still; less that bias, the estimate falls towards zero
    assert noise.bias > 0
    assert noise.corrected.estimate < noise.observed
    assert noise.corrected.low <= noise.corrected.estimate <= noise.corrected.high
    assert noise.corrected.high < iv.metrics["ece_asserted"].high


def test_a_miscalibrated_model_reads_beyond_what_noise_explains() -> None:
    overconfident = bootstrap.intervals(_scored(40, lambda score: score - 0.25)).ece_noise
    assert overconfident is not None
    assert overconfident.observed == pytest.approx(0.25, abs=0.04)
    assert overconfident.as_high_if_calibrated == 0.0
    assert overconfident.corrected.low > overconfident.calibrated_high
    # with a real gap the noise is a small share of the reading
    assert overconfident.corrected.estimate == pytest.approx(overconfident.observed, abs=0.01)


def test_the_noise_a_calibrated_model_reads_falls_with_more_assertions() -> None:
    scores = np.random.default_rng(2).uniform(0.3, 0.95, 4000)
    few = bootstrap.calibrated_ece(scores[:200], 500, seed=1).mean()
    many = bootstrap.calibrated_ece(scores, 500, seed=1).mean()
    assert many < few / 3  # about 1/sqrt(n): twenty times the assertions, ~4.5 times less
    # scores of 0 and 1 are never wrong about their outcome, so a calibrated model reads 0
    certain = bootstrap.calibrated_ece(np.asarray([0.0, 1.0, 1.0, 0.0]), 50, seed=1)
    assert np.all(certain == 0.0)
    assert np.isnan(bootstrap.calibrated_ece(np.asarray([]), 5, seed=1)).all()


def test_nothing_asserted_reads_no_calibration_noise() -> None:
    silent = [p.model_copy(update={"candidates": [c.model_copy(update={
        "asserted": False, "confidence": None}) for c in p.candidates]})
        for p in _scored(10, lambda score: score)]
    assert bootstrap.intervals(silent).ece_noise is None
