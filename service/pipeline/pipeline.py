"""The extraction pipeline, composed of its named, versioned components."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Protocol

import numpy as np

from service.domain.crosswalk import Crosswalk
from service.domain.experience import ConfidenceLevel, Experience, ExtractionOptions
from service.domain.results import (
    Equivalent,
    EvidenceSpan,
    ExtractionResult,
    SkillAssertion,
    SkillRef,
    TaxonomyVersion,
)
from service.domain.taxonomy import Taxonomy
from service.pipeline.calibrate import (
    CalibrationModel,
    CandidateContext,
    Thresholds,
    evidence_features,
)
from service.pipeline.embed import Embedder, Vectors
from service.pipeline.hybrid import HybridRetriever, HybridScorer, HybridSkillIndex
from service.pipeline.prior import ExperiencePrior, experience_text, experience_vector
from service.pipeline.quality import QualityEstimator
from service.pipeline.rationale import RationaleWriter
from service.pipeline.retrieve import (
    CandidateRetriever,
    SentenceQueries,
    SkillIndex,
    document_similarities,
)
from service.pipeline.score import EvidenceWeightedScorer, SkillEvidence
from service.pipeline.segment import Segment, SentenceSegmenter
from service.pipeline.select import UNCALIBRATED, ConfidencePolicy
from service.pipeline.sources import profile_sources

PIPELINE_VERSION = "1.11.0"


class Component(Protocol):
    """A pipeline stage: a stable name and a version bumped when its output can change."""

    name: str
    version: str


class ExtractionPipeline:
    """segment -> embed -> retrieve -> score -> select -> explain.

    Embedding is the only step that needs the model; the API runs it through the batching
    worker, the CLI and the eval harness call ``run`` with an embedder directly. Both paths
    share every other step. What is embedded is ``texts_to_embed``: every segment, then each
    segment's clauses, which retrieval searches with too.
    """

    def __init__(
        self,
        segmenter: SentenceSegmenter | None = None,
        retriever: CandidateRetriever | None = None,
        hybrid: HybridRetriever | None = None,
        scorer: EvidenceWeightedScorer | None = None,
        policy: ConfidencePolicy | None = None,
        writer: RationaleWriter | None = None,
        quality: QualityEstimator | None = None,
        calibration: CalibrationModel | None = None,
        prior: ExperiencePrior | None = None,
        scan_all: bool = False,
        crosswalk: Crosswalk | None = None,
    ) -> None:
        self.segmenter = segmenter or SentenceSegmenter()
        self.retriever = retriever or CandidateRetriever()
        self.hybrid = hybrid or HybridRetriever()
        self.scorer = scorer or EvidenceWeightedScorer()
        self.policy = policy or ConfidencePolicy()
        self.writer = writer or RationaleWriter()
        self.quality = quality
        self.calibration = calibration
        self.prior = prior
        # Evaluation only: keep every scored candidate, ignoring the operating point.
        self.scan_all = scan_all
        self.crosswalk = crosswalk or Crosswalk()

    @property
    def version(self) -> str:
        """The pipeline's own version."""
        return PIPELINE_VERSION

    @property
    def components(self) -> dict[str, str]:
        """Each stage's ``name.vN``, recorded on every result."""
        stages: dict[str, Component] = {
            "segment": self.segmenter, "retrieve": self.retriever, "score": self.scorer,
            "select": self.policy, "explain": self.writer}
        if self.quality is not None:
            stages["quality"] = self.quality
        named = {stage: f"{c.name}.v{c.version}" for stage, c in stages.items()}
        # Frameworks whose manifest asks for it (the full ESCO taxonomy) retrieve this way.
        named["retrieve_hybrid"] = (f"{self.hybrid.name}.v{self.hybrid.version}+"
                                    f"{HybridScorer.name}.v{HybridScorer.version}")
        if self.quality is not None:
            named["quality"] += f"+{self.quality.artefact}"
        named["crosswalk"] = f"crosswalk+{self.crosswalk.version}"
        named["prior"] = (f"{ExperiencePrior.name}.v{self.prior.component_version}+"
                          f"{self.prior.version}" if self.prior else "none")
        named["calibrate"] = ("calibrate.logreg-isotonic.v4+" + self.calibration.version
                              if self.calibration else "uncalibrated")
        return named

    def thresholds(self, taxonomy_id: str) -> Thresholds:
        """The operating point and level thresholds in force for one framework."""
        if self.scan_all:
            return Thresholds(floor=0.0, medium=UNCALIBRATED.medium, high=UNCALIBRATED.high)
        if self.calibration is None:
            return UNCALIBRATED
        return self.calibration.thresholds_for(taxonomy_id)

    def segment(self, experience: Experience) -> list[Segment]:
        """Every sentence of the narrative and the evidence, with offsets."""
        segments: list[Segment] = []
        for source, text in experience.sources():
            segments += self.segmenter.segment(source, text)
        return segments

    @staticmethod
    def texts_to_embed(segments: Sequence[Segment]) -> list[str]:
        """The segments' texts, then their clauses (``SentenceQueries.texts``)."""
        return SentenceQueries.texts([s.text for s in segments])[0]

    def assert_skills(
        self,
        experience: Experience,
        segments: Sequence[Segment],
        vectors: Vectors,
        indexes: Sequence[SkillIndex],
        options: ExtractionOptions,
        model_id: str,
    ) -> ExtractionResult:
        """Everything after embedding: quality, retrieve, score, calibrate, select, explain.

        ``vectors`` has one row per text of ``texts_to_embed``.
        """
        queries = SentenceQueries.split([s.text for s in segments], vectors)
        quality = (self.quality.estimate(experience, list(segments), queries.vectors,
                                         experience.quality_indicators)
                   if self.quality is not None else None)
        levels = quality.levels() if quality is not None else None
        ranked: list[tuple[SkillAssertion, float]] = []  # with the evidence's strength
        selected = [i.taxonomy.id for i in indexes]
        # every framework's prior from one reading of the experience's words
        priors = (self.prior.for_frameworks(selected, experience_vector(queries.vectors),
                                            experience_text(segments))
                  if self.prior is not None else {})
        for index in indexes:
            taxonomy = index.taxonomy
            thresholds = self.thresholds(taxonomy.id)
            for skill, context in self.candidates(experience, segments, queries, index, levels,
                                                  priors.get(taxonomy.id, {})):
                score = strength = skill.score
                if self.calibration is not None:
                    strength = self.calibration.logit(taxonomy.id,
                                                      evidence_features(skill, context))
                    score = self.calibration.score_map(taxonomy.id).probability(strength)
                level = self.policy.level(skill, score, thresholds)
                if level is None or level.rank < options.min_confidence.rank:
                    continue
                ranked.append((self._assertion(skill, score, level, taxonomy, selected),
                               strength))
        # A step of the calibration map gives several skills one probability; the stronger
        # evidence (the calibrator's logit) orders them.
        ranked.sort(key=lambda r: (-r[0].score, -r[1], r[0].skill.framework, r[0].skill.code))
        assertions = [assertion for assertion, _ in ranked]
        if options.max_assertions is not None:
            assertions = assertions[: options.max_assertions]
        return ExtractionResult(
            model_id=model_id,
            pipeline_version=self.version,
            components=self.components | self._names_matched(indexes),
            taxonomies=[TaxonomyVersion(id=i.taxonomy.id, version=i.taxonomy.version,
                                        content_hash=i.taxonomy.content_hash) for i in indexes],
            assertions=assertions,
            quality_indicators=quality,
        )

    def candidates(self, experience: Experience, segments: Sequence[Segment],
                   queries: SentenceQueries, index: SkillIndex,
                   quality_levels: dict[str, int] | None,
                   priors: dict[str, float] | None = None
                   ) -> list[tuple[SkillEvidence, CandidateContext]]:
        """Every scored skill of one framework, strongest first, with what the calibrator reads.

        The API, the eval harness and ``eval calibrate`` all read candidates through here.
        ``queries`` are the segments and their clauses, embedded. ``priors`` (competency code ->
        probability) default to the fitted ExperiencePrior's; ``eval calibrate`` passes
        out-of-fold ones.
        """
        taxonomy = index.taxonomy
        whole_vector = experience_vector(queries.vectors)
        if priors is None and self.prior is not None:
            priors = self.prior.for_framework(taxonomy.id, whole_vector,
                                              experience_text(segments))
        priors = priors or {}
        hybrid = index if isinstance(index, HybridSkillIndex) else None
        matches = (self.hybrid.retrieve(queries, hybrid) if hybrid
                   else self.retriever.retrieve(queries, index))
        evidence = self.scorer.aggregate(index.taxonomy.id, matches, list(segments),
                                         profile_sources(experience))
        evidence.sort(key=lambda e: -e.score)
        whole: dict[str, float] = {}
        if evidence:
            whole = (hybrid.document_similarities(whole_vector) if hybrid
                     else document_similarities(whole_vector, index))
        return [(skill, CandidateContext(
                    rank=rank, top_score=evidence[0].score,
                    document_similarity=whole.get(skill.item.identifier, 0.0),
                    category=experience.category, quality_levels=quality_levels,
                    prior=priors.get(taxonomy.root_of(skill.item.identifier).code, 0.0)))
                for rank, skill in enumerate(evidence, start=1)]

    def run(self, experience: Experience, embedder: Embedder, indexes: Sequence[SkillIndex],
            options: ExtractionOptions | None = None) -> ExtractionResult:
        """The whole pipeline in the calling thread."""
        segments = self.segment(experience)
        texts = self.texts_to_embed(segments)
        vectors = (embedder.embed(texts) if texts
                   else np.zeros((0, embedder.dimension), dtype=np.float32))
        return self.assert_skills(experience, segments, vectors, indexes,
                                  options or ExtractionOptions(), embedder.model_id)

    @staticmethod
    def _names_matched(indexes: Sequence[SkillIndex]) -> dict[str, str]:
        """For each hybrid framework, the digest of the names its lexical view matched."""
        hybrid = [i for i in indexes if isinstance(i, HybridSkillIndex)]
        return {f"names:{i.taxonomy.id}": f"sha256:{i.scorer.names_digest}" for i in hybrid}

    def _assertion(self, skill: SkillEvidence, score: float, level: ConfidenceLevel,
                   taxonomy: Taxonomy, selected: Sequence[str]) -> SkillAssertion:
        item = skill.item
        key = f"{taxonomy.id}:{item.identifier}".encode()
        return SkillAssertion(
            id="sa_" + hashlib.sha256(key).hexdigest()[:16],
            skill=SkillRef(id=item.identifier, code=item.code, label=item.label,
                           framework=taxonomy.id, skill_type=taxonomy.skill_type, uri=item.uri),
            score=round(score, 4),
            confidence=level,
            evidence_spans=[
                EvidenceSpan(source=s.segment.source, start=s.segment.start, end=s.segment.end,
                             text=s.segment.text, similarity=round(s.similarity, 4))
                for s in skill.support
            ],
            rationale=self.writer.write(skill),
            equivalents=[
                Equivalent(framework=x.target_framework, code=x.target.code,
                           label=x.target.label, id=x.target.identifier, relation=x.relation)
                for x in self.crosswalk.equivalents(taxonomy.id, item.identifier, selected)
            ],
        )
