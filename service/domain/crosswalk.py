"""Equivalent and related skills across frameworks (CASE exactMatchOf / isRelatedTo)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from service.domain.taxonomy import SkillItem


class Relation(StrEnum):
    """The CASE association types a crosswalk uses; both read the same in either direction."""

    EXACT_MATCH = "exactMatchOf"
    RELATED = "isRelatedTo"


@dataclass(frozen=True, slots=True)
class CrosswalkLink:
    """``source`` (in ``source_framework``) relates to ``target`` (in ``target_framework``)."""

    relation: Relation
    source_framework: str
    source: SkillItem
    target_framework: str
    target: SkillItem

    def reversed(self) -> CrosswalkLink:
        """The same link read from the other end."""
        return CrosswalkLink(self.relation, self.target_framework, self.target,
                             self.source_framework, self.source)


class Crosswalk:
    """Every curated link, readable from either end."""

    def __init__(self, links: Iterable[CrosswalkLink] = (), version: str = "empty") -> None:
        self.version = version  # content hash of the curated files, recorded on results
        self._from: dict[tuple[str, str], list[CrosswalkLink]] = defaultdict(list)
        self._pairs: dict[tuple[str, str], list[CrosswalkLink]] = defaultdict(list)
        for link in links:
            for directed in (link, link.reversed()):
                self._from[(directed.source_framework, directed.source.identifier)].append(
                    directed)
                self._pairs[(directed.source_framework, directed.target_framework)].append(
                    directed)

    def __len__(self) -> int:
        return sum(len(v) for v in self._pairs.values()) // 2

    def between(self, source_framework: str, target_framework: str) -> list[CrosswalkLink]:
        """Links from one framework's items to another's, exact matches first."""
        links = self._pairs.get((source_framework, target_framework), [])
        return sorted(links, key=lambda x: (x.relation != Relation.EXACT_MATCH, x.source.code,
                                            x.target.code))

    def equivalents(self, framework: str, identifier: str,
                    among: Iterable[str]) -> list[CrosswalkLink]:
        """Links of one item to items of the frameworks in ``among`` (other than its own)."""
        wanted = set(among) - {framework}
        links = [x for x in self._from.get((framework, identifier), [])
                 if x.target_framework in wanted]
        return sorted(links, key=lambda x: (x.relation != Relation.EXACT_MATCH,
                                            x.target_framework, x.target.code))
