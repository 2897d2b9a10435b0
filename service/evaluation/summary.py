"""A run's metrics: the formulas of ``metrics`` applied to every slice of the predictions.

Two readings of the gold (see the dataset's datasheet): *strict*, where every gold label must be
found, and *lenient*, where a weak gold label is neither required nor penalised.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from service.domain.quality import DIMENSIONS
from service.evaluation import bootstrap, metrics
from service.evaluation.dataset import Strength
from service.evaluation.runner import ExperiencePrediction, RunInfo

PR_THRESHOLDS = [i / 100 for i in range(101)]

Filter = Callable[[str], bool]


class SliceScores(BaseModel):
    """Micro and macro scores of one slice under one reading of the gold."""

    micro: metrics.Scores
    macro: metrics.Scores
    counts: metrics.Counts
    n_experiences: int
    n_labels: int


class Readings(BaseModel):
    """A slice under both readings."""

    strict: SliceScores
    lenient: SliceScores


class CodeScores(BaseModel):
    """One code's strict counts and scores."""

    counts: metrics.Counts
    scores: metrics.Scores


class FrameworkScores(Readings):
    """A framework's slice, with each code's strict scores and its own calibration.

    Each framework has its own calibrator and (with enough labels) its own score map, so a
    reviewer filtering by framework needs that framework's reliability, not only the pooled one.
    """

    per_code: dict[str, CodeScores]
    calibration: dict[str, metrics.Calibration]


class StrengthRecall(BaseModel):
    """How many gold codes of one strength the run asserted, and at which confidence: the
    annotated strength is the confidence a reader expects, so clear codes should come out
    high more often than weak ones."""

    gold: int
    found: int
    recall: float
    by_confidence: dict[str, int] = Field(default_factory=dict)  # found, per asserted level


class RankingScores(BaseModel):
    """Ranking quality of every scored code, over experiences with at least one gold label."""

    rp_at_5: float
    mrr: float
    ndcg_at_10: float
    n_experiences: int


class LevelPrecision(BaseModel):
    """How often an assertion at one confidence level is right."""

    n: int
    correct: int
    precision: float
    lenient_precision: float


class RepetitionShift(BaseModel):
    """How one indicator's estimate moves when the narrative is written out twice.

    The text says nothing new, so every change follows its length alone: 0 is the ideal.
    """

    n: int
    changed: float  # share of experiences whose level moved
    raised: float  # share whose level rose
    mean_shift: float  # mean of (level with the narrative twice - level as written)


class QualityReport(BaseModel):
    """Agreement on the quality indicators, or why there is none."""

    status: Literal["estimated", "not estimated"]
    per_indicator: dict[str, metrics.QualityAgreement] = {}
    # per indicator, the estimate's sensitivity to the narrative's length alone
    under_repetition: dict[str, RepetitionShift] = {}


class OperatingPoint(BaseModel):
    """Where the service operates: its assertions, made above each framework's floor."""

    floors: dict[str, float]
    precision: float
    recall: float
    predicted: int


class PRCurve(BaseModel):
    """Precision and recall as one score threshold moves over all frameworks."""

    average_precision: float
    operating_point: OperatingPoint
    points: list[metrics.PRPoint]


class RunMetrics(BaseModel):
    """Everything ``metrics.json`` holds."""

    run: RunInfo
    overall: Readings
    per_framework: dict[str, FrameworkScores]
    per_category: dict[str, Readings]
    per_tag: dict[str, Readings]
    confidence_levels: dict[str, LevelPrecision]
    # "all" and each framework -> "clear" / "weak" -> how many of those gold codes were asserted
    recall_by_strength: dict[str, dict[str, StrengthRecall]]
    ranking: dict[str, RankingScores]
    calibration: dict[str, metrics.Calibration]
    pr_curve: PRCurve
    quality: QualityReport
    # how far the headline figures would move on another sample of experiences like these
    intervals: bootstrap.Intervals


