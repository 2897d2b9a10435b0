"""The installed taxonomies, loaded from their CASE packages on disk."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from service.domain.taxonomy import Taxonomy
from service.errors import InvalidTaxonomyPackage, TaxonomyNotFound, UnknownTaxonomy
from service.taxonomy.case import taxonomy_from_case


class TaxonomyCatalog:
    """Every installed taxonomy by id."""

    def __init__(self, taxonomies: list[Taxonomy]) -> None:
        self._by_id = {t.id: t for t in sorted(taxonomies, key=lambda t: t.id)}

    @classmethod
    def from_directory(cls, directory: Path) -> TaxonomyCatalog:
        """Load every ``<id>/manifest.json`` + ``<id>/package.json`` under ``directory``."""
        taxonomies = []
        for manifest_path in sorted(directory.glob("*/manifest.json")):
            package_path = manifest_path.with_name("package.json")
            try:
                manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
                package = json.loads(package_path.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError) as exc:
                raise InvalidTaxonomyPackage(f"{manifest_path.parent.name}: {exc}") from exc
            taxonomies.append(taxonomy_from_case(package, manifest))
        return cls(taxonomies)

    def __iter__(self) -> Iterator[Taxonomy]:
        return iter(self._by_id.values())

    def __len__(self) -> int:
        return len(self._by_id)

    @property
    def ids(self) -> list[str]:
        """Installed ids, sorted."""
        return list(self._by_id)

    def get(self, taxonomy_id: str) -> Taxonomy:
        """One taxonomy, or 404."""
        try:
            return self._by_id[taxonomy_id]
        except KeyError:
            raise TaxonomyNotFound(
                f"No taxonomy with id '{taxonomy_id}'. Known ids: {', '.join(self.ids)}."
            ) from None

    def select(self, ids: list[str] | None) -> list[Taxonomy]:
        """The requested taxonomies, or the defaults; unknown ids are a 422 listing the known."""
        if ids is None:
            return [t for t in self._by_id.values() if t.default]
        unknown = [i for i in dict.fromkeys(ids) if i not in self._by_id]
        if unknown:
            raise UnknownTaxonomy(unknown, self.ids)
        return [self._by_id[i] for i in dict.fromkeys(ids)]
