"""One self-contained HTML page per run: headline numbers, plots and the worst errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from service.evaluation import charts
from service.evaluation.bootstrap import Intervals
from service.evaluation.dataset import Strength
from service.evaluation.runner import CodePrediction, ExperiencePrediction
from service.evaluation.summary import Readings, RunMetrics, StrengthRecall

_STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#1a202c}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
td,th{border:1px solid #cbd5e0;padding:3px 8px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.plots{display:flex;flex-wrap:wrap;gap:1.5rem}
.muted{color:#4a5568}
"""


@dataclass(frozen=True, slots=True)
class ErrorRow:
    """A confident false positive or a missed gold label."""

    kind: str
    experience: ExperiencePrediction
    framework: str
    code: str
    strength: str
    candidate: CodePrediction | None


def worst_errors(predictions: Sequence[ExperiencePrediction], n: int = 20) -> list[ErrorRow]:
    """The most confident false positives and the clear golds missed by the widest margin."""
    false_positives, misses = [], []
    for p in predictions:
        gold = {g.key: g for g in p.gold}
        by_key = {c.key: c for c in p.candidates}
        false_positives += [ErrorRow("false positive", p, c.framework, c.code, "", c)
                            for c in p.candidates if c.asserted and c.key not in gold]
        misses += [ErrorRow("missed gold", p, g.framework, g.code, g.strength.value,
                            by_key.get(g.key))
                   for g in p.gold if not (g.key in by_key and by_key[g.key].asserted)]
    false_positives.sort(key=lambda e: -_score(e))
    misses.sort(key=lambda e: (e.strength != Strength.CLEAR.value, _score(e)))
    half = n // 2
    take_fp = min(len(false_positives), max(half, n - len(misses)))
    return false_positives[:take_fp] + misses[: n - take_fp]


def render(result: RunMetrics, predictions: Sequence[ExperiencePrediction]) -> str:
    """The report page."""
    run = result.run
    pr = result.pr_curve
    op = pr.operating_point
    plots = [
        charts.pr_chart([(p.recall, p.precision) for p in pr.points if p.predicted],
                        (op.recall, op.precision), _floors_label(op.floors)),
        charts.reliability_chart(result.calibration["all_candidates"].bins),
        charts.bar_chart([(f, [s.strict.micro.f1, s.strict.macro.f1, s.lenient.micro.f1])
                          for f, s in result.per_framework.items()],
                         ["micro-F1", "macro-F1", "lenient micro-F1"]),
    ]
    sections = [
        f"<h1>Evaluation: {escape(run.dataset)}</h1>",
        f'<p class="muted">{run.n_experiences} experiences · model {escape(run.model_id)} · '
        f"pipeline {escape(run.pipeline_version)} · {run.started_at:%Y-%m-%d %H:%M} UTC · "
        f"{run.seconds.get('total', 0):.1f} s</p>",
        "<p><strong>In-sample:</strong> the calibration and quality models were fitted on this "
        "dataset, so these numbers flatter the service; report the held-out split.</p>"
        if run.in_sample else "",
        "<p><strong>In-sample?</strong> Unknown: a fitted artefact does not record the hash of "
        "the data it was trained on; check it was not this dataset.</p>"
        if run.in_sample is None else "",
        "<h2>At the operating point</h2>", _readings_table({"all": result.overall}),
        _headline(result),
        "<h2>How far these figures can move</h2>", _intervals_table(result),
        '<div class="plots">' + "".join(plots) + "</div>",
        "<h2>Per framework</h2>", _framework_table(result),
        "<h2>Per category</h2>", _readings_table(result.per_category),
        "<h2>Per tag</h2>", _readings_table(result.per_tag),
        "<h2>Precision by confidence level</h2>", _levels_table(result),
        "<h2>Recall by gold strength</h2>", _strength_table(result),
        "<h2>Quality indicators</h2>",
        f"<p>{escape(result.quality.status)}: the pipeline does not rate responsibility, "
        "complexity or novelty yet, so no agreement is reported.</p>"
        if result.quality.status == "not estimated" else _quality_table(result),
        "<h2>Worst errors</h2>", _errors_table(worst_errors(predictions)),
        "<h2>Provenance</h2>", _provenance(result),
    ]
    return ("<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<title>Evaluation {escape(run.dataset)}</title><style>{_STYLE}</style></head>"
            "<body>" + "\n".join(sections) + "</body></html>\n")


def _floors_label(floors: dict[str, float]) -> str:
    values = set(floors.values())
    if len(values) == 1:
        return f"operating point (score ≥ {values.pop():.2f})"
    return "operating point (per-framework floors)"


