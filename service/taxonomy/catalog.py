"""The installed taxonomies: bundled and imported, every version, the latest serving requests."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from service.domain.taxonomy import Taxonomy
from service.errors import InvalidTaxonomyPackage, TaxonomyNotFound, UnknownTaxonomy
from service.taxonomy.case import taxonomy_from_case
from service.taxonomy.store import ImportedPackages, StoredPackage, bundled_packages


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One version of a framework and, where it came from disk, its stored package."""

    taxonomy: Taxonomy
    stored: StoredPackage | None = None

    @property
    def origin(self) -> str:
        """``bundled`` or ``imported``."""
        return str(self.stored.manifest.get("origin", "bundled")) if self.stored else "bundled"


class TaxonomyCatalog:
    """Every installed framework by id, with its older versions kept for export and audit.

    Changed only by ``add``, on the event loop; readers never see a half-added framework.
    """

    def __init__(self, taxonomies: Iterable[Taxonomy] = ()) -> None:
        self._versions: dict[str, dict[str, CatalogEntry]] = {}
        self._latest: dict[str, CatalogEntry] = {}
        for taxonomy in taxonomies:
            self.add(CatalogEntry(taxonomy))

    @classmethod
    def from_directory(cls, directory: Path,
                       imported: ImportedPackages | None = None) -> TaxonomyCatalog:
        """The bundled frameworks under ``directory``, then every imported version in order."""
        catalog = cls()
        stored = bundled_packages(directory) + (imported.all() if imported else [])
        for package in stored:
            try:
                taxonomy = taxonomy_from_case(package.read(), package.manifest,
                                              package.alternative_labels())
            except InvalidTaxonomyPackage as exc:
                raise InvalidTaxonomyPackage(f"{package.package_path}: {exc.detail}") from exc
            catalog.add(CatalogEntry(taxonomy, package))
        return catalog

    def add(self, entry: CatalogEntry) -> None:
        """Install a version; it becomes the one new requests use."""
        taxonomy = entry.taxonomy
        self._versions.setdefault(taxonomy.id, {})[taxonomy.version] = entry
        self._latest[taxonomy.id] = entry

    def __iter__(self) -> Iterator[Taxonomy]:
        return iter([self._latest[i].taxonomy for i in self.ids])

    def __len__(self) -> int:
        return len(self._latest)

    @property
    def ids(self) -> list[str]:
        """Installed ids, sorted."""
        return sorted(self._latest)

    def get(self, taxonomy_id: str) -> Taxonomy:
        """The latest version of one taxonomy, or 404."""
        return self.entry(taxonomy_id).taxonomy

    def entry(self, taxonomy_id: str, version: str | None = None) -> CatalogEntry:
        """The latest, or the named, version of a taxonomy; 404 naming what is known."""
        if taxonomy_id not in self._latest:
            raise TaxonomyNotFound(
                f"No taxonomy with id '{taxonomy_id}'. Known ids: {', '.join(self.ids)}.")
        if version is None:
            return self._latest[taxonomy_id]
        versions = self._versions[taxonomy_id]
        if version not in versions:
            raise TaxonomyNotFound(
                f"Taxonomy '{taxonomy_id}' has no version '{version}'. "
                f"Known versions: {', '.join(versions)}.")
        return versions[version]

    def versions(self, taxonomy_id: str) -> list[CatalogEntry]:
        """Every installed version of a taxonomy, oldest first."""
        self.entry(taxonomy_id)
        return list(self._versions[taxonomy_id].values())

    def select(self, ids: list[str] | None) -> list[Taxonomy]:
        """The requested taxonomies, or the defaults; unknown ids are a 422 listing the known."""
        if ids is None:
            return [t for t in self if t.default]
        unknown = [i for i in dict.fromkeys(ids) if i not in self._latest]
        if unknown:
            raise UnknownTaxonomy(unknown, self.ids)
        return [self._latest[i].taxonomy for i in dict.fromkeys(ids)]
