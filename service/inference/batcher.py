"""Serve embeddings from one worker thread, batching concurrent requests together.

The event loop never runs the model: requests put their texts on a bounded queue and await a
future; the worker takes whatever has arrived (up to ``max_batch`` texts, waiting at most
``max_wait_ms`` for company), encodes it in one call and hands each request its rows. A full
queue is an explicit 429 rather than unbounded waiting.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import structlog

from service.errors import Overloaded
from service.pipeline.embed import Embedder, Vectors

log = structlog.get_logger(__name__)


@dataclass
class _Job:
    texts: Sequence[str]
    future: asyncio.Future[Vectors]
    loop: asyncio.AbstractEventLoop


@dataclass
class BatchStats:
    """Counters for monitoring and benchmarks."""

    batches: int = 0
    texts: int = 0
    jobs: int = 0
    encode_seconds: float = 0.0
    largest_batch: int = 0


class BatchingEmbedder:
    """Async front of an Embedder, run by a single worker thread."""

    def __init__(self, embedder: Embedder, max_batch: int = 64, max_wait_ms: float = 5.0,
                 queue_limit: int = 256) -> None:
        self.embedder = embedder
        self.max_batch = max_batch
        self.max_wait = max_wait_ms / 1000.0
        self._queue: queue.Queue[_Job | None] = queue.Queue(maxsize=queue_limit)
        self._thread: threading.Thread | None = None
        self.stats = BatchStats()

    @property
    def model_id(self) -> str:
        """Registry id of the model behind the worker."""
        return self.embedder.model_id

    @property
    def dimension(self) -> int:
        """Vector width."""
        return self.embedder.dimension

    def start(self) -> None:
        """Start the worker thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="embedder", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish queued work, then stop the worker."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout)
            self._thread = None

    async def embed(self, texts: Sequence[str]) -> Vectors:
        """Vectors for ``texts``, computed in the worker thread together with other requests."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        loop = asyncio.get_running_loop()
        job = _Job(texts, loop.create_future(), loop)
        try:
            self._queue.put_nowait(job)
        except queue.Full:
            raise Overloaded("The embedding queue is full; retry after a short wait.") from None
        return await job.future

    def _work(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            jobs, size = [first], len(first.texts)
            deadline = time.monotonic() + self.max_wait
            stop = False
            while size < self.max_batch:
                try:
                    job = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if job is None:
                    stop = True
                    break
                jobs.append(job)
                size += len(job.texts)
            self._run(jobs)
            if stop:
                return

    def _run(self, jobs: list[_Job]) -> None:
        texts = [t for job in jobs for t in job.texts]
        started = time.perf_counter()
        try:
            vectors = self.embedder.embed(texts)
        except Exception as exc:  # handed to every waiting request, never swallowed
            log.exception("embedder.failed", texts=len(texts))
            for job in jobs:
                job.loop.call_soon_threadsafe(_fail, job.future, exc)
            return
        self.stats.batches += 1
        self.stats.jobs += len(jobs)
        self.stats.texts += len(texts)
        self.stats.largest_batch = max(self.stats.largest_batch, len(texts))
        self.stats.encode_seconds += time.perf_counter() - started
        offset = 0
        for job in jobs:
            rows = vectors[offset : offset + len(job.texts)]
            offset += len(job.texts)
            job.loop.call_soon_threadsafe(_resolve, job.future, rows)


def _resolve(future: asyncio.Future[Vectors], rows: Vectors) -> None:
    if not future.done():
        future.set_result(rows)


def _fail(future: asyncio.Future[Vectors], exc: Exception) -> None:
    if not future.done():
        future.set_exception(exc)
