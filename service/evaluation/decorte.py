"""The ESCO sentence benchmark of Decorte et al.: rank all ESCO skills for job-ad sentences.

Protocol: rows are grouped by sentence; the gold is the set of a sentence's labels found in the
ESCO label list (sentences left with none are dropped); every label is ranked for every sentence;
RP@k = |top-k ∩ gold| / min(k, |gold|) and MRR are averaged over sentences.

A ranker is anything with ``name`` and ``rank``; the bi-encoder baseline ranks labels by cosine
with the sentence. Improved rankers (re-rankers, label descriptions, fine-tuned models) plug in
through the same interface and are scored by the same code.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np
import numpy.typing as npt
from pydantic import BaseModel
from tqdm import tqdm

from service.evaluation import metrics
from service.evaluation.bootstrap import Interval, paired_means
from service.evaluation.dataset import file_hash
from service.pipeline.embed import Embedder, Vectors
from service.pipeline.hybrid import HybridScorer
from service.pipeline.retrieve import SentenceQueries

LABELS_FILE = "skills_en_label.txt"
SETS = {"tech": "tech_validation_annotations.csv", "house": "house_validation_annotations.csv"}
CUTOFFS = (1, 5, 10)
METRICS = ("rp_at_1", "rp_at_5", "rp_at_10", "mrr")  # RP at each cutoff, then MRR
_EMBED_CHUNK = 512


@dataclass(frozen=True, slots=True)
class Ranking:
    """Label indices, best first, with their scores; may stop before the last label."""

    labels: npt.NDArray[np.int64]
    scores: npt.NDArray[np.float32]


class LabelRanker(Protocol):
    """Ranks the benchmark's label list for each sentence."""

    @property
    def name(self) -> str:
        """A stable ``name.vN``, recorded with the scores."""
        ...

    def rank(self, sentences: Sequence[str]) -> list[Ranking]:
        """One ranking per sentence."""
        ...


@dataclass(frozen=True, slots=True)
class BenchmarkSet:
    """Sentences of one set and the indices of their gold labels."""

    name: str
    sentences: list[str]
    gold: list[frozenset[int]]


class BenchmarkRun(BaseModel):
    """What produced a benchmark run."""

    benchmark: str = "decorte-esco-validation"
    data_dir: str
    labels_hash: str
    set_hashes: dict[str, str]
    n_labels: int
    model_id: str
    ranker: str
    baseline_ranker: str
    esco_texts: str  # where descriptions and alternative labels came from: a file hash
    esco_matched: int  # benchmark labels found in that file
    # The API's own ESCO retrieval over the installed framework (``FrameworkRanker``), if run
    product_ranker: str | None = None
    product_taxonomy: str | None = None  # id@version and content hash
    product_labels_covered: int | None = None  # benchmark labels the framework has an item for
    label_vectors: str  # "cache" or "built"
    sentence_limit: int | None
    started_at: datetime
    seconds: dict[str, float]


class SetScores(BaseModel):
    """A ranker's scores on one set."""

    rp_at_1: float
    rp_at_5: float
    rp_at_10: float
    mrr: float
    n_sentences: int
    n_gold: int


class BenchmarkMetrics(BaseModel):
    """Everything the benchmark's ``metrics.json`` holds.

    ``sets`` are the service's ranker's scores; ``baseline`` the plain bi-encoder's, measured in
    the same run on the same sentences; ``gain`` the difference, per set and metric; ``product``
    the same hybrid component as the API runs it, over the installed ESCO framework.
    """

    run: BenchmarkRun
    sets: dict[str, SetScores]
    baseline: dict[str, SetScores]
    gain: dict[str, dict[str, float]]
    # per set and metric: the gain with its 95% paired bootstrap interval over sentences
    gain_intervals: dict[str, dict[str, Interval]] = {}
    product: dict[str, SetScores] = {}


def gains(ranked: dict[str, SetScores], baseline: dict[str, SetScores]
          ) -> dict[str, dict[str, float]]:
    """Per set, each metric of ``ranked`` minus the baseline's."""
    return {s: {m: round(getattr(ranked[s], m) - getattr(baseline[s], m), 4) for m in METRICS}
            for s in ranked if s in baseline}


