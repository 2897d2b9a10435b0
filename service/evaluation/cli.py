"""``python -m service eval ...``: run, decorte, compare, agreement, calibrate."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from service.calibration.text_probe_settings import TextProbeSettings
from service.settings import PROJECT_ROOT, get_settings

if TYPE_CHECKING:
    from service.evaluation.bootstrap import CalibrationNoise

DEFAULT_DECORTE_DIR = PROJECT_ROOT.parent / "shared" / "data" / "decorte"


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``eval`` command group to the service's parser."""
    evaluation = subparsers.add_parser("eval", help="measure extraction quality")
    commands = evaluation.add_subparsers(dest="eval_command", required=True)
    run = commands.add_parser("run", help="run the pipeline on a labelled JSONL dataset")
    run.add_argument("--dataset", type=Path, required=True)
    run.add_argument("--out", type=Path, required=True, help="run directory to write")
    run.add_argument("--limit", type=int, help="only the first N experiences")
    run.add_argument("--no-progress", action="store_true")
    run.set_defaults(func=_run)
    bench = commands.add_parser("decorte", help="the ESCO sentence benchmark (Decorte et al.)")
    bench.add_argument("--out", type=Path, required=True)
    bench.add_argument("--data", type=Path, default=DEFAULT_DECORTE_DIR,
                       help=f"benchmark directory (default {DEFAULT_DECORTE_DIR})")
    bench.add_argument("--esco", type=Path, default=None,
                       help="ESCO skills CSV with descriptions and alternative labels "
                            "(default: esco/esco_skills.csv beside --data)")
    bench.add_argument("--limit", type=int, help="only the first N sentences of each set")
    bench.add_argument("--taxonomy", default="esco",
                       help="also rank this installed framework as the API retrieves it "
                            "(default esco; '' to leave it out)")
    bench.add_argument("--no-progress", action="store_true")
    bench.set_defaults(func=_decorte)
    compare = commands.add_parser("compare", help="metric deltas between two runs")
    compare.add_argument("run_a", type=Path)
    compare.add_argument("run_b", type=Path)
    compare.add_argument("--all", action="store_true", help="include counts and per-code rows")
    compare.add_argument("--match", help="only metrics whose name contains this")
    compare.add_argument("--resamples", type=int,
                         help="bootstrap resamples of the paired comparison (default 2000)")
    compare.add_argument("--seed", type=int,
                         help="seed of the resampling (default: the one `eval run` uses)")
    compare.set_defaults(func=_compare)
    agree = commands.add_parser(
        "agreement", help="a second annotation read against the gold, and a run against both")
    agree.add_argument("--dataset", type=Path, required=True, help="the labelled split")
    agree.add_argument("--annotation", type=Path, required=True,
                       help="JSONL of {id, skills, quality}: another reader's labels of it")
    agree.add_argument("--run", type=Path,
                       help="a run directory of `eval run` on the same split, to read against "
                            "both annotators and their consensus")
    agree.add_argument("--out", type=Path,
                       help="JSON to write (default: RUN/agreement.json, else agreement.json)")
    agree.set_defaults(func=_agreement)
    calibrate = commands.add_parser(
        "calibrate", help="fit the calibrators and the quality model on a labelled split")
    calibrate.add_argument("--dataset", type=Path, required=True, action="append",
                           help="a file of the split to fit on (the dev split; never the test "
                                "split); repeat it to fit on several files together")
    calibrate.add_argument("--no-progress", action="store_true")
    calibrate.add_argument(
        "--text-probe", action=argparse.BooleanOptionalAction, default=None,
        help="fine-tune the prior's text probe (the encoder's upper layers); by default where "
             "the encoder supports it (BERT-family models such as all-MiniLM-L6-v2)")
    calibrate.add_argument(
        "--text-probe-weight", type=_fraction, default=None, metavar="W",
        help=f"the text probe's share of the prior's logit, 0 to 1 (default "
             f"{TextProbeSettings.weight:.3f}; the other two probes share the rest)")
    calibrate.add_argument(
        "--examples-weight", type=_non_negative, default=None, metavar="W",
        help=f"how much each of the frameworks' own examples (an item's description or "
             f"keyword) weighs against a labelled experience in the text probe's fit; 0 "
             f"leaves them out (default {TextProbeSettings.taxonomy_weight})")
    calibrate.add_argument(
        "--text-probe-heads", type=_heads, default=None, metavar="H[,H...]",
        help="the text probe's members, one fitted per head and their logits averaged: "
             "'mean' (the tokens' mean) or 'attention' (a pooling per competency), e.g. "
             "mean,attention; each member doubles the fit and the probe's request cost "
             f"(default {','.join(TextProbeSettings.heads)})")
    calibrate.set_defaults(func=_calibrate)


