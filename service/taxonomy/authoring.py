"""Compile the YAML authoring files in ``taxonomies/sources`` into CASE 1.1 packages."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import yaml

from service.errors import InvalidTaxonomyPackage

# Identifiers are derived from the framework id and the item code, so recompiling is stable.
_NAMESPACE = uuid.UUID("6f1c0d1e-4b53-5d5e-9a8f-2c1b7e0a4d11")
_DEFAULT_CHANGED = "2026-11-29T00:00:00+00:00"
_SKILL_TYPES = {"durable", "technical", "core"}


def _uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NAMESPACE, ":".join(parts)))


def compile_source(source: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(CASE package, manifest) for one authoring document."""
    fid = str(source.get("id") or "")
    if not fid:
        raise InvalidTaxonomyPackage("an authoring file has no id")
    if source.get("skill_type") not in _SKILL_TYPES:
        raise InvalidTaxonomyPackage(f"{fid}: skill_type must be one of {sorted(_SKILL_TYPES)}")
    changed = str(source.get("last_changed") or _DEFAULT_CHANGED)
    doc_id = _uuid(fid)
    doc_uri = f"urn:uuid:{doc_id}"
    document: dict[str, Any] = {
        "identifier": doc_id,
        "uri": doc_uri,
        "creator": str(source.get("creator") or source.get("publisher") or "unknown"),
        "title": str(source["title"]),
        "lastChangeDateTime": changed,
        "version": str(source.get("version") or "1.0.0"),
        "language": "en",
        "adoptionStatus": "Adopted",
    }
    for key, case_key in (("official_source_url", "officialSourceURL"), ("publisher", "publisher"),
                          ("description", "description"), ("licence", "notes")):
        if source.get(key):
            document[case_key] = str(source[key]).strip()

    codes: dict[str, str] = {}
    items, associations = [], []
    for n, raw in enumerate(source.get("items") or []):
        code = str(raw.get("code") or "").strip()
        if not code:
            raise InvalidTaxonomyPackage(f"{fid}: items[{n}] has no code")
        if code in codes:
            raise InvalidTaxonomyPackage(f"{fid}: code {code} appears twice")
        identifier = _uuid(fid, code)
        codes[code] = identifier
        item: dict[str, Any] = {
            "identifier": identifier,
            "uri": str(raw.get("uri") or f"urn:uuid:{identifier}"),
            "fullStatement": str(raw["name"]).strip(),
            "humanCodingScheme": code,
            "lastChangeDateTime": changed,
            "language": "en",
        }
        if raw.get("type"):
            item["CFItemType"] = str(raw["type"])
        if raw.get("description"):
            item["notes"] = " ".join(str(raw["description"]).split())
        keywords = [str(k).strip() for k in raw.get("keywords") or [] if str(k).strip()]
        if keywords:
            item["conceptKeywords"] = keywords
        items.append(item)

    for n, raw in enumerate(source.get("items") or []):
        code, parent = str(raw["code"]).strip(), raw.get("parent")
        child_id = codes[code]
        if parent is None:
            dest = {"title": document["title"], "identifier": doc_id, "uri": doc_uri}
        else:
            if str(parent) not in codes:
                raise InvalidTaxonomyPackage(f"{fid}: {code} names unknown parent {parent}")
            parent_id = codes[str(parent)]
            dest = {"title": str(parent), "identifier": parent_id,
                    "uri": items[list(codes).index(str(parent))]["uri"]}
        assoc_id = _uuid(fid, code, "isChildOf", str(parent))
        associations.append({
            "identifier": assoc_id,
            "uri": f"urn:uuid:{assoc_id}",
            "associationType": "isChildOf",
            "sequenceNumber": n + 1,
            "originNodeURI": {"title": code, "identifier": child_id,
                              "uri": items[n]["uri"]},
            "destinationNodeURI": dest,
            "lastChangeDateTime": changed,
        })

    package = {"CFDocument": document, "CFItems": items, "CFAssociations": associations}
    manifest = {
        "id": fid,
        "title": document["title"],
        "version": document["version"],
        "skill_type": source["skill_type"],
        "default": bool(source.get("default", False)),
        "source": str(source.get("official_source_url") or ""),
        "licence": " ".join(str(source.get("licence") or "").split()),
        "origin": "bundled",
    }
    return package, manifest


def compile_directory(taxonomies_dir: Path, check: bool = False) -> list[str]:
    """Compile every ``sources/*.yaml``; with ``check``, report stale outputs instead."""
    stale = []
    for path in sorted((taxonomies_dir / "sources").glob("*.yaml")):
        package, manifest = compile_source(yaml.safe_load(path.read_text(encoding="utf-8")))
        out = taxonomies_dir / manifest["id"]
        files = {out / "package.json": package, out / "manifest.json": manifest}
        for target, content in files.items():
            text = json.dumps(content, indent=1, ensure_ascii=False) + "\n"
            if target.exists() and target.read_text(encoding="utf-8") == text:
                continue
            stale.append(str(target.relative_to(taxonomies_dir)))
            if not check:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    return stale
