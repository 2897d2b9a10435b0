"""Metric deltas between two runs (of the dataset harness or of the ESCO benchmark)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from service.evaluation import bootstrap, decorte
from service.evaluation.runner import ExperiencePrediction

# Provenance worth flagging when two runs differ in it; everything else under "run" is skipped.
_PROVENANCE = ("dataset_hash", "model_id", "pipeline_version", "components", "taxonomies",
               "operating_floors", "fitted_on", "ranker", "labels_hash")
# Counts and per-code detail are noise in a headline comparison; ``everything`` shows them.
# Bootstrap bounds are read through the paired comparison instead (``bootstrap.paired``).
_DETAIL = ("per_code", "counts", "n_", "intervals")


@dataclass(frozen=True, slots=True)
class Delta:
    """One metric in both runs."""

    metric: str
    a: float | None
    b: float | None

    @property
    def change(self) -> float | None:
        """b - a, when both runs have the metric."""
        return None if self.a is None or self.b is None else self.b - self.a


def load_metrics(path: Path) -> dict[str, Any]:
    """A run's ``metrics.json``, given the run directory or the file."""
    file = path / "metrics.json" if path.is_dir() else path
    loaded: dict[str, Any] = json.loads(file.read_text(encoding="utf-8"))
    return loaded


def load_predictions(path: Path) -> list[ExperiencePrediction] | None:
    """A dataset run's ``predictions.jsonl`` beside its metrics, or None when there is none
    (an ESCO benchmark run, or a metrics file copied on its own)."""
    file = _predictions_file(path)
    if file is None:
        return None
    try:
        return [ExperiencePrediction.model_validate_json(line)
                for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    except ValidationError as exc:
        raise ValueError(f"{file} is not a prediction file of `eval run`: "
                         f"{exc.errors()[0]['msg']}") from exc


def why_not_paired(a: dict[str, Any], b: dict[str, Any], has_predictions: tuple[bool, bool]
                   ) -> str | None:
    """Why the two runs cannot be compared experience by experience, or None when they can."""
    missing = [name for name, has in zip("AB", has_predictions, strict=True) if not has]
    if missing:
        return (f"no paired interval: run {' and '.join(missing)} has no predictions.jsonl "
                "beside its metrics.json")
    hash_a, hash_b = a.get("run", {}).get("dataset_hash"), b.get("run", {}).get("dataset_hash")
    if hash_a != hash_b:
        return (f"no paired interval: the runs read different datasets ({hash_a} and {hash_b}); "
                "the deltas above mix a change of data with a change of the service")
    return None


def paired_report(a: dict[str, Any], b: dict[str, Any], path_a: Path, path_b: Path, *,
                  resamples: int, seed: int, match: str | None = None) -> str:
    """B − A read on the same resampled experiences (dataset runs) or sentences (benchmark
    runs), as tables; or one line saying why the two runs cannot be paired."""
    def keep(name: str) -> bool:
        return match is None or match in name

    benchmark = ["benchmark" in m.get("run", {}) for m in (a, b)]
    try:
        if all(benchmark):
            return _paired_benchmark(a, b, path_a, path_b, resamples, seed, keep)
        if any(benchmark):
            return "no paired interval: one run is of the ESCO benchmark, the other of a dataset"
        pred_a, pred_b = load_predictions(path_a), load_predictions(path_b)
        reason = why_not_paired(a, b, (pred_a is not None, pred_b is not None))
        if reason is not None or pred_a is None or pred_b is None:
            return str(reason)
        rows = bootstrap.paired(pred_a, pred_b, resamples=resamples, seed=seed, keep=keep)
    except (OSError, ValueError) as exc:  # ComparisonError is a ValueError
        return f"no paired interval: {exc}"
    if not rows:
        return (f"no paired metric matches --match {match!r} (they are named micro_f1, "
                "ece_asserted, micro_f1:FRAMEWORK, ...)")
    return bootstrap.format_paired(rows, len(pred_a), resamples, bootstrap.LEVEL)


# A benchmark sentence's scores in ``predictions.jsonl``, and the ranker they belong to.
_SENTENCE_SCORES = (("scores", "hybrid"), ("product_scores", "product"))


def _predictions_file(path: Path) -> Path | None:
    """``predictions.jsonl`` beside a run's metrics (``path`` is the run or its metrics file)."""
    file = (path if path.is_dir() else path.parent) / "predictions.jsonl"
    return file if file.is_file() else None


def _sentence_lines(path: Path) -> list[dict[str, Any]] | None:
    file = _predictions_file(path)
    if file is None:
        return None
    return [json.loads(line) for line in file.read_text(encoding="utf-8").splitlines()
            if line.strip()]


def _paired_benchmark(a: dict[str, Any], b: dict[str, Any], path_a: Path, path_b: Path,
                      resamples: int, seed: int, keep: Callable[[str], bool]) -> str:
    lines_a, lines_b = _sentence_lines(path_a), _sentence_lines(path_b)
    if lines_a is None or lines_b is None:
        return "no paired interval: a run has no predictions.jsonl beside its metrics.json"
    run_a, run_b = a["run"], b["run"]
    if (run_a.get("labels_hash"), run_a.get("set_hashes")) != (run_b.get("labels_hash"),
                                                               run_b.get("set_hashes")):
        return ("no paired interval: the runs read different benchmark files (labels or sets "
                "differ in hash)")
    sentences = [(line.get("set"), line.get("sentence")) for line in lines_a]
    if sentences != [(line.get("set"), line.get("sentence")) for line in lines_b]:
        return ("no paired interval: the runs ranked different sentences (was one run with "
                "--limit?)")
    if not all("scores" in line for line in lines_a + lines_b):
        return ("no paired interval: a run's predictions.jsonl has no per-sentence scores "
                "(written before they were kept); run `eval decorte` again")
    tables = []
    for name in dict.fromkeys(s for s, _ in sentences):
        rows_of_set = [i for i, (s, _) in enumerate(sentences) if s == name]
        rows: list[bootstrap.PairedDelta] = []
        for field, ranker in _SENTENCE_SCORES:
            if not all(field in lines_a[i] and field in lines_b[i] for i in rows_of_set):
                continue
            values_a, values_b = (
                np.asarray([[lines[i][field][m] for m in decorte.METRICS] for i in rows_of_set],
                           dtype=np.float64) for lines in (lines_a, lines_b))
            names = [f"{name}.{ranker}.{m}" for m in decorte.METRICS]
            rows += [r for r in bootstrap.paired_means(values_a, values_b, names,
                                                       resamples=resamples, seed=seed)
                     if keep(r.metric)]
        if rows:
            tables.append(bootstrap.format_paired(rows, len(rows_of_set), resamples,
                                                  bootstrap.LEVEL, unit=f"{name} sentences"))
    return "\n\n".join(tables) or "no paired metric matches --match"


def flatten(tree: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves as dotted keys; lists (curves, bins) and run provenance are skipped."""
    leaves: dict[str, float] = {}
    if isinstance(tree, dict):
        for key, value in tree.items():
            if not prefix and key == "run":
                continue
            leaves |= flatten(value, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(tree, int | float) and not isinstance(tree, bool):
        leaves[prefix] = float(tree)
    return leaves


def deltas(a: dict[str, Any], b: dict[str, Any], everything: bool = False,
           match: str | None = None) -> list[Delta]:
    """Every metric of either run, in the order of run A then B."""
    flat_a, flat_b = flatten(a), flatten(b)
    keys = list(dict.fromkeys([*flat_a, *flat_b]))
    if not everything:
        keys = [k for k in keys if not any(d in k for d in _DETAIL)]
    if match:
        keys = [k for k in keys if match in k]
    return [Delta(k, flat_a.get(k), flat_b.get(k)) for k in keys]


def provenance_changes(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Lines naming what differs in how the two runs were produced."""
    run_a, run_b = a.get("run", {}), b.get("run", {})
    return [f"{key}: {json.dumps(run_a.get(key))} -> {json.dumps(run_b.get(key))}"
            for key in _PROVENANCE if run_a.get(key) != run_b.get(key)]


def format_table(rows: list[Delta]) -> str:
    """A fixed-width table: metric, A, B, delta."""
    width = max([len(r.metric) for r in rows] + [6])
    lines = [f"{'metric':<{width}}  {'A':>8}  {'B':>8}  {'delta':>8}"]
    for r in rows:
        lines.append(f"{r.metric:<{width}}  {_cell(r.a)}  {_cell(r.b)}  {_cell(r.change, True)}")
    return "\n".join(lines)


def _cell(value: float | None, signed: bool = False) -> str:
    if value is None:
        return f"{'-':>8}"
    return f"{value:>+8.4f}" if signed else f"{value:>8.4f}"
