"""ESCO-style skills CSV as a CASE package: one CFItem per row, in the order given."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from service.errors import InvalidTaxonomyPackage

REQUIRED_COLUMNS = ("uri", "preferred_label")
# ESCO concepts end in a UUID; it becomes the CASE identifier, so ESCO's identity is kept.
_TRAILING_UUID = re.compile(r"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/?$")
_NAMESPACE = uuid.UUID("0b6e3c52-3f0e-5d8f-9d43-a1c7f3f0e2b5")
# A CSV carries no dates; a fixed one keeps the package (and its content hash) reproducible.
UNDATED = "2000-01-01T00:00:00+00:00"


def read_esco_csv(text: str) -> list[dict[str, str]]:
    """Rows of an ESCO-style CSV (uri, preferred_label, alt_labels, description, hierarchy)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise InvalidTaxonomyPackage(
            f"The CSV has no {', '.join(missing)} column; an ESCO-style CSV needs uri and "
            "preferred_label, and may have alt_labels ('|'-separated), description and "
            "hierarchy.")
    return [{k: v or "" for k, v in row.items() if k} for row in reader]


def package_from_rows(rows: Iterable[Mapping[str, str]], *, framework_id: str, title: str,
                      creator: str, version: str = "1", max_keywords: int = 12,
                      document_fields: Mapping[str, str] | None = None) -> dict[str, Any]:
    """A CASE package with one item per row, each a child of the document."""
    doc_id = str(uuid.uuid5(_NAMESPACE, framework_id))
    document: dict[str, Any] = {
        "identifier": doc_id, "uri": f"urn:uuid:{doc_id}", "creator": creator, "title": title,
        "lastChangeDateTime": UNDATED, "version": version, "language": "en",
        **(document_fields or {}),
    }
    items: list[dict[str, Any]] = []
    associations: list[dict[str, Any]] = []
    for row in rows:
        uri = row.get("uri", "").strip()
        found = _TRAILING_UUID.search(uri)
        identifier = found.group(1) if found else str(uuid.uuid5(_NAMESPACE, uri))
        label = " ".join(row.get("preferred_label", "").split())
        item: dict[str, Any] = {
            "identifier": identifier,
            "uri": uri if uri.startswith("http") else f"urn:uuid:{identifier}",
            "fullStatement": label,
            "humanCodingScheme": identifier,
            "lastChangeDateTime": UNDATED,
            "language": "en",
        }
        item_type = _item_type(row.get("hierarchy", ""))
        if item_type:
            item["CFItemType"] = item_type
        description = " ".join(row.get("description", "").split())
        if description:
            item["notes"] = description
        keywords = alternative_labels(label, row.get("alt_labels", ""), max_keywords)
        if keywords:
            item["conceptKeywords"] = keywords
        items.append(item)
        assoc_id = str(uuid.uuid5(_NAMESPACE, f"{framework_id}:{identifier}:isChildOf"))
        associations.append({
            "identifier": assoc_id, "uri": f"urn:uuid:{assoc_id}",
            "associationType": "isChildOf", "sequenceNumber": len(items),
            "originNodeURI": {"title": label, "identifier": identifier, "uri": item["uri"]},
            "destinationNodeURI": {"title": title, "identifier": doc_id,
                                   "uri": document["uri"]},
            "lastChangeDateTime": UNDATED,
        })
    return {"CFDocument": document, "CFItems": items, "CFAssociations": associations}


def alternative_labels(preferred: str, alt_labels: str, limit: int) -> list[str]:
    """Up to ``limit`` distinct alternative labels, other than the preferred one."""
    seen = {preferred.lower()}
    out: list[str] = []
    for label in alt_labels.split("|"):
        label = " ".join(label.split())
        if label and label.lower() not in seen and len(out) < limit:
            seen.add(label.lower())
            out.append(label)
    return out


def _item_type(hierarchy: str) -> str | None:
    """ESCO files knowledge under K and skills under S, T and L; other CSVs have no hierarchy."""
    try:
        paths = json.loads(hierarchy) if hierarchy.strip() else []
    except json.JSONDecodeError:
        return None
    pillars = {str(p[0]) for p in paths if isinstance(p, list) and p}
    if not pillars:
        return None
    return "Knowledge" if pillars == {"K"} else "Skill"
