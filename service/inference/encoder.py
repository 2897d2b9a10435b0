"""The embedding model, loaded once from its PyPI package, offline."""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from service.inference.registry import ModelSpec
from service.pipeline.embed import Vectors

if TYPE_CHECKING:
    from service.inference.text_probe import Backbone

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


class SentenceEncoder:
    """A sentence-transformers model behind the pipeline's Embedder interface.

    ``embed`` sorts inputs by length before batching (as sentence-transformers does), so a batch
    pads to similar lengths, and returns rows in the caller's order.
    """

    def __init__(self, spec: ModelSpec, weights: Path, batch_size: int = 64,
                 threads: int = 0) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        if threads:
            torch.set_num_threads(threads)
        self.spec = spec
        self.batch_size = batch_size
        self._model = SentenceTransformer(str(weights), device="cpu",
                                          local_files_only=True)
        self._model.max_seq_length = spec.max_seq_length

    @property
    def model_id(self) -> str:
        """Registry id of the model."""
        return self.spec.id

    @property
    def dimension(self) -> int:
        """Vector width."""
        return self.spec.dimension

    def embed(self, texts: Sequence[str]) -> Vectors:
        """L2-normalised float32 vectors, one row per text."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(list(texts), batch_size=self.batch_size,
                                     normalize_embeddings=self.spec.normalize,
                                     convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vectors, dtype=np.float32)

    def backbone(self) -> Backbone:
        """The model's tokenizer and transformer, for the prior's text probe (read-only; raises
        UnsupportedEncoder where the probe cannot run the model layer by layer)."""
        from service.inference.text_probe import Backbone

        first = self._model[0]
        return Backbone(copy.deepcopy(first.tokenizer), first.auto_model)

    def warmup(self) -> None:
        """Run one small batch so the first request does not pay for lazy initialisation."""
        self.embed(["Warming up the model.", "I organised a food drive with my classmates."])
