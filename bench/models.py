"""What each registered embedding model costs, measured in one run on the same work.

Per model: the time to embed one request's texts (the segments and clauses the service embeds,
for the same fixed experiences as bench/latency.py), alternating model by model so both see the
same machine state; the rate at which it embeds taxonomy facet texts, which sets how long a
first index build takes; and how long loading it takes once its weights are in place, beside
what hashing those weights would add (a model unpacked from slices is hashed once, then trusted
through its stamp; ``service/inference/weights.py``). Ratios are against the first model named.

    python bench/models.py [--models all-minilm-l6-v2 all-mpnet-base-v2] [--rounds 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.latency import experiences, percentile, summary, write_result  # noqa: E402
from service.domain.experience import Experience  # noqa: E402
from service.inference.registry import load_registry  # noqa: E402
from service.inference.weights import WEIGHTS_FILE, file_sha256  # noqa: E402
from service.pipeline.pipeline import ExtractionPipeline  # noqa: E402
from service.runtime import load_catalog, load_encoder  # noqa: E402
from service.settings import Settings  # noqa: E402
from service.taxonomy.index import facet_texts  # noqa: E402

FACET_TAXONOMY = "america-succeeds"


def main() -> int:
    settings = Settings()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=list(load_registry(settings.models_dir)))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--experiences", type=int, default=20)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "models.json")
    args = parser.parse_args()

    pipeline = ExtractionPipeline()
    requests = [pipeline.texts_to_embed(pipeline.segment(Experience.model_validate(body)))
                for body in experiences(args.experiences)]
    _, facets = facet_texts(load_catalog(settings).get(FACET_TAXONOMY))
    encoders = {m: load_encoder(Settings(embedding_model=m)) for m in args.models}
    load_s: dict[str, list[float]] = {m: [] for m in args.models}
    for _ in range(args.rounds):
        for model_id in args.models:
            started = time.perf_counter()
            load_encoder(Settings(embedding_model=model_id))
            load_s[model_id].append(time.perf_counter() - started)
    hash_s = {m: _hash_seconds(settings, m) for m in args.models}

    per_request: dict[str, list[float]] = {m: [] for m in args.models}
    facet_rate: dict[str, list[float]] = {m: [] for m in args.models}
    for _ in range(args.rounds):
        for texts in requests:
            for model_id, encoder in encoders.items():
                started = time.perf_counter()
                encoder.embed(texts)
                per_request[model_id].append((time.perf_counter() - started) * 1000)
        for model_id, encoder in encoders.items():
            started = time.perf_counter()
            encoder.embed(facets)
            facet_rate[model_id].append(len(facets) / (time.perf_counter() - started))

    first = args.models[0]
    result = {
        "workload": {"experiences": len(requests), "rounds": args.rounds,
                     "texts_per_request": round(sum(map(len, requests)) / len(requests), 1),
                     "facet_texts": len(facets), "facet_taxonomy": FACET_TAXONOMY},
        "models": {
            m: {"request_embed": summary(per_request[m]),
                "facet_texts_per_second": round(max(facet_rate[m]), 1),
                f"p50_ratio_to_{first}": round(percentile(per_request[m], 0.5)
                                               / percentile(per_request[first], 0.5), 2),
                f"index_build_ratio_to_{first}": round(max(facet_rate[first])
                                                       / max(facet_rate[m]), 2),
                "load_s": round(min(load_s[m]), 3),
                "weights_sha256_s": hash_s[m],
                "weights_sha256_to_load": (round(hash_s[m] / min(load_s[m]), 2)
                                           if hash_s[m] is not None else None)}
            for m in args.models},
    }
    write_result(result, args.out)
    return 0


def _hash_seconds(settings: Settings, model_id: str) -> float | None:
    """What hashing an unpacked model's weights takes (what its stamp saves at every load)."""
    spec = load_registry(settings.models_dir)[model_id]
    if spec.archive is None:
        return None
    weights = spec.weights_path(settings.var_dir) / WEIGHTS_FILE
    started = time.perf_counter()
    file_sha256(weights)
    return round(time.perf_counter() - started, 3)


if __name__ == "__main__":
    raise SystemExit(main())