def load_labels(path: Path) -> list[str]:
    """The ESCO preferred labels, one per line, in file order."""
    labels = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    return [label for label in labels if label]


def load_set(name: str, path: Path, labels: Sequence[str],
             limit: int | None = None) -> BenchmarkSet:
    """Group annotation rows by sentence; keep sentences with at least one known label."""
    position = {label: i for i, label in enumerate(labels)}
    grouped: dict[str, set[int]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            known = grouped.setdefault(row["sentence"], set())
            if row["label"] in position:
                known.add(position[row["label"]])
    kept = [(s, frozenset(g)) for s, g in grouped.items() if g][:limit]
    return BenchmarkSet(name, [s for s, _ in kept], [g for _, g in kept])


def per_sentence(rankings: Sequence[Ranking], bench: BenchmarkSet) -> npt.NDArray[np.float64]:
    """Each sentence's RP@1, RP@5, RP@10 and reciprocal rank (sentences × ``METRICS``)."""
    rows = []
    for ranking, gold in zip(rankings, bench.gold, strict=True):
        ranked = ranking.labels.tolist()
        rows.append([*(metrics.rp_at_k(ranked, gold, k) for k in CUTOFFS),
                     metrics.reciprocal_rank(ranked, gold)])
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(METRICS))


def score_rankings(rankings: Sequence[Ranking], bench: BenchmarkSet) -> SetScores:
    """RP@1, RP@5, RP@10 and MRR of one set's rankings."""
    return set_scores(per_sentence(rankings, bench), bench)


def set_scores(values: npt.NDArray[np.float64], bench: BenchmarkSet) -> SetScores:
    """The set's scores from its sentences' (``per_sentence``)."""
    mean = values.mean(axis=0) if len(values) else np.zeros(len(METRICS))
    return SetScores(**{m: float(v) for m, v in zip(METRICS, mean, strict=True)},
                     n_sentences=len(values), n_gold=sum(len(g) for g in bench.gold))


def gain_intervals(ranked: npt.NDArray[np.float64], baseline: npt.NDArray[np.float64]
                   ) -> dict[str, Interval]:
    """Per metric, the mean gain over the baseline on the same sentences and its paired
    bootstrap interval (sentences drawn with replacement)."""
    return {d.metric: Interval(estimate=d.delta, low=d.low, high=d.high)
            for d in paired_means(baseline, ranked, METRICS)}


class BiEncoderRanker:
    """The plain baseline: every label by cosine with the sentence (exact inner-product search)."""

    name = "bi-encoder.nearest-label.v1"

    def __init__(self, embedder: Embedder, label_vectors: Vectors) -> None:
        self.embedder = embedder
        self._index = faiss.IndexFlatIP(label_vectors.shape[1])
        self._index.add(np.ascontiguousarray(label_vectors, dtype=np.float32))

    def rank(self, sentences: Sequence[str]) -> list[Ranking]:
        """Every label for every sentence, best first."""
        if not sentences:
            return []
        queries = np.ascontiguousarray(self.embedder.embed(sentences), dtype=np.float32)
        scores, ids = self._index.search(queries, int(self._index.ntotal))
        return [Ranking(i.astype(np.int64), s) for s, i in zip(scores, ids, strict=True)]


def text_vectors(embedder: Embedder, texts: Sequence[str], what: str, cache_dir: Path,
                 progress: bool = True) -> tuple[Vectors, bool]:
    """(vectors of ``texts``, whether they came from the cache keyed by model + the texts)."""
    model = re.sub(r"[^A-Za-z0-9._-]", "_", embedder.model_id)
    digest = hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest()[:20]
    path = cache_dir / model / f"decorte-{what}-{digest}.npy"
    if path.exists():
        vectors = np.load(path)
        if vectors.shape == (len(texts), embedder.dimension):
            return vectors.astype(np.float32), True
    chunks = range(0, len(texts), _EMBED_CHUNK)
    bar = tqdm(chunks, desc=f"embedding ESCO {what}", unit="chunk", file=sys.stderr,
               disable=not progress)
    vectors = np.concatenate([embedder.embed(texts[i : i + _EMBED_CHUNK]) for i in bar])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        np.save(handle, vectors)
    Path(tmp).replace(path)
    return vectors, False


