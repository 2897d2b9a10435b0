"""Response bodies of the taxonomy API."""

from __future__ import annotations

from pydantic import BaseModel, Field

from service.domain.taxonomy import SkillItem, SkillType, Taxonomy


class TaxonomySummary(BaseModel):
    """One installed framework."""

    id: str
    title: str
    version: str
    skill_type: SkillType
    default: bool
    items: int
    content_hash: str
    source: str
    licence: str

    @classmethod
    def of(cls, taxonomy: Taxonomy) -> TaxonomySummary:
        """Summarise a taxonomy."""
        return cls(id=taxonomy.id, title=taxonomy.title, version=taxonomy.version,
                   skill_type=taxonomy.skill_type, default=taxonomy.default,
                   items=len(taxonomy.items), content_hash=taxonomy.content_hash,
                   source=taxonomy.source, licence=taxonomy.licence)


class TaxonomyList(BaseModel):
    """All installed frameworks."""

    taxonomies: list[TaxonomySummary]


class SkillItemOut(BaseModel):
    """One skill of a framework."""

    id: str
    code: str
    label: str
    description: str
    keywords: list[str]
    uri: str
    type: str | None
    parent_code: str | None

    @classmethod
    def of(cls, item: SkillItem, taxonomy: Taxonomy) -> SkillItemOut:
        """Render an item, naming its parent by code."""
        parent = taxonomy.by_identifier.get(item.parent) if item.parent else None
        return cls(id=item.identifier, code=item.code, label=item.label,
                   description=item.description, keywords=list(item.keywords), uri=item.uri,
                   type=item.item_type, parent_code=parent.code if parent else None)


class SkillPage(BaseModel):
    """A page of a framework's skills, optionally filtered by a text query."""

    taxonomy: TaxonomySummary
    query: str | None
    total: int
    offset: int
    items: list[SkillItemOut]


class TaxonomyImported(BaseModel):
    """The outcome of an import: the installed version, and whether this import created it."""

    created: bool
    ref: str
    taxonomy: TaxonomySummary


class TaxonomyVersionOut(BaseModel):
    """One installed version of a framework."""

    version: str
    content_hash: str
    origin: str
    imported_at: str | None
    latest: bool


class TaxonomyVersions(BaseModel):
    """Every installed version of one framework, oldest first."""

    id: str
    versions: list[TaxonomyVersionOut]


class CrosswalkItem(BaseModel):
    """One end of a crosswalk link."""

    id: str
    code: str
    label: str
    uri: str


class CrosswalkMapping(BaseModel):
    """``from`` is the same as (exactMatchOf) or related to (isRelatedTo) ``to``."""

    relation: str
    source: CrosswalkItem = Field(serialization_alias="from")
    target: CrosswalkItem = Field(serialization_alias="to")


class CrosswalkOut(BaseModel):
    """The curated mapping from one framework to another."""

    source: str = Field(serialization_alias="from")
    target: str = Field(serialization_alias="to")
    mappings: list[CrosswalkMapping]
