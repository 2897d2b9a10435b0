"""Read CASE 1.0 / 1.1 packages leniently into Taxonomy objects, refusing broken ones."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from service.domain.taxonomy import Retrieval, SkillItem, SkillType, Taxonomy
from service.errors import InvalidTaxonomyPackage


def content_hash(package: Mapping[str, Any]) -> str:
    """A stable hash of a package's content (key order and whitespace do not matter)."""
    canonical = json.dumps(package, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def taxonomy_from_case(package: Mapping[str, Any], manifest: Mapping[str, Any],
                       alternative_labels: Mapping[str, Sequence[str]] | None = None) -> Taxonomy:
    """Build a Taxonomy from a CASE package and its manifest, or say what is wrong with it.

    ``alternative_labels`` (item identifier -> names) come from a sidecar file some bundled
    packages ship beside the package (``StoredPackage.alternative_labels``).
    """
    problems: list[str] = []
    if not isinstance(package, Mapping):
        raise InvalidTaxonomyPackage("A CASE package is a JSON object with a CFDocument.")
    document = package.get("CFDocument")
    if not isinstance(document, Mapping):
        raise InvalidTaxonomyPackage("The package has no CFDocument object.")
    if not str(document.get("identifier") or "").strip():
        problems.append("CFDocument has no identifier")
    raw_items = package.get("CFItems") or []
    if not isinstance(raw_items, list):
        raise InvalidTaxonomyPackage("CFItems must be a list.")
    if not raw_items:
        raise InvalidTaxonomyPackage("The package has no CFItems: there is nothing to match.")

    items_by_id: dict[str, Mapping[str, Any]] = {}
    for n, raw in enumerate(raw_items):
        identifier = raw.get("identifier") if isinstance(raw, Mapping) else None
        if not identifier:
            problems.append(f"CFItems[{n}] has no identifier")
            continue
        if identifier in items_by_id:
            problems.append(f"CFItems[{n}] repeats identifier {identifier}")
        if not str(raw.get("fullStatement") or "").strip():
            problems.append(f"CFItems[{n}] ({identifier}) has an empty fullStatement")
        items_by_id[str(identifier)] = raw

    uri_to_id = {str(raw.get("uri")): i for i, raw in items_by_id.items() if raw.get("uri")}
    doc_refs = {str(document[k]) for k in ("identifier", "uri") if document.get(k)}
    parents: dict[str, str] = {}
    raw_associations = package.get("CFAssociations") or []
    if not isinstance(raw_associations, list):
        raise InvalidTaxonomyPackage("CFAssociations must be a list.")
    for n, assoc in enumerate(raw_associations):
        if not isinstance(assoc, Mapping) or assoc.get("associationType") != "isChildOf":
            continue
        child = _node_id(assoc.get("originNodeURI"), items_by_id, uri_to_id)
        parent_ref = assoc.get("destinationNodeURI")
        parent = _node_id(parent_ref, items_by_id, uri_to_id)
        if child is None:
            problems.append(f"CFAssociations[{n}] isChildOf starts at an unknown item")
        elif parent is None and not _is_document(parent_ref, doc_refs):
            problems.append(f"CFAssociations[{n}] isChildOf points to an unknown item")
        elif parent is not None:
            parents[child] = parent
    problems += _cycles(parents)
    if problems:
        raise InvalidTaxonomyPackage(
            "The package is not usable: " + "; ".join(problems[:20])
            + (f" (and {len(problems) - 20} more)" if len(problems) > 20 else ""))

    alternatives = alternative_labels or {}
    items = tuple(_skill_item(identifier, raw, parents.get(identifier),
                              tuple(alternatives.get(identifier, ())))
                  for identifier, raw in items_by_id.items())
    return Taxonomy(
        id=str(manifest["id"]),
        title=str(manifest.get("title") or document.get("title") or manifest["id"]),
        version=str(manifest.get("version") or document.get("version") or "1"),
        skill_type=SkillType(manifest.get("skill_type", "durable")),
        default=bool(manifest.get("default", False)),
        content_hash=content_hash(package),
        items=items,
        source=str(manifest.get("source") or document.get("officialSourceURL") or ""),
        licence=str(manifest.get("licence") or ""),
        description=str(document.get("description") or ""),
        retrieval=Retrieval(manifest.get("retrieval", Retrieval.DENSE)),
    )


def _skill_item(identifier: str, raw: Mapping[str, Any], parent: str | None,
                alternative_labels: tuple[str, ...]) -> SkillItem:
    full = str(raw["fullStatement"]).strip()
    short = str(raw.get("abbreviatedStatement") or "").strip()
    notes = str(raw.get("notes") or "").strip()
    keywords = raw.get("conceptKeywords") or []
    if isinstance(keywords, str):
        keywords = [k.strip() for k in keywords.split(",")]
    alternative = str(raw.get("alternativeLabel") or "").strip()
    labels = [str(k).strip() for k in keywords if str(k).strip()]
    if alternative:
        labels.append(alternative)
    return SkillItem(
        identifier=identifier,
        code=str(raw.get("humanCodingScheme") or raw.get("listEnumeration") or identifier),
        label=short or full,
        description=notes if notes else (full if short else ""),
        keywords=tuple(dict.fromkeys(labels)),
        uri=str(raw.get("uri") or f"urn:uuid:{identifier}"),
        item_type=str(raw["CFItemType"]) if raw.get("CFItemType") else None,
        parent=parent,
        alternative_labels=alternative_labels,
    )


def _node_id(ref: Any, items: Mapping[str, Any], uri_to_id: Mapping[str, str]) -> str | None:
    """An association end is a LinkGenURI object (1.1) or, in some exports, a bare string."""
    if isinstance(ref, Mapping):
        identifier, uri = ref.get("identifier"), ref.get("uri")
    else:
        identifier = uri = ref
    if identifier is not None and str(identifier) in items:
        return str(identifier)
    if uri is not None and str(uri) in uri_to_id:
        return uri_to_id[str(uri)]
    return None


def _is_document(ref: Any, doc_refs: set[str]) -> bool:
    if isinstance(ref, Mapping):
        return str(ref.get("identifier")) in doc_refs or str(ref.get("uri")) in doc_refs
    return str(ref) in doc_refs


def _cycles(parents: Mapping[str, str]) -> list[str]:
    problems, cleared = [], set()
    for start in parents:
        seen: list[str] = []
        node: str | None = start
        while node is not None and node not in cleared:
            if node in seen:
                problems.append(f"the isChildOf hierarchy has a cycle through item {node}")
                break
            seen.append(node)
            node = parents.get(node)
        cleared.update(seen)
    return sorted(set(problems))
