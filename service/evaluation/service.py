"""The evaluation use cases: load what a run needs, run it, time it, write its files."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import structlog

from service.evaluation import agreement, decorte, report
from service.evaluation.agreement import AgreementReport
from service.evaluation.dataset import DatasetError, check_gold_codes, file_hash, load_dataset
from service.evaluation.runner import ExperiencePrediction, PipelineRunner, now, run_info
from service.evaluation.summary import RunMetrics, summarize
from service.pipeline.hybrid import HybridScorer, HybridSkillIndex
from service.runtime import load_catalog, load_encoder, load_indexes, load_pipeline
from service.settings import PROJECT_ROOT, Settings
from service.taxonomy.catalog import TaxonomyCatalog
from service.taxonomy.index import IndexStore

log = structlog.get_logger(__name__)


def evaluate_dataset(settings: Settings, dataset: Path, out_dir: Path,
                     limit: int | None = None, progress: bool = True) -> RunMetrics:
    """Run the pipeline on a labelled JSONL file; write metrics.json, predictions.jsonl and
    report.html to ``out_dir``."""
    started_at, watch = now(), _Stopwatch()
    records = load_dataset(dataset, limit)
    frameworks = list(dict.fromkeys(f for r in records for f in r.gold.labelled_frameworks))
    taxonomies = load_catalog(settings).select(frameworks)
    problems = check_gold_codes(records, {t.id: t for t in taxonomies})
    if problems:
        raise DatasetError(f"{dataset}: " + "; ".join(problems[:10]))
    encoder = load_encoder(settings)
    watch.lap("load_model")
    indexes, _ = load_indexes(settings, encoder, TaxonomyCatalog(taxonomies))
    watch.lap("load_indexes")
    pipeline = load_pipeline(settings, encoder)
    watch.lap("load_pipeline")
    runner = PipelineRunner(encoder, indexes, pipeline)
    predictions = runner.run(records, progress)
    seconds = watch.lap("extract") | {
        "per_experience": round(watch.laps["extract"] / len(records), 4), "total": watch.total()}
    info = run_info(_display(dataset), file_hash(dataset), runner, len(records), started_at,
                    seconds)
    result = summarize(info, predictions)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(result.model_dump_json(indent=2) + "\n",
                                          encoding="utf-8")
    (out_dir / "predictions.jsonl").write_text(
        "".join(p.model_dump_json() + "\n" for p in predictions), encoding="utf-8")
    (out_dir / "report.html").write_text(report.render(result, predictions), encoding="utf-8")
    log.info("evaluation.completed", dataset=info.dataset, experiences=len(records),
             micro_f1=round(result.overall.strict.micro.f1, 4), seconds=seconds["total"])
    return result


def evaluate_agreement(settings: Settings, dataset: Path, annotation: Path,
                       run_dir: Path | None, out: Path) -> AgreementReport:
    """Read a second annotation of ``dataset`` against its gold, and ``run_dir``'s predictions
    (a run of ``eval run`` on the same file) against both; write the report to ``out``."""
    records = load_dataset(dataset)
    frameworks = list(dict.fromkeys(f for r in records for f in r.gold.labelled_frameworks))
    codes = {t.id: [i.code for i in t.items if i.parent is None]
             for t in load_catalog(settings).select(frameworks)}
    second = agreement.load_annotation(annotation, records, codes)
    predictions = None
    if run_dir is not None:
        path = run_dir / "predictions.jsonl"
        predictions = [ExperiencePrediction.model_validate_json(line)
                       for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    result = agreement.agreement_report(_display(dataset), _display(annotation), records, second,
                                        codes, predictions,
                                        _display(run_dir) if run_dir is not None else None)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(result.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return result


def evaluate_decorte(settings: Settings, data_dir: Path, out_dir: Path,
                     limit: int | None = None, progress: bool = True,
                     esco_csv: Path | None = None,
                     taxonomy: str | None = "esco") -> decorte.BenchmarkMetrics:
    """Rank every ESCO label for the benchmark's sentences with the service's hybrid ranker and,
    in the same run, the plain bi-encoder baseline; write metrics.json and predictions.jsonl
    (top ten per sentence of both) to ``out_dir``.

    ``esco_csv`` (ESCO skills with descriptions and alternative labels) defaults to
    ``esco/esco_skills.csv`` beside the benchmark's directory; without it the hybrid ranker
    uses the labels alone. ``taxonomy`` (an installed framework with hybrid retrieval) is also
    ranked by the scorer the API retrieves it with, as ``product``; None leaves that out.
    """
    labels_path = data_dir / decorte.LABELS_FILE
    if not labels_path.exists():
        raise FileNotFoundError(f"{labels_path} not found; pass the benchmark's directory")
    if esco_csv is None:
        esco_csv = data_dir.parent / "esco" / "esco_skills.csv"
    started_at, watch = now(), _Stopwatch()
    labels = decorte.load_labels(labels_path)
    texts = decorte.label_texts(labels, esco_csv)
    encoder = load_encoder(settings)
    watch.lap("load_model")
    vectors, cached = decorte.label_vectors(encoder, labels, settings.index_dir, progress)
    descriptions = vectors  # with no ESCO file, a label is its own description
    if texts.matched:
        descriptions, _ = decorte.text_vectors(encoder, texts.descriptions, "descriptions",
                                               settings.index_dir, progress)
    watch.lap("label_vectors")
    scorer = HybridScorer.fit(labels, texts.alternatives, vectors, descriptions)
    watch.lap("lexical_fit")
    baseline = decorte.BiEncoderRanker(encoder, vectors)
    ranker = decorte.HybridRanker(encoder, scorer)
    product, served = None, None
    if taxonomy is not None:
        served = load_catalog(settings).get(taxonomy)
        index, _ = IndexStore(settings.index_dir, encoder).load_serving(served)
        if not isinstance(index, HybridSkillIndex):
            raise ValueError(f"{taxonomy} is not retrieved by the hybrid score")
        product = decorte.FrameworkRanker(decorte.HybridRanker(encoder, index.scorer),
                                          [item.label for item in served.items], labels)
        watch.lap("product_index")
    sets, base_sets, product_sets, intervals, lines = {}, {}, {}, {}, []
    for name, file in decorte.SETS.items():
        bench = decorte.load_set(name, data_dir / file, labels, limit)
        base_rankings = baseline.rank(bench.sentences)
        base_values = decorte.per_sentence(base_rankings, bench)
        base_sets[name] = decorte.set_scores(base_values, bench)
        watch.lap(f"baseline_{name}")
        rankings = ranker.rank(bench.sentences)
        values = decorte.per_sentence(rankings, bench)
        sets[name] = decorte.set_scores(values, bench)
        watch.lap(f"rank_{name}")
        if bench.sentences:
            intervals[name] = decorte.gain_intervals(values, base_values)
        product_rankings = product.rank(bench.sentences) if product else []
        product_values = decorte.per_sentence(product_rankings, bench) if product else None
        if product_values is not None:
            product_sets[name] = decorte.set_scores(product_values, bench)
            watch.lap(f"product_{name}")
        for n, (sentence, gold, ranking, base) in enumerate(
                zip(bench.sentences, bench.gold, rankings, base_rankings, strict=True)):
            line = {"set": name, "sentence": sentence, "gold": sorted(labels[i] for i in gold),
                    "top10": _top(ranking, labels), "baseline_top10": _top(base, labels),
                    # each sentence's own RP@k and reciprocal rank, so that two runs can be
                    # compared sentence by sentence (``eval compare``)
                    "scores": _named(values[n]), "baseline_scores": _named(base_values[n])}
            if product_values is not None:
                line["product_top10"] = _top(product_rankings[n], labels)
                line["product_scores"] = _named(product_values[n])
            lines.append(json.dumps(line))
    seconds = watch.laps | {"total": watch.total()}
    result = decorte.BenchmarkMetrics(
        run=decorte.BenchmarkRun(
            data_dir=_display(data_dir), labels_hash=file_hash(labels_path),
            set_hashes={n: file_hash(data_dir / f) for n, f in decorte.SETS.items()},
            n_labels=len(labels), model_id=encoder.model_id, ranker=ranker.name,
            baseline_ranker=baseline.name, esco_texts=texts.source,
            esco_matched=texts.matched, label_vectors="cache" if cached else "built",
            sentence_limit=limit, started_at=started_at, seconds=seconds,
            product_ranker=product.name if product else None,
            product_taxonomy=f"{served.ref} {served.content_hash}" if served else None,
            product_labels_covered=product.covered if product else None),
        sets=sets, baseline=base_sets, gain=decorte.gains(sets, base_sets),
        gain_intervals=intervals,
        product=product_sets)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(result.model_dump_json(indent=2) + "\n",
                                          encoding="utf-8")
    (out_dir / "predictions.jsonl").write_text("".join(line + "\n" for line in lines),
                                               encoding="utf-8")
    log.info("benchmark.completed", benchmark=result.run.benchmark, seconds=seconds["total"],
             **{f"{n}_mrr": round(s.mrr, 4) for n, s in sets.items()})
    return result


def _named(values: npt.NDArray[np.float64]) -> dict[str, float]:
    return {m: float(v) for m, v in zip(decorte.METRICS, values, strict=True)}


def _top(ranking: decorte.Ranking, labels: list[str], k: int = 10) -> list[tuple[str, float]]:
    return [(labels[i], round(float(s), 4))
            for i, s in zip(ranking.labels[:k], ranking.scores[:k], strict=True)]


class _Stopwatch:
    """Seconds per step of a run, and in total."""

    def __init__(self) -> None:
        self.started = self._last = time.perf_counter()
        self.laps: dict[str, float] = {}

    def lap(self, step: str) -> dict[str, float]:
        """Record the time since the previous lap as ``step``; return every lap so far."""
        current = time.perf_counter()
        self.laps[step] = round(current - self._last, 2)
        self._last = current
        return dict(self.laps)

    def total(self) -> float:
        """Seconds since the stopwatch started."""
        return round(time.perf_counter() - self.started, 2)


def _display(path: Path) -> str:
    """A path as a reader of the run finds it: relative to the repository when it can be."""
    resolved = path.resolve()
    if resolved.is_relative_to(PROJECT_ROOT):
        return str(resolved.relative_to(PROJECT_ROOT))
    if resolved.is_relative_to(PROJECT_ROOT.parent):
        return str(Path("..") / resolved.relative_to(PROJECT_ROOT.parent))
    return str(path)