def _score(error: ErrorRow) -> float:
    return error.candidate.score if error.candidate else 0.0


def _num(value: float | int | None, digits: int = 3) -> str:
    if value is None:
        return '<td class="n">–</td>'
    text = str(value) if isinstance(value, int) else f"{value:.{digits}f}"
    return f'<td class="n">{text}</td>'


def _table(head: Sequence[str], rows: Sequence[str]) -> str:
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return f"<table><tr>{header}</tr>{''.join(rows)}</table>"


def _readings_table(slices: dict[str, Readings]) -> str:
    head = ["slice", "n", "micro P", "micro R", "micro F1", "macro P", "macro R", "macro F1",
            "lenient micro F1", "lenient macro F1"]
    rows = []
    for name, r in slices.items():
        s, m = r.strict.micro, r.strict.macro
        rows.append(f"<tr><td>{escape(name)}</td>{_num(r.strict.n_experiences)}"
                    + "".join(_num(v) for v in (s.precision, s.recall, s.f1, m.precision,
                                                m.recall, m.f1, r.lenient.micro.f1,
                                                r.lenient.macro.f1)) + "</tr>")
    return _table(head, rows)


def _headline(result: RunMetrics) -> str:
    ranking = result.ranking["all"]
    cal = result.calibration
    rows = [f"<tr><td>{escape(k)}</td>{_num(v)}</tr>" for k, v in (
        ("RP@5 (all scored codes)", ranking.rp_at_5), ("MRR", ranking.mrr),
        ("nDCG@10", ranking.ndcg_at_10), ("average precision", result.pr_curve.average_precision),
        ("ECE, all scored codes", cal["all_candidates"].ece),
        ("ECE, asserted codes", cal["asserted"].ece))]
    return _table(["metric", "value"], rows)


def _intervals_table(result: RunMetrics) -> str:
    iv = result.intervals
    rows = [f"<tr><td>{escape(name)}</td>{_num(i.estimate)}{_num(i.low)}{_num(i.high)}"
            f"{_num(i.high - i.low)}</tr>" for name, i in iv.metrics.items()]
    note = (f"<p>{iv.level:.0%} percentile intervals from {iv.resamples} bootstrap resamples of "
            f"the {result.run.n_experiences} experiences (each drawn whole, with replacement; "
            f"seed {iv.seed}). Another sample of experiences written the same way could read "
            "anywhere in them. ECE tends to read higher on a resample than on the sample itself "
            "(fewer distinct experiences fill each bin), so its interval may sit mostly above "
            "its estimate. To tell "
            "whether a change helped, compare two runs with <code>eval compare</code>: it reads "
            "both on the same resamples.</p>")
    return _table(["metric", "value", "low", "high", "width"], rows) + note + _noise_note(iv)


def _noise_note(iv: Intervals) -> str:
    """The asserted codes' ECE against what sampling noise alone reads."""
    noise = iv.ece_noise
    if noise is None:
        return ""
    c = noise.corrected
    return (f"<p>ECE over asserted codes, {noise.observed:.3f}, less the bias its resamples show "
            f"({noise.bias:+.3f}): <b>{c.estimate:.3f}</b>, {iv.level:.0%} interval "
            f"[{c.low:.3f}, {c.high:.3f}] (the percentile interval reflected about the "
            f"estimate). A perfectly calibrated model with exactly these scores, each code "
            f"right with probability equal to its score, reads {noise.calibrated_mean:.3f} on "
            f"average and up to {noise.calibrated_high:.3f} (the upper end of the central "
            f"{iv.level:.0%} of {noise.draws} draws); {noise.as_high_if_calibrated:.1%} of its "
            f"draws read at "
            f"least {noise.observed:.3f}. Near 0% the miscalibration is real; well above, "
            "sampling noise alone reads this much.</p>")


def _framework_table(result: RunMetrics) -> str:
    head = ["framework", "micro P", "micro R", "micro F1", "macro F1", "lenient micro F1",
            "RP@5", "MRR", "ECE asserted", "ECE all", "codes (F1)"]
    rows = []
    for name, f in result.per_framework.items():
        ranking = result.ranking[name]
        codes = ", ".join(f"{escape(c)} {s.scores.f1:.2f}" for c, s in f.per_code.items())
        s = f.strict.micro
        rows.append(f"<tr><td>{escape(name)}</td>" + "".join(_num(v) for v in (
            s.precision, s.recall, s.f1, f.strict.macro.f1, f.lenient.micro.f1,
            ranking.rp_at_5, ranking.mrr, f.calibration["asserted"].ece,
            f.calibration["all_candidates"].ece)) + f'<td class="muted">{codes}</td></tr>')
    return _table(head, rows)