def _fraction(text: str) -> float:
    value = _number(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"give a number from 0 to 1, not {text}")
    return value


def _heads(text: str) -> tuple[str, ...]:
    from service.calibration.text_probe_settings import KNOWN_HEADS

    heads = tuple(h.strip() for h in text.split(","))
    wrong = [h for h in heads if h not in KNOWN_HEADS]
    if wrong or not text.strip():
        raise argparse.ArgumentTypeError(
            f"give heads from {', '.join(KNOWN_HEADS)}, separated by commas, not {text!r}")
    return heads


def _non_negative(text: str) -> float:
    value = _number(text)
    if not value >= 0.0:
        raise argparse.ArgumentTypeError(f"give a number of 0 or more, not {text}")
    return value


def _number(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"give a number, not {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"give a finite number, not {text}")
    return value


def _calibrate(args: argparse.Namespace) -> int:
    import json

    from service.calibration.command import calibrate
    from service.evaluation.dataset import DatasetError
    from service.inference.text_probe import UnsupportedEncoder

    chosen = {name: value for name, value in (("weight", args.text_probe_weight),
                                              ("taxonomy_weight", args.examples_weight),
                                              ("heads", args.text_probe_heads))
              if value is not None}
    if args.text_probe is False and chosen:
        sys.stderr.write("--text-probe-weight, --examples-weight and --text-probe-heads set how "
                         "the text probe is fitted: leave them out with --no-text-probe\n")
        return 2
    try:
        summary = calibrate(args.dataset, get_settings(), progress=not args.no_progress,
                            text_probe=args.text_probe,
                            text_probe_settings=TextProbeSettings(**chosen))
    except (DatasetError, OSError, UnsupportedEncoder) as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    sys.stdout.write(json.dumps({k: v for k, v in summary.items() if k != "calibration"},
                                indent=1) + "\n")
    return 0


def _agreement(args: argparse.Namespace) -> int:
    from service.evaluation.dataset import DatasetError
    from service.evaluation.service import evaluate_agreement

    out = args.out or (args.run / "agreement.json" if args.run else Path("agreement.json"))
    try:
        result = evaluate_agreement(get_settings(), args.dataset, args.annotation, args.run, out)
    except (DatasetError, OSError, ValueError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    lines = [f"{result.n_experiences} experiences; second annotator against the gold "
             "(micro-F1 is symmetric; kappa over every code's yes/no):"]
    for name, a in result.annotators.items():
        kappa = f"{a.kappa:.3f}" if a.kappa is not None else "n/a"
        lines.append(f"  {name}: micro-F1 {a.micro.f1:.3f} (clear labels only "
                     f"{a.micro_clear.f1:.3f}), kappa {kappa}; labels {a.labels_reference} "
                     f"vs {a.labels_second}")
    lines.append("quality indicators, exact / within one: " + ", ".join(
        f"{k} {q.exact:.3f} / {q.within_one:.3f}" for k, q in result.quality.items()))
    if result.model is not None:
        lines.append("the run's asserted codes, micro-F1 against the gold / the second "
                     "annotator / their consensus:")
        lines += [f"  {name}: {m.vs_reference.micro.f1:.3f} / {m.vs_second.micro.f1:.3f} / "
                  f"{m.vs_consensus.micro.f1:.3f} ({m.disputed} disputed codes left out)"
                  for name, m in result.model.items()]
    lines.append(f"wrote {out}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _run(args: argparse.Namespace) -> int:
    from service.evaluation.dataset import DatasetError
    from service.evaluation.service import evaluate_dataset
    from service.logs import configure_logging

    settings = get_settings()
    configure_logging("WARNING", settings.log_json)
    try:
        result = evaluate_dataset(settings, args.dataset, args.out, args.limit,
                                  progress=not args.no_progress)
    except (DatasetError, OSError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    strict = result.overall.strict
    levels = ", ".join(f"{k} {v.precision:.3f} (n={v.n})"
                       for k, v in result.confidence_levels.items())
    interval = result.intervals.metrics.get("micro_f1")
    spread = (f" [{interval.low:.3f}, {interval.high:.3f}]" if interval is not None else "")
    lines = [f"micro-F1 {strict.micro.f1:.3f}{spread} (P {strict.micro.precision:.3f}, "
             f"R {strict.micro.recall:.3f}); macro-F1 {strict.macro.f1:.3f}; "
             f"lenient micro-F1 {result.overall.lenient.micro.f1:.3f}"]
    lines += [f"  {name}: micro-F1 {f.strict.micro.f1:.3f}, macro-F1 {f.strict.macro.f1:.3f}"
              for name, f in result.per_framework.items()]
    ranking = result.ranking["all"]
    lines += [f"RP@5 {ranking.rp_at_5:.3f}, MRR {ranking.mrr:.3f}, "
              f"nDCG@10 {ranking.ndcg_at_10:.3f}",
              f"ECE {result.calibration['all_candidates'].ece or 0:.3f} (all scored), "
              f"{result.calibration['asserted'].ece or 0:.3f} (asserted)",
              *_ece_noise_line(result.intervals.ece_noise),
              f"precision by confidence: {levels}" + (
                  f"; low < medium < high in {ordered:.1%} of resamples"
                  if (ordered := result.intervals.confidence_ordered) is not None else ""),
              f"(in brackets: {result.intervals.level:.0%} bootstrap interval over experiences)",
              f"wrote {args.out}/metrics.json, predictions.jsonl, report.html "
              f"({result.run.seconds['total']:.1f} s)"]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _ece_noise_line(noise: CalibrationNoise | None) -> list[str]:
    """What sampling noise alone would make of the asserted codes' ECE (none if nothing was
    asserted)."""
    if noise is None:
        return []
    c = noise.corrected
    return [f"  ECE asserted less its sampling bias {c.estimate:.3f} [{c.low:.3f}, {c.high:.3f}];"
            f" perfectly calibrated scores would read {noise.calibrated_mean:.3f} (up to "
            f"{noise.calibrated_high:.3f}), at least {noise.observed:.3f} in "
            f"{noise.as_high_if_calibrated:.1%} of {noise.draws} draws"]


def _decorte(args: argparse.Namespace) -> int:
    from service.evaluation import bootstrap
    from service.evaluation.service import evaluate_decorte
    from service.logs import configure_logging

    settings = get_settings()
    configure_logging("WARNING", settings.log_json)
    try:
        result = evaluate_decorte(settings, args.data, args.out, args.limit,
                                  progress=not args.no_progress, esco_csv=args.esco,
                                  taxonomy=args.taxonomy or None)
    except OSError as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    rankers = [(result.run.baseline_ranker, result.baseline), (result.run.ranker, result.sets)]
    if result.run.product_ranker:
        rankers.append((f"{result.run.product_ranker} over {result.run.product_taxonomy} "
                        f"({result.run.product_labels_covered} labels covered)", result.product))
    for ranker, sets in rankers:
        sys.stdout.write(f"{ranker}\n")
        for name, s in sets.items():
            sys.stdout.write(f"  {name}: RP@1 {s.rp_at_1:.3f}, RP@5 {s.rp_at_5:.3f}, "
                             f"RP@10 {s.rp_at_10:.3f}, MRR {s.mrr:.3f} "
                             f"({s.n_sentences} sentences)\n")
    for name, gain in result.gain.items():
        spread = result.gain_intervals.get(name, {})
        sys.stdout.write(f"  gain on {name}: " + ", ".join(
            f"{m} {v:+.3f}" + (f" [{spread[m].low:+.3f}, {spread[m].high:+.3f}]"
                               if m in spread else "")
            for m, v in gain.items()) + "\n")
    if result.gain_intervals:
        sys.stdout.write(f"  (in brackets: {bootstrap.LEVEL:.0%} paired bootstrap interval over "
                         "sentences)\n")
    sys.stdout.write(f"wrote {args.out}/metrics.json, predictions.jsonl "
                     f"({result.run.seconds['total']:.1f} s)\n")
    return 0


def _compare(args: argparse.Namespace) -> int:
    from service.evaluation import bootstrap, compare

    resamples = bootstrap.RESAMPLES if args.resamples is None else args.resamples
    seed = bootstrap.SEED if args.seed is None else args.seed
    if resamples < 100:
        sys.stderr.write(f"--resamples {resamples}: use at least 100 (the default is "
                         f"{bootstrap.RESAMPLES}) for a {bootstrap.LEVEL:.0%} interval worth "
                         "reading\n")
        return 2
    try:
        a, b = compare.load_metrics(args.run_a), compare.load_metrics(args.run_b)
    except (OSError, ValueError) as exc:
        sys.stderr.write(f"{exc}\n")
        return 2
    changes = compare.provenance_changes(a, b)
    if changes:
        sys.stdout.write("runs differ in:\n" + "".join(f"  {c}\n" for c in changes) + "\n")
    rows = compare.deltas(a, b, everything=args.all, match=args.match)
    sys.stdout.write(compare.format_table(rows) + "\n")
    sys.stdout.write("\n" + compare.paired_report(a, b, args.run_a, args.run_b,
                                                  resamples=resamples, seed=seed,
                                                  match=args.match) + "\n")
    return 0
