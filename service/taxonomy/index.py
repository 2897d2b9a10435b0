"""FAISS indexes of skill vectors, one per taxonomy, cached on disk by model and content."""

from __future__ import annotations

import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import structlog

from service.domain.taxonomy import SkillItem, Taxonomy
from service.pipeline.embed import Embedder, Vectors

log = structlog.get_logger(__name__)

# Bumped whenever what goes into the vectors changes (facets, text recipe, index type).
INDEX_RECIPE = "multifacet-flatip-1"
_EXACT_LIMIT = 20_000  # below this many vectors, search every vector: exact and still fast


@dataclass(frozen=True, slots=True)
class _Row:
    item: int
    facet: str


class FaissSkillIndex:
    """Inner-product search over normalised facet vectors, reduced to the best facet per item."""

    def __init__(self, taxonomy: Taxonomy, index: faiss.Index, rows: list[_Row]) -> None:
        self._taxonomy = taxonomy
        self._index = index
        self._rows = rows

    @property
    def taxonomy(self) -> Taxonomy:
        """The taxonomy this index was built from."""
        return self._taxonomy

    @property
    def size(self) -> int:
        """Number of vectors."""
        return int(self._index.ntotal)

    @classmethod
    def build(cls, taxonomy: Taxonomy, embedder: Embedder) -> FaissSkillIndex:
        """Embed every facet of every item and index them."""
        rows: list[_Row] = []
        texts: list[str] = []
        for n, item in enumerate(taxonomy.items):
            for facet, text in item.matching_texts():
                rows.append(_Row(n, facet))
                texts.append(text)
        vectors = embedder.embed(texts) if texts else np.zeros((0, embedder.dimension), "float32")
        index = faiss.IndexFlatIP(embedder.dimension)
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(taxonomy, index, rows)

    def search(self, queries: Vectors, k: int) -> list[list[tuple[SkillItem, float, str]]]:
        """Per query, the ``k`` best items with their best facet similarity."""
        if self.size == 0:
            return [[] for _ in range(len(queries))]
        depth = self.size if self.size <= _EXACT_LIMIT else min(self.size, k * 16)
        sims, ids = self._index.search(np.ascontiguousarray(queries, dtype=np.float32), depth)
        results = []
        for row_sims, row_ids in zip(sims, ids, strict=True):
            best: dict[int, tuple[float, str]] = {}
            for sim, vid in zip(row_sims, row_ids, strict=True):
                if vid < 0:
                    continue
                row = self._rows[vid]
                if row.item not in best:  # results arrive best first
                    best[row.item] = (float(sim), row.facet)
                    if len(best) == k:
                        break
            results.append([(self._taxonomy.items[i], s, f) for i, (s, f) in best.items()])
        return results

    def save(self, path: Path) -> None:
        """Write the index and its row map atomically."""
        path.parent.mkdir(parents=True, exist_ok=True)
        rows = [[r.item, r.facet] for r in self._rows]
        _atomic_write(path.with_suffix(".rows.json"), json.dumps(rows).encode())
        _atomic_write(path, faiss.serialize_index(self._index).tobytes())

    @classmethod
    def load(cls, taxonomy: Taxonomy, path: Path) -> FaissSkillIndex:
        """Read an index written by ``save``."""
        rows = [_Row(i, f) for i, f in json.loads(path.with_suffix(".rows.json").read_text())]
        index = faiss.deserialize_index(np.frombuffer(path.read_bytes(), dtype=np.uint8))
        return cls(taxonomy, index, rows)


class IndexStore:
    """Loads a taxonomy's index from the cache, building and caching it when missing."""

    def __init__(self, directory: Path, embedder: Embedder) -> None:
        self.directory = directory
        self.embedder = embedder

    def path_for(self, taxonomy: Taxonomy) -> Path:
        """Cache file: keyed by model, taxonomy id, content hash and index recipe."""
        model = re.sub(r"[^A-Za-z0-9._-]", "_", self.embedder.model_id)
        digest = taxonomy.content_hash.split(":")[-1][:20]
        return self.directory / model / f"{taxonomy.id}-{digest}-{INDEX_RECIPE}.faiss"

    def load_or_build(self, taxonomy: Taxonomy) -> tuple[FaissSkillIndex, bool]:
        """(index, built) where ``built`` says whether it had to be built now."""
        path = self.path_for(taxonomy)
        if path.exists() and path.with_suffix(".rows.json").exists():
            try:
                index = FaissSkillIndex.load(taxonomy, path)
                log.info("index.loaded", taxonomy=taxonomy.id, vectors=index.size)
                return index, False
            except (OSError, RuntimeError, ValueError) as exc:
                log.warning("index.unreadable", taxonomy=taxonomy.id, error=str(exc))
        index = FaissSkillIndex.build(taxonomy, self.embedder)
        index.save(path)
        log.info("index.built", taxonomy=taxonomy.id, vectors=index.size)
        return index, True


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    Path(tmp).replace(path)
