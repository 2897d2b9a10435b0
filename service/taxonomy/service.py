"""The taxonomy use cases: import a framework (CASE or ESCO-style CSV), export it, crosswalk.

An import is validated, stored on disk as a new version (never overwriting one), indexed through
the batching worker, and then swapped in: new requests use it at once, requests already running
keep the index they started with.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
import structlog
from anyio import to_thread

from service.domain.crosswalk import Crosswalk, CrosswalkLink
from service.domain.taxonomy import SkillType, Taxonomy
from service.errors import InvalidTaxonomyPackage, TaxonomyConflict
from service.inference.batcher import BatchingEmbedder
from service.pipeline.retrieve import SkillIndex
from service.taxonomy.case import content_hash, taxonomy_from_case
from service.taxonomy.catalog import CatalogEntry, TaxonomyCatalog
from service.taxonomy.esco import package_from_rows, read_esco_csv
from service.taxonomy.index import FaissSkillIndex, IndexStore, facet_texts
from service.taxonomy.store import ImportedPackages

log = structlog.get_logger(__name__)

TAXONOMY_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
_VERSION_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True, slots=True)
class ImportOptions:
    """What the importer says about a framework that the package itself does not."""

    framework_id: str | None = None  # default: a slug of CFDocument.title
    title: str | None = None
    skill_type: SkillType = SkillType.DURABLE
    default: bool = False


@dataclass(frozen=True, slots=True)
class ImportOutcome:
    """The installed version and whether this import created it."""

    taxonomy: Taxonomy
    created: bool


class TaxonomyService:
    """Long-lived: shares the catalogue and the index map with the extraction service."""

    def __init__(self, catalog: TaxonomyCatalog, indexes: dict[str, SkillIndex],
                 imported: ImportedPackages, index_store: IndexStore,
                 embedder: BatchingEmbedder, crosswalk: Crosswalk,
                 readiness: dict[str, str]) -> None:
        self.catalog = catalog
        self.indexes = indexes
        self.imported = imported
        self.index_store = index_store
        self.embedder = embedder
        self.crosswalk = crosswalk
        self.readiness = readiness
        self._lock = asyncio.Lock()  # one import at a time: versions are numbered in order

    async def import_package(self, package: Mapping[str, Any],
                             options: ImportOptions) -> ImportOutcome:
        """Validate, store, index and install a CASE 1.0 / 1.1 package."""
        if not isinstance(package, Mapping) or not isinstance(package.get("CFDocument"), Mapping):
            raise InvalidTaxonomyPackage("A CASE package is a JSON object with a CFDocument.")
        document = package["CFDocument"]
        framework_id = options.framework_id or _slug(str(document.get("title") or ""))
        if not TAXONOMY_ID.fullmatch(framework_id):
            raise InvalidTaxonomyPackage(
                f"'{framework_id}' cannot be a taxonomy id: use 1-63 lower-case letters, digits "
                "and '-', starting with a letter or digit (query parameter id).")
        async with self._lock:
            known = framework_id in self.catalog.ids
            if known:
                latest = self.catalog.entry(framework_id)
                if latest.taxonomy.content_hash == content_hash(package):
                    return ImportOutcome(latest.taxonomy, created=False)
                if latest.origin == "bundled":
                    raise TaxonomyConflict(
                        f"'{framework_id}' is a bundled framework; it changes only with a "
                        "release. Import the changed package under another id.")
            versions = [e.taxonomy.version for e in self.catalog.versions(framework_id)] \
                if known else []
            manifest = {
                "id": framework_id,
                "title": options.title or str(document.get("title") or framework_id),
                "version": _next_version(document.get("version"), versions),
                "skill_type": options.skill_type.value,
                "default": options.default,
                "source": str(document.get("officialSourceURL") or ""),
                "licence": _licence(document),
                "origin": "imported",
                "sequence": len(versions) + 1,
                "imported_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            taxonomy = await to_thread.run_sync(taxonomy_from_case, package, manifest)
            index = await self._index(taxonomy)
            stored = await to_thread.run_sync(
                self.imported.save, manifest | {"content_hash": taxonomy.content_hash}, package)
            # Index first, then catalogue: a request that can select the version can search it.
            self.indexes[taxonomy.id] = index
            self.catalog.add(CatalogEntry(taxonomy, stored))
            self.readiness[taxonomy.id] = "built"
        log.info("taxonomy.imported", taxonomy=taxonomy.id, version=taxonomy.version,
                 items=len(taxonomy.items), vectors=index.size)
        return ImportOutcome(taxonomy, created=True)

    async def import_csv(self, text: str, options: ImportOptions) -> ImportOutcome:
        """Import an ESCO-style skills CSV as a flat framework."""
        if not options.framework_id or not options.title:
            raise InvalidTaxonomyPackage(
                "A CSV carries no framework name: give the query parameters id and title.")
        rows = read_esco_csv(text)
        package = package_from_rows(rows, framework_id=options.framework_id,
                                    title=options.title, creator="imported from CSV")
        return await self.import_package(package, options)

    def export(self, ref: str) -> tuple[CatalogEntry, bytes]:
        """The stored CASE package of ``id`` (latest) or ``id@version``, byte for byte."""
        framework_id, _, version = ref.partition("@")
        entry = self.catalog.entry(framework_id, version or None)
        if entry.stored is None:
            raise InvalidTaxonomyPackage(f"'{ref}' was not loaded from a package.")
        return entry, entry.stored.read_bytes()

    def crosswalk_between(self, source: str, target: str) -> list[CrosswalkLink]:
        """Curated links from one installed framework to another."""
        self.catalog.entry(source)
        self.catalog.entry(target)
        return self.crosswalk.between(source, target)

    async def _index(self, taxonomy: Taxonomy) -> FaissSkillIndex:
        """The cached index, or one built from vectors the batching worker embeds.

        Texts go to the worker in batch-sized jobs, so extractions queued meanwhile are served
        between them rather than after the whole framework.
        """
        cached = await to_thread.run_sync(self.index_store.cached, taxonomy)
        if cached is not None:
            return cached
        rows, texts = facet_texts(taxonomy)
        step = self.embedder.max_batch
        parts = [await self.embedder.embed(texts[i:i + step])
                 for i in range(0, len(texts), step)]
        index = await to_thread.run_sync(FaissSkillIndex.from_vectors, taxonomy, rows,
                                         np.vstack(parts))
        await to_thread.run_sync(self.index_store.save, index)
        return index


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:63].strip("-")


def _next_version(declared: Any, taken: list[str]) -> str:
    """The package's own version if unused, else that version with the next free ``+n``."""
    base = _VERSION_CHARS.sub("-", str(declared or "").strip()).strip("-.")[:40] or "1"
    if base not in taken:
        return base
    n = 2
    while f"{base}+{n}" in taken:
        n += 1
    return f"{base}+{n}"


def _licence(document: Mapping[str, Any]) -> str:
    licence = document.get("licenseURI")
    if isinstance(licence, Mapping) and (licence.get("title") or licence.get("uri")):
        return str(licence.get("title") or licence.get("uri"))
    return "Not stated in the imported package."
