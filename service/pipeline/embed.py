"""The embedding model as the pipeline needs it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors, one row per text."""

    @property
    def model_id(self) -> str:
        """The registry id of the model, recorded on every result."""
        ...

    @property
    def dimension(self) -> int:
        """Vector width."""
        ...

    def embed(self, texts: Sequence[str]) -> Vectors:
        """Embed ``texts`` synchronously (the caller decides which thread runs this)."""
        ...