@dataclass(frozen=True, slots=True)
class LabelTexts:
    """What else is known of each benchmark label: its description and alternative names."""

    descriptions: list[str]  # the label itself where ESCO has no description for it
    alternatives: list[list[str]]
    source: str  # the ESCO file's hash, or "labels-only"
    matched: int  # labels found in that file


def label_texts(labels: Sequence[str], esco_csv: Path | None) -> LabelTexts:
    """Descriptions and alternative labels from an ESCO skills CSV, matched by preferred label.

    The benchmark's labels are ESCO 1.1.0 preferred labels; a few were renamed since and are
    not in the CSV: they keep their label alone.
    """
    if esco_csv is None or not esco_csv.exists():
        return LabelTexts(list(labels), [[] for _ in labels], "labels-only", 0)
    rows: dict[str, tuple[str, list[str]]] = {}
    with esco_csv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            names = [a.strip() for a in row["alt_labels"].split("|") if a.strip()]
            rows.setdefault(row["preferred_label"], (row["description"].strip(), names))
    descriptions: list[str] = []
    alternatives: list[list[str]] = []
    matched = 0
    for label in labels:
        description, alts = rows.get(label, ("", []))
        matched += label in rows
        descriptions.append(description or label)
        alternatives.append(alts)
    return LabelTexts(descriptions, alternatives, file_hash(esco_csv), matched)


class HybridRanker:
    """The pipeline's hybrid score (``HybridScorer``, the component the API's ESCO retrieval
    uses) as a ranker of the benchmark's labels."""

    _BATCH = 128  # sentences scored at once: bounds the (sentences x labels) matrices

    def __init__(self, embedder: Embedder, scorer: HybridScorer) -> None:
        self.embedder = embedder
        self.scorer = scorer

    @property
    def name(self) -> str:
        """The scorer's ``name.vN``."""
        return self.scorer.component

    def rank(self, sentences: Sequence[str]) -> list[Ranking]:
        """Every label for every sentence, best first."""
        rankings: list[Ranking] = []
        for start in range(0, len(sentences), self._BATCH):
            batch = sentences[start : start + self._BATCH]
            if batch:
                scores = self.scorer.score(SentenceQueries.embed(batch, self.embedder)).combined
                order = np.argsort(-scores, axis=1, kind="stable")
                rankings += [Ranking(o.astype(np.int64), s[o])
                             for s, o in zip(scores, order, strict=True)]
        return rankings


class FrameworkRanker:
    """A ranker of a framework's items, read as a ranking of the benchmark's labels.

    Items match labels by name. A benchmark label the framework has no item for is never ranked
    (a miss); an item the benchmark has no label for is skipped.
    """

    def __init__(self, ranker: LabelRanker, item_labels: Sequence[str],
                 labels: Sequence[str]) -> None:
        position = {label: n for n, label in enumerate(labels)}
        self.ranker = ranker
        self._positions = np.array([position.get(label, -1) for label in item_labels],
                                   dtype=np.int64)
        self.covered = len({int(p) for p in self._positions if p >= 0})

    @property
    def name(self) -> str:
        """The wrapped ranker's name."""
        return self.ranker.name

    def rank(self, sentences: Sequence[str]) -> list[Ranking]:
        """The framework's ranking of each sentence, as benchmark label indices."""
        rankings = []
        for ranking in self.ranker.rank(sentences):
            positions = self._positions[ranking.labels]
            kept = positions >= 0
            labels, first = np.unique(positions[kept], return_index=True)  # a name once
            order = np.argsort(first, kind="stable")
            rankings.append(Ranking(labels[order], ranking.scores[kept][first[order]]))
        return rankings


def label_vectors(embedder: Embedder, labels: Sequence[str], cache_dir: Path,
                  progress: bool = True) -> tuple[Vectors, bool]:
    """(vectors of every label, whether they came from the cache keyed by model + labels)."""
    return text_vectors(embedder, labels, "labels", cache_dir, progress)
