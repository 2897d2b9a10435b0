"""Skill frameworks as the pipeline sees them."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SkillType(StrEnum):
    """The three families of skills the service reports."""

    DURABLE = "durable"
    TECHNICAL = "technical"
    CORE = "core"


class Retrieval(StrEnum):
    """How a framework's candidate skills are found for a sentence."""

    DENSE = "dense"  # the multi-facet vector index alone
    HYBRID = "hybrid"  # every skill by the hybrid score: names, clauses, descriptions, words


@dataclass(frozen=True, slots=True)
class SkillItem:
    """One skill (a CASE CFItem) of a framework."""

    identifier: str
    code: str
    label: str
    description: str
    keywords: tuple[str, ...]
    uri: str
    item_type: str | None = None
    parent: str | None = None  # identifier of the parent item, if any
    # Every alternative name the publisher gives (ESCO's alternative labels): matched as words
    # by the hybrid retrieval, never embedded (the keywords are what is embedded).
    alternative_labels: tuple[str, ...] = ()

    def matching_texts(self) -> list[tuple[str, str]]:
        """The texts the skill is embedded as: (facet, text) pairs.

        A student writes behaviour, not skill names, so the label alone matches poorly; the
        description and each observable keyword get their own vector and the best one counts.
        """
        texts = [("label", self.label)]
        if self.description:
            texts.append(("description", f"{self.label}: {self.description}"))
        texts += [("keyword", k) for k in self.keywords]
        return texts


@dataclass(frozen=True, slots=True)
class Taxonomy:
    """A framework: its identity, version and items."""

    id: str
    title: str
    version: str
    skill_type: SkillType
    default: bool
    content_hash: str
    items: tuple[SkillItem, ...]
    source: str = ""
    licence: str = ""
    description: str = ""
    retrieval: Retrieval = Retrieval.DENSE
    by_identifier: dict[str, SkillItem] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self.by_identifier.update({item.identifier: item for item in self.items})

    def root_of(self, identifier: str) -> SkillItem:
        """The root ancestor of an item (its competency), following ``parent`` identifiers."""
        item = self.by_identifier[identifier]
        seen = {item.identifier}
        while item.parent is not None and item.parent in self.by_identifier:
            item = self.by_identifier[item.parent]
            if item.identifier in seen:
                raise ValueError(f"{self.id}: cycle of parents at {item.code}")
            seen.add(item.identifier)
        return item

    @property
    def ref(self) -> str:
        """``id@version``, as results cite the taxonomy."""
        return f"{self.id}@{self.version}"
