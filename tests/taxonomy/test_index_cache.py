"""Indexes are cached by model and taxonomy content: a second start reuses them."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from service.runtime import load_encoder, load_indexes
from service.settings import PROJECT_ROOT
from service.taxonomy.catalog import TaxonomyCatalog
from service.taxonomy.index import IndexStore
from tests.conftest import make_settings


def test_second_start_loads_from_cache(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, index_cache_dir=tmp_path / "indexes")
    encoder = load_encoder(settings)
    small = [t for t in TaxonomyCatalog.from_directory(settings.taxonomies_dir)
             if len(t.items) < 200]
    catalog = TaxonomyCatalog(small)

    first, origin_first = load_indexes(settings, encoder, catalog)
    files = sorted(settings.index_dir.rglob("*.faiss"))
    stamps = {f: f.stat().st_mtime_ns for f in files}
    second, origin_second = load_indexes(settings, encoder, catalog)

    assert set(origin_first.values()) == {"built"}
    assert set(origin_second.values()) == {"cache"}
    assert {f: f.stat().st_mtime_ns for f in files} == stamps
    query = encoder.embed(["I graphed the temperature readings from our experiment."])
    for taxonomy_id, index in first.items():
        a = index.search(query, 5)[0]
        b = second[taxonomy_id].search(query, 5)[0]
        assert [(i.code, round(s, 5)) for i, s, _ in a] == [(i.code, round(s, 5)) for i, s, _ in b]


def test_changed_content_gets_a_new_index(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, index_cache_dir=tmp_path / "indexes")
    encoder = load_encoder(settings)
    taxonomy = TaxonomyCatalog.from_directory(PROJECT_ROOT / "taxonomies").get("ngss-sep")
    store = IndexStore(settings.index_dir, encoder)
    changed = dataclasses.replace(taxonomy, content_hash="sha256:" + "0" * 64,
                                  items=taxonomy.items[:3], by_identifier={})
    _, built_original = store.load_or_build(taxonomy)
    index, built_changed = store.load_or_build(changed)
    assert built_original and built_changed
    assert store.path_for(taxonomy) != store.path_for(changed)
    assert {i.code for i, _, _ in index.search(encoder.embed(["x"]), 10)[0]} == {
        "SEP1", "SEP2", "SEP3"}


def test_unreadable_cache_is_rebuilt(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, index_cache_dir=tmp_path / "indexes")
    encoder = load_encoder(settings)
    taxonomy = TaxonomyCatalog.from_directory(PROJECT_ROOT / "taxonomies").get("ngss-ccc")
    store = IndexStore(settings.index_dir, encoder)
    store.load_or_build(taxonomy)
    store.path_for(taxonomy).write_bytes(b"not an index")
    index, built = store.load_or_build(taxonomy)
    assert built
    assert index.size > 0
    assert np.isfinite(index.search(encoder.embed(["patterns"]), 3)[0][0][1])
