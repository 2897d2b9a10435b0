"""FAISS indexes of skill vectors, one per taxonomy, cached on disk by model and content."""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np
import structlog

from service.domain.taxonomy import Retrieval, SkillItem, Taxonomy
from service.pipeline.embed import Embedder, Vectors
from service.pipeline.hybrid import HybridScorer, HybridSkillIndex

log = structlog.get_logger(__name__)

# Bumped whenever what goes into the vectors changes (facets, text recipe, index type).
INDEX_RECIPE = "multifacet-2"
# Up to this many vectors, search every vector: exact and still fast. Above it (the full ESCO
# taxonomy), an HNSW graph answers about ten times faster with recall@10 of 0.99 against exact
# search (tests/taxonomy/test_index_hnsw.py requires 0.95).
EXACT_LIMIT = 20_000
_HNSW_NEIGHBOURS = 32
_HNSW_BUILD_DEPTH = 80
_DEPTH_PER_ITEM = 16  # facets to read per wanted item: several facets of one item rank together


@dataclass(frozen=True, slots=True)
class FacetRow:
    """Which item and which of its facets a vector stands for."""

    item: int
    facet: str


def facet_texts(taxonomy: Taxonomy) -> tuple[list[FacetRow], list[str]]:
    """Every facet of every item: the rows of the index and the texts to embed for them."""
    rows: list[FacetRow] = []
    texts: list[str] = []
    for n, item in enumerate(taxonomy.items):
        for facet, text in item.matching_texts():
            rows.append(FacetRow(n, facet))
            texts.append(text)
    return rows, texts


class FaissSkillIndex:
    """Inner-product search over normalised facet vectors, reduced to the best facet per item."""

    def __init__(self, taxonomy: Taxonomy, index: faiss.Index, rows: list[FacetRow]) -> None:
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

    @property
    def exact(self) -> bool:
        """Whether search reads every vector (flat) rather than walking a graph (HNSW)."""
        return isinstance(self._index, faiss.IndexFlat)

    @classmethod
    def build(cls, taxonomy: Taxonomy, embedder: Embedder) -> FaissSkillIndex:
        """Embed every facet of every item and index them."""
        rows, texts = facet_texts(taxonomy)
        vectors = embedder.embed(texts) if texts else np.zeros((0, embedder.dimension), "float32")
        return cls.from_vectors(taxonomy, rows, vectors)

    @classmethod
    def from_vectors(cls, taxonomy: Taxonomy, rows: list[FacetRow], vectors: Vectors,
                     exact: bool | None = None) -> FaissSkillIndex:
        """Index already embedded facets: flat when small enough, an HNSW graph when large.

        ``exact`` forces the choice (to measure the graph's recall against exact search).
        """
        if exact is None:
            exact = len(rows) <= EXACT_LIMIT
        dimension = int(vectors.shape[1])
        index: faiss.Index
        if exact:
            index = faiss.IndexFlatIP(dimension)
        else:
            index = faiss.IndexHNSWFlat(dimension, _HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = _HNSW_BUILD_DEPTH
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
        return cls(taxonomy, index, rows)

    @property
    def rows(self) -> list[FacetRow]:
        """Which item and facet each vector stands for."""
        return list(self._rows)

    def vectors(self) -> Vectors:
        """Every stored vector, in row order (to compare index types or rebuild)."""
        return np.asarray(self._index.reconstruct_n(0, self.size), dtype=np.float32)

    def search(self, queries: Vectors, k: int) -> list[list[tuple[SkillItem, float, str]]]:
        """Per query, the ``k`` best items with their best facet similarity."""
        if self.size == 0:
            return [[] for _ in range(len(queries))]
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if self.exact:
            sims, ids = self._index.search(queries, self.size)
        else:
            depth = min(self.size, k * _DEPTH_PER_ITEM)
            # faiss ships a partial type stub that omits the HNSW search parameters.
            params = faiss.SearchParametersHNSW(efSearch=2 * depth)  # type: ignore[attr-defined]
            sims, ids = self._index.search(queries, depth, params=params)
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
        rows = [FacetRow(i, f) for i, f in json.loads(path.with_suffix(".rows.json").read_text())]
        index = faiss.deserialize_index(np.frombuffer(path.read_bytes(), dtype=np.uint8))
        return cls(taxonomy, index, rows)


def hybrid_index(index: FaissSkillIndex) -> HybridSkillIndex:
    """The framework's hybrid ranking, from vectors the index already holds: each item's label
    facet, and its label + description facet as its description (the label where it has none)."""
    items = index.taxonomy.items
    vectors = index.vectors()
    labels = np.zeros((len(items), vectors.shape[1]), dtype=np.float32)
    descriptions = np.zeros_like(labels)
    described = np.zeros(len(items), dtype=bool)
    for row, vector in zip(index.rows, vectors, strict=True):
        if row.facet == "label":
            labels[row.item] = vector
        elif row.facet == "description":
            descriptions[row.item] = vector
            described[row.item] = True
    descriptions[~described] = labels[~described]
    scorer = HybridScorer.fit([i.label for i in items], [i.alternative_labels for i in items],
                              labels, descriptions)
    return HybridSkillIndex(index, scorer)


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

    def cached(self, taxonomy: Taxonomy) -> FaissSkillIndex | None:
        """The cached index of this exact content, if there is a readable one."""
        path = self.path_for(taxonomy)
        if path.exists() and path.with_suffix(".rows.json").exists():
            try:
                index = FaissSkillIndex.load(taxonomy, path)
                log.info("index.loaded", taxonomy=taxonomy.id, vectors=index.size)
                return index
            except (OSError, RuntimeError, ValueError) as exc:
                log.warning("index.unreadable", taxonomy=taxonomy.id, error=str(exc))
        return None

    def save(self, index: FaissSkillIndex) -> None:
        """Cache an index built elsewhere (e.g. from vectors the batching worker embedded)."""
        index.save(self.path_for(index.taxonomy))

    def load_serving(self, taxonomy: Taxonomy
                     ) -> tuple[FaissSkillIndex | HybridSkillIndex, bool]:
        """(the index requests search, built): the hybrid one where the manifest asks for it,
        made from the cached vectors (nothing more is embedded)."""
        index, built = self.load_or_build(taxonomy)
        return (hybrid_index(index) if taxonomy.retrieval is Retrieval.HYBRID else index), built

    def load_or_build(self, taxonomy: Taxonomy) -> tuple[FaissSkillIndex, bool]:
        """(index, built) where ``built`` says whether it had to be built now."""
        index = self.cached(taxonomy)
        if index is not None:
            return index, False
        started = time.perf_counter()
        index = FaissSkillIndex.build(taxonomy, self.embedder)
        self.save(index)
        log.info("index.built", taxonomy=taxonomy.id, vectors=index.size, exact=index.exact,
                 seconds=round(time.perf_counter() - started, 1))
        return index, True


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    Path(tmp).replace(path)
