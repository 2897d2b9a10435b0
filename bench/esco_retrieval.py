"""What the hybrid ESCO retrieval costs: the pipeline over ESCO, dense index against hybrid.

Runs ``ExtractionPipeline.run`` (real model, the installed ESCO framework) on the fixed workload
of ``bench/latency.py`` twice per experience and round: once through the multi-facet dense index
alone (how ESCO was retrieved before pipeline 1.4.0) and once through the hybrid index the API
now serves, alternating so both see the same machine load. Reports per-request p50/p95 of each,
their ratio, and how many skills each path asserts.

    python bench/esco_retrieval.py [--rounds 3] [--out var/bench/esco_retrieval.json]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.latency import experiences, summary, write_result  # noqa: E402
from service.domain.experience import Experience, ExtractionOptions  # noqa: E402
from service.runtime import load_catalog, load_encoder, load_pipeline  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.taxonomy.index import IndexStore, hybrid_index  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "esco_retrieval.json")
    args = parser.parse_args()

    settings = Settings()
    encoder = load_encoder(settings)
    esco = load_catalog(settings).get("esco")
    dense, _ = IndexStore(settings.index_dir, encoder).load_or_build(esco)
    started = time.perf_counter()
    hybrid = hybrid_index(dense)
    build_seconds = time.perf_counter() - started
    pipeline = load_pipeline(settings, encoder)
    workload = [Experience.model_validate(body) for body in experiences(20)]
    options = ExtractionOptions(taxonomies=["esco"])
    paths = {"dense": dense, "hybrid": hybrid}
    for index in paths.values():  # warm-up
        pipeline.run(workload[0], encoder, [index], options)

    ms: dict[str, list[float]] = {name: [] for name in paths}
    asserted: dict[str, list[int]] = {name: [] for name in paths}
    for _ in range(args.rounds):
        for experience in workload:
            for name, index in paths.items():
                started = time.perf_counter()
                result = pipeline.run(experience, encoder, [index], options)
                ms[name].append((time.perf_counter() - started) * 1000)
                asserted[name].append(len(result.assertions))
    report = {
        "experiences": len(workload), "rounds": args.rounds,
        "hybrid_index_build_seconds": round(build_seconds, 2),
        **{name: summary(values) | {"assertions_mean": round(
            sum(asserted[name]) / len(asserted[name]), 2)} for name, values in ms.items()},
    }
    report["ratio_p50_hybrid_to_dense"] = round(report["hybrid"]["p50_ms"]
                                                / report["dense"]["p50_ms"], 2)
    report["ratio_p95_hybrid_to_dense"] = round(report["hybrid"]["p95_ms"]
                                                / report["dense"]["p95_ms"], 2)
    write_result(report, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
