"""End-to-end latency through the HTTP API, against the time the model alone takes.

Starts the real service (uvicorn, real model, SQLite in a temporary directory) on a free
loopback port, sends a fixed set of realistic experiences, and reports p50/p95 latency,
sequentially and with concurrent clients. In the same run it embeds the same segments with the
model directly (one call per experience, same batch size), so the ratio says what the service
adds on top of the model. All traffic stays on 127.0.0.1 and the loops are bounded.

    python bench/latency.py [--rounds 3] [--concurrency 4] [--out var/bench/latency.json]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.domain.experience import Experience  # noqa: E402
from service.pipeline.pipeline import ExtractionPipeline  # noqa: E402
from service.runtime import load_encoder  # noqa: E402
from service.settings import Settings  # noqa: E402
from tests.experiences import FOOD_DRIVE, WATER_QUALITY  # noqa: E402

DATASET = ROOT / "eval" / "datasets" / "experiences-v1" / "dev.jsonl"


def experiences(limit: int) -> list[dict[str, Any]]:
    """The fixed workload: two hand-written experiences plus the first dev-set ones."""
    chosen = [FOOD_DRIVE, WATER_QUALITY]
    with DATASET.open(encoding="utf-8") as lines:
        for line in lines:
            if len(chosen) >= limit:
                break
            chosen.append(json.loads(line)["experience"])
    return chosen


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(ms: list[float], digits: int = 1) -> dict[str, float]:
    return {"n": len(ms), "p50_ms": round(percentile(ms, 0.5), digits),
            "p95_ms": round(percentile(ms, 0.95), digits),
            "mean_ms": round(statistics.mean(ms), digits)}


async def run_http(base: str, key: str, bodies: list[dict[str, Any]], rounds: int,
                   concurrency: int) -> tuple[list[float], list[float], float]:
    async with httpx.AsyncClient(base_url=base, timeout=60,
                                 headers={"Authorization": f"Bearer {key}"}) as client:
        sequential = []
        for _ in range(rounds):
            for body in bodies:
                started = time.perf_counter()
                response = await client.post("/v1/extractions", json=body)
                sequential.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()

        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        for _ in range(rounds):
            for body in bodies:
                queue.put_nowait(body)
        concurrent: list[float] = []

        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                response = await client.post("/v1/extractions", json=body)
                concurrent.append((time.perf_counter() - started) * 1000)
                response.raise_for_status()

        wall = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        throughput = len(concurrent) / (time.perf_counter() - wall)
        return sequential, concurrent, throughput


def model_only(bodies: list[dict[str, Any]], rounds: int) -> tuple[list[float], int]:
    """Embed exactly the texts the service embeds (segments and their clauses), one model call
    per experience."""
    encoder = load_encoder(Settings())
    pipeline = ExtractionPipeline()
    texts = [pipeline.texts_to_embed(pipeline.segment(Experience.model_validate(b)))
             for b in bodies]
    timings = []
    for _ in range(rounds):
        for batch in texts:
            started = time.perf_counter()
            encoder.embed(batch)
            timings.append((time.perf_counter() - started) * 1000)
    return timings, sum(len(t) for t in texts)


def write_result(result: dict[str, Any], out: Path) -> None:
    """Save a benchmark's figures as JSON at ``out`` and print them."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--experiences", type=int, default=20)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "bench" / "latency.json")
    args = parser.parse_args()
    bodies = experiences(args.experiences)

    port = free_port()
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    env = os.environ | {"PORT": str(port), "HF_HUB_OFFLINE": "1", "LOG_LEVEL": "WARNING",
                        "DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
                        "INDEX_CACHE_DIR": str(ROOT / "var" / "indexes")}
    # Requests authenticate as in production: a submitter key in the benchmark's database.
    key = subprocess.run([sys.executable, "-m", "service", "keys", "create", "--tenant", "bench",
                          "--role", "submitter"], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True).stdout.strip()
    server = subprocess.Popen([sys.executable, "-m", "service", "serve"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None:
                raise SystemExit("the service exited during start-up")
            time.sleep(0.5)
        else:
            raise SystemExit("the service did not become ready within 300 s")
        sequential, concurrent, throughput = asyncio.run(
            run_http(base, key, bodies, args.rounds, args.concurrency))
    finally:
        server.terminate()
        server.wait(30)

    embed_ms, segments = model_only(bodies, args.rounds)
    result = {
        "workload": {"experiences": len(bodies), "rounds": args.rounds, "segments": segments,
                     "concurrency": args.concurrency},
        "http_sequential": summary(sequential),
        "http_concurrent": summary(concurrent) | {"throughput_rps": round(throughput, 2)},
        "model_only_embed": summary(embed_ms),
        "ratio_p50_http_to_model": round(percentile(sequential, 0.5)
                                         / percentile(embed_ms, 0.5), 2),
        "ratio_p95_http_to_model": round(percentile(sequential, 0.95)
                                         / percentile(embed_ms, 0.95), 2),
    }
    write_result(result, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
