"""Curated crosswalk files: ``taxonomies/crosswalks/<a>__<b>.json``.

Each file holds CASE CFAssociations (exactMatchOf or isRelatedTo) whose origin is an item of
framework ``a`` and whose destination is an item of framework ``b``. Both relations read the same
in either direction, so one file serves both. Files are proposed by
``taxonomies/tools/propose_crosswalks.py`` and kept only after a person has reviewed each pair.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import structlog

from service.domain.crosswalk import Crosswalk, CrosswalkLink, Relation
from service.domain.taxonomy import SkillItem
from service.errors import InvalidTaxonomyPackage
from service.taxonomy.catalog import TaxonomyCatalog

log = structlog.get_logger(__name__)

_NAMESPACE = uuid.UUID("3d0f4a7e-8f65-5b7c-a0f1-52e3c9d8b611")


def load_crosswalk(directory: Path, catalog: TaxonomyCatalog) -> Crosswalk:
    """Every crosswalk file between installed frameworks; an unknown item is an error."""
    links: list[CrosswalkLink] = []
    digest = hashlib.sha256()
    for path in sorted(directory.glob("*__*.json")):
        source_id, target_id = path.stem.split("__", 1)
        if source_id not in catalog.ids or target_id not in catalog.ids:
            log.warning("crosswalk.skipped", file=path.name, reason="framework not installed")
            continue
        source, target = catalog.get(source_id), catalog.get(target_id)
        raw = path.read_bytes()
        digest.update(path.name.encode() + b"\0" + raw)
        data = json.loads(raw)
        for n, assoc in enumerate(data.get("CFAssociations") or []):
            where = f"{path.name}: CFAssociations[{n}]"
            try:
                relation = Relation(assoc.get("associationType"))
            except ValueError:
                raise InvalidTaxonomyPackage(
                    f"{where} is a {assoc.get('associationType')!r}; a crosswalk holds "
                    f"{' or '.join(r.value for r in Relation)}") from None
            origin = source.by_identifier.get(str(assoc["originNodeURI"]["identifier"]))
            destination = target.by_identifier.get(
                str(assoc["destinationNodeURI"]["identifier"]))
            if origin is None or destination is None:
                end = "origin" if origin is None else "destination"
                raise InvalidTaxonomyPackage(f"{where}: the {end} is not an item of "
                                             f"{source_id if origin is None else target_id}")
            links.append(CrosswalkLink(relation, source_id, origin, target_id, destination))
    return Crosswalk(links, version="sha256:" + digest.hexdigest()[:16])


def case_association(link: CrosswalkLink, changed: str) -> dict[str, Any]:
    """One link as a CASE 1.1 CFAssociation (stable identifier from its two ends)."""
    identifier = str(uuid.uuid5(_NAMESPACE, ":".join(
        (link.relation, link.source.identifier, link.target.identifier))))
    return {
        "identifier": identifier,
        "uri": f"urn:uuid:{identifier}",
        "associationType": link.relation.value,
        "originNodeURI": _link_uri(link.source),
        "destinationNodeURI": _link_uri(link.target),
        "lastChangeDateTime": changed,
    }


def _link_uri(item: SkillItem) -> dict[str, str]:
    return {"title": item.label, "identifier": item.identifier, "uri": item.uri,
            "targetType": "CASE"}