def summarize(run: RunInfo, predictions: Sequence[ExperiencePrediction]) -> RunMetrics:
    """Every metric of a run."""
    frameworks = sorted({f for p in predictions for f in p.labelled_frameworks})
    categories = sorted({p.category for p in predictions})
    tags = sorted({t for p in predictions for t in p.tags})
    return RunMetrics(
        run=run,
        overall=readings(predictions),
        per_framework={f: _framework(predictions, f) for f in frameworks},
        per_category={c: readings([p for p in predictions if p.category == c])
                      for c in categories},
        per_tag={t: readings([p for p in predictions if t in p.tags]) for t in tags},
        confidence_levels=confidence_levels(predictions),
        recall_by_strength={"all": recall_by_strength(predictions)}
        | {f: recall_by_strength(predictions, _in(f)) for f in frameworks},
        ranking={"all": ranking(predictions)} | {f: ranking(predictions, _in(f))
                                                 for f in frameworks},
        calibration=_calibration(predictions),
        pr_curve=_pr_curve(predictions, run.operating_floors),
        quality=quality(predictions),
        intervals=bootstrap.intervals(predictions),
    )


def readings(predictions: Sequence[ExperiencePrediction],
             keep: Filter = lambda key: True) -> Readings:
    """Strict and lenient scores at the operating point."""
    return Readings(strict=_slice(predictions, keep, lenient=False),
                    lenient=_slice(predictions, keep, lenient=True))


def confidence_levels(predictions: Sequence[ExperiencePrediction]) -> dict[str, LevelPrecision]:
    """Precision of the asserted codes, per confidence level."""
    outcomes: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for p in predictions:
        gold = {g.key: g.strength for g in p.gold}
        for c in p.candidates:
            if c.asserted and c.confidence is not None:
                weak = gold.get(c.key) is Strength.WEAK
                outcomes[c.confidence.value].append((c.key in gold, weak))
    result = {}
    for level in ("low", "medium", "high"):
        rows = outcomes.get(level, [])
        correct = sum(hit for hit, _ in rows)
        counted = [hit for hit, weak in rows if not weak]
        result[level] = LevelPrecision(
            n=len(rows), correct=correct, precision=correct / len(rows) if rows else 0.0,
            lenient_precision=sum(counted) / len(counted) if counted else 0.0)
    return result


def recall_by_strength(predictions: Sequence[ExperiencePrediction],
                       keep: Filter = lambda key: True) -> dict[str, StrengthRecall]:
    """Recall of the clear and of the weak gold codes apart (where the misses are), and the
    confidence the found ones were asserted at."""
    counts = {s.value: [0, 0] for s in Strength}
    levels: dict[str, Counter[str]] = {s.value: Counter() for s in Strength}
    for p in predictions:
        asserted = {c.key: c.confidence for c in p.candidates if c.asserted}
        for g in p.gold:
            if keep(g.key):
                tally = counts[g.strength.value]
                tally[0] += 1
                if g.key in asserted:
                    tally[1] += 1
                    if (level := asserted[g.key]) is not None:
                        levels[g.strength.value][level.value] += 1
    return {s: StrengthRecall(gold=gold, found=found, recall=found / gold if gold else 0.0,
                              by_confidence={level: levels[s][level]
                                             for level in ("high", "medium", "low")})
            for s, (gold, found) in counts.items()}


def ranking(predictions: Sequence[ExperiencePrediction],
            keep: Filter = lambda key: True) -> RankingScores:
    """RP@5, MRR and nDCG@10 of the ranked codes, averaged over experiences with gold."""
    rp, rr, ndcg = [], [], []
    for p in predictions:
        gold = {g.key for g in p.gold if keep(g.key)}
        if not gold:
            continue
        ranked = [c.key for c in p.candidates if keep(c.key)]
        rp.append(metrics.rp_at_k(ranked, gold, 5))
        rr.append(metrics.reciprocal_rank(ranked, gold))
        ndcg.append(metrics.ndcg_at_k(ranked, gold, 10))
    n = len(rp)
    return RankingScores(rp_at_5=_mean(rp), mrr=_mean(rr), ndcg_at_10=_mean(ndcg), n_experiences=n)


