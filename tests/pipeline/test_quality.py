"""Experience Quality Indicators: estimated with rationales, verified levels win."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from service.domain.experience import Experience
from service.domain.quality import QualityIndicators, VerifiedQuality
from service.inference.encoder import SentenceEncoder
from service.pipeline.pipeline import ExtractionPipeline
from service.pipeline.quality import QualityEstimator
from service.runtime import load_encoder, load_pipeline
from service.settings import Settings
from tests.conftest import make_settings

LED = Experience.model_validate({
    "category": "entrepreneurial",
    "narrative": (
        "I started a free coding club for middle schoolers at our library because nothing like "
        "it existed. I wrote the whole curriculum myself, recruited six volunteer tutors, "
        "applied for a $1,500 grant to buy laptops and managed that budget. When attendance "
        "dropped I redesigned the sessions around projects the kids picked. After two years "
        "the club has 40 regulars and the library made it a permanent program."),
    "start_date": "2023-09-01", "end_date": "2025-06-30", "hours": 400,
})
DIRECTED = Experience.model_validate({
    "category": "employment",
    "narrative": "I bagged groceries on Saturdays. My manager told me what to do and I did it.",
    "hours": 12,
})


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return make_settings(tmp_path_factory.mktemp("quality"))


@pytest.fixture(scope="module")
def encoder(settings: Settings) -> SentenceEncoder:
    return load_encoder(settings)


@pytest.fixture(scope="module")
def pipeline(settings: Settings, encoder: SentenceEncoder) -> ExtractionPipeline:
    return load_pipeline(settings, encoder)


@pytest.fixture(scope="module")
def estimate(pipeline: ExtractionPipeline, encoder: SentenceEncoder
             ) -> Callable[..., QualityIndicators]:
    """Quality indicators of an experience, through the installed pipeline."""

    def run(experience: Experience, verified: VerifiedQuality | None = None
            ) -> QualityIndicators:
        assert pipeline.quality is not None
        segments = pipeline.segment(experience)
        vectors = encoder.embed([s.text for s in segments])
        return pipeline.quality.estimate(experience, segments, vectors, verified)

    return run


def test_fitted_quality_model_is_installed(pipeline: ExtractionPipeline) -> None:
    assert isinstance(pipeline.quality, QualityEstimator)
    assert pipeline.quality.model is not None, "run `python -m service eval calibrate`"
    assert "+quality-" in pipeline.components["quality"]


def test_self_initiated_led_experience_rates_above_directed_work(
        estimate: Callable[..., QualityIndicators]) -> None:
    led = estimate(LED).levels()
    directed = estimate(DIRECTED).levels()
    assert led["responsibility"] >= 3 > directed["responsibility"]
    assert led["novelty"] > directed["novelty"]
    assert led["complexity"] > directed["complexity"]


def test_rationale_cites_an_exact_span(estimate: Callable[..., QualityIndicators]) -> None:
    indicators = estimate(LED)
    for name in ("responsibility", "complexity", "novelty"):
        indicator = getattr(indicators, name)
        assert indicator.source == "estimated"
        assert indicator.rationale.startswith(f"Estimated {name} level {indicator.level}")
        span = indicator.evidence_span
        assert span is not None
        assert LED.narrative[span["start"]:span["end"]] == span["text"]
        assert span["text"][:30] in indicator.rationale
    assert "400 hours" in indicators.responsibility.rationale


def test_verified_levels_win(estimate: Callable[..., QualityIndicators]) -> None:
    indicators = estimate(DIRECTED, VerifiedQuality(responsibility=4))
    assert indicators.responsibility.level == 4
    assert indicators.responsibility.source == "verified"
    assert indicators.novelty.source == "estimated"
