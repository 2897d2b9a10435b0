"""Run the API's extraction pipeline over a labelled dataset, rolled up to the gold's codes.

Each experience goes through the pipeline twice on the same vectors: once exactly as the API
runs it (the operating point: which skills are asserted, how confidently, and the quality
indicators), and once with a ``scan_all`` copy that keeps every skill the retriever scored. The
second run only feeds rankings and PR curves; the pipeline itself is not changed.
"""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import numpy as np
import structlog
from pydantic import BaseModel, ConfigDict
from tqdm import tqdm

from service.domain.experience import ConfidenceLevel, ExtractionOptions
from service.domain.results import ExtractionResult, TaxonomyVersion
from service.domain.taxonomy import Taxonomy
from service.evaluation.dataset import GoldSkill, LabelledExperience, QualityRatings
from service.pipeline.embed import Embedder, Vectors
from service.pipeline.pipeline import ExtractionPipeline
from service.pipeline.retrieve import SentenceQueries, SkillIndex

log = structlog.get_logger(__name__)


class CodePrediction(BaseModel):
    """A gold-level code (e.g. AS-COLLAB) and the best-scoring item under it (AS-COLLAB.1)."""

    model_config = ConfigDict(frozen=True)

    framework: str
    code: str
    label: str
    score: float
    asserted: bool
    confidence: ConfidenceLevel | None
    matched_item: str
    rationale: str

    @property
    def key(self) -> str:
        """``framework:code``, as gold skills are keyed."""
        return f"{self.framework}:{self.code}"


class ExperiencePrediction(BaseModel):
    """The pipeline's output for one labelled experience, next to its gold."""

    id: str
    category: str
    title: str | None
    tags: list[str]
    labelled_frameworks: list[str]
    gold: list[GoldSkill]
    gold_quality: QualityRatings
    quality: QualityRatings | None = None  # the pipeline does not estimate quality yet
    # The levels estimated for the same experience with its narrative written out twice: it
    # says nothing new, so a level that moves follows the text's length, not what it shows.
    quality_repeated: QualityRatings | None = None
    candidates: list[CodePrediction]  # every scored code, best first
    seconds: float


class RunInfo(BaseModel):
    """What produced a run, so that it can be reproduced and compared."""

    dataset: str
    dataset_hash: str
    n_experiences: int
    model_id: str
    pipeline_version: str
    components: dict[str, str]
    taxonomies: list[TaxonomyVersion]
    operating_floors: dict[str, float]  # per framework: below it, nothing is asserted
    fitted_on: list[str]  # hashes of the data the calibration and quality models were fitted on
    in_sample: bool | None  # fitted on this dataset; None when an artefact names no data hash
    started_at: datetime
    seconds: dict[str, float]


class PipelineRunner:
    """Runs the API's pipeline and a scan-all copy of it on each labelled experience."""

    def __init__(self, embedder: Embedder, indexes: Mapping[str, SkillIndex],
                 pipeline: ExtractionPipeline) -> None:
        self.embedder = embedder
        self.indexes = indexes
        self.pipeline = pipeline
        self.scan = copy.copy(pipeline)
        self.scan.scan_all = True

    @property
    def operating_floors(self) -> dict[str, float]:
        """Per framework, the score below which the API asserts nothing."""
        return {f: self.pipeline.thresholds(f).floor for f in self.indexes}

    @property
    def fitted_on(self) -> list[str]:
        """The hashes of the files the pipeline's fitted artefacts were trained on (an artefact
        fitted on several files names them joined by ``+``)."""
        quality = self.pipeline.quality.model if self.pipeline.quality else None
        fitted = [self.pipeline.calibration, quality]
        return sorted({h for a in fitted if a is not None for h in a.trained_on.split("+")})

    def predict(self, record: LabelledExperience) -> ExperiencePrediction:
        """Both runs of one experience, rolled up to the gold's top-level codes."""
        started = time.perf_counter()
        frameworks = record.gold.labelled_frameworks
        missing = [f for f in frameworks if f not in self.indexes]
        if missing:
            raise KeyError(f"{record.id}: no index for {', '.join(missing)}")
        indexes = [self.indexes[f] for f in frameworks]
        options = ExtractionOptions(taxonomies=frameworks, min_confidence=ConfidenceLevel.LOW)
        embedder = _ReusedVectors(self.embedder)
        served = self.pipeline.run(record.experience, embedder, indexes, options)
        scanned = self.scan.run(record.experience, embedder, indexes, options)
        quality = served.quality_indicators
        repeated = self._quality_of_repeated_narrative(record, embedder)
        return ExperiencePrediction(
            id=record.id, category=record.experience.category.value,
            title=record.experience.title, tags=record.gold.tags,
            labelled_frameworks=frameworks, gold=record.gold.skills,
            gold_quality=record.gold.quality,
            quality=QualityRatings(**quality.levels()) if quality else None,
            quality_repeated=repeated,
            candidates=roll_up(served, scanned, {i.taxonomy.id: i.taxonomy for i in indexes}),
            seconds=round(time.perf_counter() - started, 4))

    def _quality_of_repeated_narrative(self, record: LabelledExperience,
                                       embedder: Embedder) -> QualityRatings | None:
        """The estimated levels had the narrative been written out twice.

        Read the way the API reads any narrative: segmented and embedded again (the
        sentences already embedded for this record are reused), so whatever in the estimate
        depends on how much was written, its words' counts included, shows. Levels the
        record gives as verified stay verified, as in the served run, so they never count as
        moving.
        """
        estimator = self.pipeline.quality
        if estimator is None:
            return None
        experience = record.experience
        repeated = experience.model_copy(
            update={"narrative": f"{experience.narrative}\n\n{experience.narrative}"})
        segments = self.pipeline.segment(repeated)
        texts = self.pipeline.texts_to_embed(segments)
        if not texts:
            return None
        queries = SentenceQueries.split([s.text for s in segments], embedder.embed(texts))
        levels = estimator.estimate(repeated, segments, queries.vectors,
                                    experience.quality_indicators).levels()
        return QualityRatings(**levels)

    def run(self, records: Sequence[LabelledExperience],
            progress: bool = True) -> list[ExperiencePrediction]:
        """Predictions for every record, with a progress bar on stderr."""
        bar = tqdm(records, desc="extracting", unit="exp", file=sys.stderr, disable=not progress)
        return [self.predict(record) for record in bar]