def quality(predictions: Sequence[ExperiencePrediction]) -> QualityReport:
    """Quality agreement when every experience has a predicted rating; else "not estimated"."""
    if not predictions or any(p.quality is None for p in predictions):
        return QualityReport(status="not estimated")
    per_indicator = {
        name: metrics.quality_agreement(
            [getattr(p.gold_quality, name) for p in predictions],
            [getattr(p.quality, name) for p in predictions])
        for name in DIMENSIONS}
    return QualityReport(status="estimated", per_indicator=per_indicator,
                         under_repetition=under_repetition(predictions))


def under_repetition(predictions: Sequence[ExperiencePrediction]) -> dict[str, RepetitionShift]:
    """Per indicator, how the estimates move with the narrative written out twice."""
    pairs = [(p.quality, p.quality_repeated) for p in predictions
             if p.quality is not None and p.quality_repeated is not None]
    if not pairs:
        return {}
    shifts: dict[str, RepetitionShift] = {}
    for name in DIMENSIONS:
        moves = [getattr(twice, name) - getattr(once, name) for once, twice in pairs]
        n = len(moves)
        shifts[name] = RepetitionShift(n=n, changed=sum(m != 0 for m in moves) / n,
                                       raised=sum(m > 0 for m in moves) / n,
                                       mean_shift=sum(moves) / n)
    return shifts


def _per_label(predictions: Sequence[ExperiencePrediction], keep: Filter,
               lenient: bool) -> dict[str, metrics.Counts]:
    return metrics.sum_label_counts(
        metrics.label_counts(
            predicted=[c.key for c in p.candidates if c.asserted and keep(c.key)],
            gold=[g.key for g in p.gold if keep(g.key)],
            ignored=[g.key for g in p.gold if lenient and g.strength is Strength.WEAK])
        for p in predictions)


def _slice(predictions: Sequence[ExperiencePrediction], keep: Filter,
           lenient: bool) -> SliceScores:
    per_label = _per_label(predictions, keep, lenient)
    return SliceScores(micro=metrics.micro(per_label), macro=metrics.macro(per_label),
                       counts=sum(per_label.values(), metrics.Counts()),
                       n_experiences=len(predictions), n_labels=len(per_label))


def _framework(predictions: Sequence[ExperiencePrediction], framework: str) -> FrameworkScores:
    keep = _in(framework)
    both = readings(predictions, keep)
    per_code = {key.split(":", 1)[1]: CodeScores(counts=c, scores=c.scores())
                for key, c in sorted(_per_label(predictions, keep, lenient=False).items())}
    return FrameworkScores(strict=both.strict, lenient=both.lenient, per_code=per_code,
                           calibration=_calibration(predictions, keep))


def _calibration(predictions: Sequence[ExperiencePrediction],
                 keep: Filter = lambda key: True) -> dict[str, metrics.Calibration]:
    rows = [(c.score, c.key in {g.key for g in p.gold}, c.asserted)
            for p in predictions for c in p.candidates if keep(c.key)]
    asserted = [(s, hit) for s, hit, on in rows if on]
    return {
        "asserted": metrics.calibration([s for s, _ in asserted], [h for _, h in asserted]),
        "all_candidates": metrics.calibration([s for s, _, _ in rows], [h for _, h, _ in rows]),
    }


def _pr_curve(predictions: Sequence[ExperiencePrediction], floors: dict[str, float]) -> PRCurve:
    scores, outcomes = [], []
    for p in predictions:
        gold = {g.key for g in p.gold}
        for c in p.candidates:
            scores.append(c.score)
            outcomes.append(c.key in gold)
    n_positive = sum(len(p.gold) for p in predictions)
    strict = _slice(predictions, lambda key: True, lenient=False)
    operating = OperatingPoint(floors=floors, precision=strict.micro.precision,
                               recall=strict.micro.recall,
                               predicted=strict.counts.tp + strict.counts.fp)
    return PRCurve(average_precision=metrics.average_precision(scores, outcomes, n_positive),
                   operating_point=operating,
                   points=metrics.pr_curve(scores, outcomes, n_positive, PR_THRESHOLDS))


def _in(framework: str) -> Filter:
    prefix = framework + ":"
    return lambda key: key.startswith(prefix)


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0