def _levels_table(result: RunMetrics) -> str:
    rows = [f"<tr><td>{level}</td>{_num(v.n)}{_num(v.correct)}{_num(v.precision)}"
            f"{_num(v.lenient_precision)}</tr>" for level, v in result.confidence_levels.items()]
    table = _table(["confidence", "asserted", "gold", "precision", "lenient precision"], rows)
    share = result.intervals.confidence_ordered
    if share is None:
        return table + "<p>Some level was never asserted, so the order is not read.</p>"
    return table + (f"<p>Precision rises from low to medium to high in {share:.1%} of "
                    f"{result.intervals.resamples} bootstrap resamples of the experiences.</p>")


def _strength_table(result: RunMetrics) -> str:
    rows = []
    for name, by in result.recall_by_strength.items():
        cells = "".join(f"{_num(r.found)}{_num(r.gold)}{_num(r.recall)}{_by_level(r)}"
                        for r in (by["clear"], by["weak"]))
        rows.append(f"<tr><td>{escape(name)}</td>{cells}</tr>")
    return _table(["slice", "clear found", "clear gold", "clear recall",
                   "clear found as high / medium / low", "weak found", "weak gold",
                   "weak recall", "weak found as high / medium / low"], rows)


def _by_level(recall: StrengthRecall) -> str:
    """The found codes' confidence levels, as shares of those found."""
    if not recall.found:
        return "<td>–</td>"
    shares = [recall.by_confidence.get(level, 0) / recall.found
              for level in ("high", "medium", "low")]
    return f"<td>{' / '.join(f'{share:.0%}' for share in shares)}</td>"


def _quality_table(result: RunMetrics) -> str:
    shifts = result.quality.under_repetition
    rows = []
    for k, q in result.quality.per_indicator.items():
        shift = shifts.get(k)
        moved = (_num(shift.changed) + _num(shift.mean_shift) if shift
                 else _num(None) + _num(None))
        rows.append(f"<tr><td>{escape(k)}</td>{_num(q.exact)}{_num(q.within_one)}"
                    f"{_num(q.mean_absolute_error)}{moved}</tr>")
    note = ("<p>The last two columns estimate each experience again with its narrative written "
            "out twice: nothing new is said, so a level that moves follows the text's length "
            "alone (0 is the ideal).</p>")
    return _table(["indicator", "exact", "within one", "MAE",
                   "changed with the narrative twice", "mean level shift"], rows) + note


def _errors_table(errors: Sequence[ErrorRow]) -> str:
    rows = []
    for e in errors:
        c = e.candidate
        why = (escape(c.rationale) if c else
               "Not scored: no sentence retrieved any item of this code.")
        label = escape(c.label) if c else ""
        level = c.confidence.value if c and c.confidence else "not asserted"
        rows.append(
            f"<tr><td>{escape(e.kind)}{' (' + e.strength + ')' if e.strength else ''}</td>"
            f"<td>{escape(e.experience.id)}<br><span class=muted>"
            f"{escape(e.experience.title or '')}</span></td>"
            f"<td>{escape(e.framework)}:{escape(e.code)}<br><span class=muted>{label}"
            f"{' via ' + escape(c.matched_item) if c else ''}</span></td>"
            f"{_num(c.score if c else None)}<td>{level}</td><td>{why}</td></tr>")
    return _table(["error", "experience", "code", "score", "confidence", "rationale"], rows)


def _provenance(result: RunMetrics) -> str:
    run = result.run
    rows = [("dataset", f"{run.dataset} ({run.dataset_hash})"), ("model", run.model_id),
            ("pipeline", run.pipeline_version),
            ("components", ", ".join(f"{k}={v}" for k, v in run.components.items())),
            ("operating floors",
             ", ".join(f"{k} {v:.3f}" for k, v in run.operating_floors.items())),
            ("fitted on", ", ".join(run.fitted_on) or "nothing (no fitted artefacts)"),
            ("in-sample", {True: "yes: the fitted models were trained on this dataset",
                           False: "no", None: "unknown: an artefact does not name the hash of "
                                              "its training data"}[run.in_sample]),
            ("taxonomies", ", ".join(f"{t.id}@{t.version} ({t.content_hash[:19]})"
                                     for t in run.taxonomies)),
            ("seconds", ", ".join(f"{k} {v:.1f}" for k, v in run.seconds.items()))]
    return _table(["", ""], [f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>"
                             for k, v in rows])
