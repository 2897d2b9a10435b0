"""The batching worker: concurrent requests share model calls; a full queue is a 429."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence

import numpy as np
import pytest

from service.errors import Overloaded
from service.inference.batcher import BatchingEmbedder
from service.runtime import load_encoder
from tests.conftest import make_settings


async def test_concurrent_requests_are_batched_with_the_real_model(tmp_path) -> None:
    encoder = load_encoder(make_settings(tmp_path))
    batcher = BatchingEmbedder(encoder, max_batch=64, max_wait_ms=20, queue_limit=64)
    batcher.start()
    try:
        texts = [[f"I tutored {n} students in algebra.", "We built a website."]
                 for n in range(12)]
        results = await asyncio.gather(*(batcher.embed(t) for t in texts))
    finally:
        batcher.stop()
    assert batcher.stats.jobs == 12
    assert batcher.stats.batches < 12
    for request, vectors in zip(texts, results, strict=True):
        np.testing.assert_allclose(vectors, encoder.embed(request), atol=1e-5)


class _SlowEmbedder:
    """Pure-logic stand-in: blocks until released, to fill the queue deterministically."""

    model_id = "slow"
    dimension = 3

    def __init__(self) -> None:
        self.release = threading.Event()

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.release.wait(5)
        return np.ones((len(texts), 3), dtype=np.float32)


async def test_full_queue_answers_overloaded() -> None:
    slow = _SlowEmbedder()
    batcher = BatchingEmbedder(slow, max_batch=1, max_wait_ms=0, queue_limit=1)
    batcher.start()
    try:
        running = asyncio.ensure_future(batcher.embed(["a"]))
        await asyncio.sleep(0.05)  # the worker has taken the first job and is blocked
        queued = asyncio.ensure_future(batcher.embed(["b"]))
        await asyncio.sleep(0)
        with pytest.raises(Overloaded) as refused:
            await batcher.embed(["c"])
        assert refused.value.headers["Retry-After"]
        slow.release.set()
        assert (await running).shape == (1, 3)
        assert (await queued).shape == (1, 3)
    finally:
        slow.release.set()
        batcher.stop()


async def test_model_failure_reaches_the_caller() -> None:
    class Broken(_SlowEmbedder):
        def embed(self, texts: Sequence[str]) -> np.ndarray:
            raise RuntimeError("boom")

    batcher = BatchingEmbedder(Broken(), max_batch=4, max_wait_ms=0, queue_limit=4)
    batcher.start()
    try:
        with pytest.raises(RuntimeError, match="boom"):
            await batcher.embed(["a"])
    finally:
        batcher.stop()