def roll_up(served: ExtractionResult, scanned: ExtractionResult,
            taxonomies: Mapping[str, Taxonomy]) -> list[CodePrediction]:
    """One prediction per top-level code: its best item's score, asserted if any item was."""
    levels = {(a.skill.framework, a.skill.id): a.confidence for a in served.assertions}
    grouped: dict[tuple[str, str], list[tuple[float, str, str, ConfidenceLevel | None]]] = {}
    labels: dict[tuple[str, str], str] = {}
    for a in scanned.assertions:
        root = taxonomies[a.skill.framework].root_of(a.skill.id)
        key = (a.skill.framework, root.code)
        labels[key] = root.label
        level = levels.get((a.skill.framework, a.skill.id))
        grouped.setdefault(key, []).append((a.score, a.skill.code, a.rationale, level))
    predictions = []
    for (framework, code), items in grouped.items():
        score, matched, rationale, _ = max(items, key=lambda i: i[0])
        asserted = [level for *_, level in items if level is not None]
        predictions.append(CodePrediction(
            framework=framework, code=code, label=labels[(framework, code)], score=score,
            asserted=bool(asserted), confidence=max(asserted, key=lambda lv: lv.rank, default=None),
            matched_item=matched, rationale=rationale))
    predictions.sort(key=lambda p: (-p.score, p.framework, p.code))
    return predictions


def run_info(dataset: str, dataset_hash: str, runner: PipelineRunner, n_experiences: int,
             started_at: datetime, seconds: dict[str, float]) -> RunInfo:
    """The run's provenance, as the pipeline records it on every result."""
    pipeline = runner.pipeline
    fitted_on = runner.fitted_on
    return RunInfo(
        dataset=dataset, dataset_hash=dataset_hash, n_experiences=n_experiences,
        model_id=runner.embedder.model_id, pipeline_version=pipeline.version,
        components=pipeline.components,
        taxonomies=[TaxonomyVersion(id=t.id, version=t.version, content_hash=t.content_hash)
                    for t in (i.taxonomy for i in runner.indexes.values())],
        operating_floors=runner.operating_floors, fitted_on=fitted_on,
        in_sample=_in_sample(dataset_hash, fitted_on), started_at=started_at, seconds=seconds)


def _in_sample(dataset_hash: str, fitted_on: list[str]) -> bool | None:
    if dataset_hash in fitted_on:
        return True
    return False if all(f.startswith("sha256:") for f in fitted_on) else None


def now() -> datetime:
    """The current time in UTC, as runs record it."""
    return datetime.now(UTC)


class _ReusedVectors:
    """Embeds each distinct text of one experience once: the second run of the experience,
    and its narrative written twice, reuse the first run's vectors."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder
        self._seen: dict[str, np.ndarray] = {}

    @property
    def model_id(self) -> str:
        """The wrapped model's id."""
        return self._embedder.model_id

    @property
    def dimension(self) -> int:
        """The wrapped model's vector width."""
        return self._embedder.dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        """The wrapped model's vectors; texts seen before are not embedded again."""
        new = list(dict.fromkeys(t for t in texts if t not in self._seen))
        if new:
            self._seen.update(zip(new, self._embedder.embed(new), strict=True))
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._seen[t] for t in texts])
