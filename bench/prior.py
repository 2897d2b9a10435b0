"""What the experience prior and the quality model's word probes cost a request, in one run.

For the fixed experiences of bench/latency.py: the time the installed prior takes for the four
labelled frameworks, whole (every reader), its embedding probe alone and, where one was fitted,
its text probe alone (the encoder's fine-tuned upper layers over the whole experience), and the
time the quality estimate takes, whole and its word probes alone, against embedding the request
and against everything after embedding (``assert_skills`` over the same frameworks, which
includes the prior).

    python bench/prior.py [--rounds 5] [--experiences 20]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.latency import experiences, percentile, summary, write_result  # noqa: E402
from service.domain.experience import Experience, ExtractionOptions  # noqa: E402
from service.pipeline.prior import experience_text, experience_vector  # noqa: E402
from service.pipeline.retrieve import SentenceQueries  # noqa: E402
from service.runtime import load_catalog, load_encoder, load_indexes, load_pipeline  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.taxonomy.catalog import TaxonomyCatalog  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--experiences", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "prior.json")
    args = parser.parse_args()
    settings = Settings()
    encoder = load_encoder(settings)
    pipeline = load_pipeline(settings, encoder)
    prior = pipeline.prior
    if prior is None:
        raise SystemExit("no fitted prior for this model: run make calibrate")
    frameworks = sorted(prior.probes)
    catalog = TaxonomyCatalog(load_catalog(settings).select(frameworks))
    indexes = list(load_indexes(settings, encoder, catalog)[0].values())

    work = []
    for body in experiences(args.experiences):
        experience = Experience.model_validate(body)
        segments = pipeline.segment(experience)
        vectors = encoder.embed(pipeline.texts_to_embed(segments))
        work.append((experience, segments, vectors))

    quality = pipeline.quality
    if quality is None or quality.model is None:
        raise SystemExit("no fitted quality model for this model: run make calibrate")
    quality_model = quality.model
    timings: dict[str, list[float]] = {"embed": [], "after_embedding": [], "prior_whole": [],
                                       "prior_embedding_probe_only": [], "quality_estimate": [],
                                       "quality_word_probes": []}
    if prior.reader is not None:
        timings["prior_text_probe_only"] = []

    def timed(name: str, started: float) -> None:
        timings[name].append((time.perf_counter() - started) * 1000)

    for _ in range(args.rounds):
        for experience, segments, vectors in work:
            started = time.perf_counter()
            encoder.embed(pipeline.texts_to_embed(segments))
            timed("embed", started)
            started = time.perf_counter()
            pipeline.assert_skills(experience, segments, vectors, indexes, ExtractionOptions(),
                                   encoder.model_id)
            timed("after_embedding", started)
            sentence_vectors = SentenceQueries.split([s.text for s in segments], vectors).vectors
            started = time.perf_counter()
            quality.estimate(experience, segments, sentence_vectors)
            timed("quality_estimate", started)
            started = time.perf_counter()
            words = quality_model.words(segments)
            for probe in quality_model.word_probes.values():
                probe.probabilities(words)
            timed("quality_word_probes", started)
            whole = experience_vector(sentence_vectors)
            if whole is None:
                continue
            started = time.perf_counter()
            prior.for_frameworks(frameworks, whole, experience_text(segments))
            timed("prior_whole", started)
            started = time.perf_counter()
            for framework in frameworks:
                prior.probes[framework].probabilities(whole)
            timed("prior_embedding_probe_only", started)
            if prior.reader is not None:
                started = time.perf_counter()
                prior.reader.logits(experience_text(segments))
                timed("prior_text_probe_only", started)

    p50 = {name: percentile(ms, 0.5) for name, ms in timings.items()}
    write_result({
        "workload": {"experiences": len(work), "rounds": args.rounds,
                     "frameworks": frameworks, "model": encoder.model_id,
                     "lexicon_terms": len(prior.lexicon.terms),
                     "prior": pipeline.components["prior"]},
        "ms": {name: summary(ms, digits=3) for name, ms in timings.items()},
        "p50_ratios": {
            "prior_whole_to_embedding_probe_only": round(
                p50["prior_whole"] / p50["prior_embedding_probe_only"], 2),
            "prior_whole_to_after_embedding": round(p50["prior_whole"] / p50["after_embedding"],
                                                    4),
            "prior_whole_to_embed": round(p50["prior_whole"] / p50["embed"], 4),
            **({"prior_text_probe_to_embed": round(p50["prior_text_probe_only"] / p50["embed"],
                                                   4),
                "prior_text_probe_to_after_embedding": round(
                    p50["prior_text_probe_only"] / p50["after_embedding"], 4)}
               if "prior_text_probe_only" in p50 else {}),
            "quality_word_probes_to_quality_estimate": round(
                p50["quality_word_probes"] / p50["quality_estimate"], 3),
            "quality_word_probes_to_embed": round(p50["quality_word_probes"] / p50["embed"], 4)},
    }, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
