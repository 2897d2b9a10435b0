"""Bundled frameworks are valid CASE 1.1, compiled from their sources, and bad packages fail."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft201909Validator

from service.domain.taxonomy import Retrieval
from service.errors import InvalidTaxonomyPackage
from service.settings import PROJECT_ROOT
from service.taxonomy.authoring import compile_directory
from service.taxonomy.case import taxonomy_from_case
from service.taxonomy.catalog import TaxonomyCatalog
from service.taxonomy.store import read_json
from tests.conftest import SHARED

TAXONOMIES = PROJECT_ROOT / "taxonomies"
PACKAGES = sorted(TAXONOMIES.glob("*/package.json*"))
AUTHORED = [p for p in PACKAGES if (TAXONOMIES / "sources" / f"{p.parent.name}.yaml").exists()]
SAMPLE = SHARED / "standards" / "samples" / "opensalt_sample_case_package_v1p0.json"
SCHEMA = json.loads(
    (TAXONOMIES / "schemas/case-1.1/case_v1p1_cfpackage-jsonschema1.json").read_text())


def _load(path: Path) -> dict[str, Any]:
    return read_json(path)


def test_there_are_bundled_frameworks() -> None:
    ids = {p.parent.name for p in PACKAGES}
    assert {"ngss-sep", "ngss-ccc", "career-clusters-2024", "america-succeeds", "esco"} <= ids


@pytest.mark.parametrize("path", PACKAGES, ids=lambda p: p.parent.name)
def test_bundled_package_validates_against_case_1_1(path: Path) -> None:
    validator = Draft201909Validator(SCHEMA, format_checker=Draft201909Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(_load(path)), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors[:5]]


@pytest.mark.parametrize("path", AUTHORED, ids=lambda p: p.parent.name)
def test_every_item_has_our_description_and_keywords(path: Path) -> None:
    for item in _load(path)["CFItems"]:
        assert item.get("notes"), f"{item['humanCodingScheme']} has no description"
        assert item.get("conceptKeywords"), f"{item['humanCodingScheme']} has no keywords"


def test_compiled_packages_match_their_sources() -> None:
    assert compile_directory(TAXONOMIES, check=True) == []


def test_catalog_loads_hierarchy_and_defaults() -> None:
    catalog = TaxonomyCatalog.from_directory(TAXONOMIES)
    clusters = catalog.get("career-clusters-2024")
    parents = [i for i in clusters.items if i.parent is None]
    children = [i for i in clusters.items if i.parent is not None]
    assert len(parents) == 14
    assert len(children) == 72
    assert all(c.parent in clusters.by_identifier for c in children)
    assert {t.id for t in catalog.select(None)} >= {"ngss-sep", "career-clusters-2024"}


def _sample() -> dict[str, Any]:
    return _load(TAXONOMIES / "ngss-sep" / "package.json")


MANIFEST = {"id": "t", "version": "1", "skill_type": "core"}


def test_missing_identifier_is_refused() -> None:
    package = _sample()
    del package["CFItems"][0]["identifier"]
    with pytest.raises(InvalidTaxonomyPackage, match=r"CFItems\[0\] has no identifier"):
        taxonomy_from_case(package, MANIFEST)


def test_empty_statement_is_refused() -> None:
    package = _sample()
    package["CFItems"][1]["fullStatement"] = "  "
    with pytest.raises(InvalidTaxonomyPackage, match="empty fullStatement"):
        taxonomy_from_case(package, MANIFEST)


def test_dangling_association_is_refused() -> None:
    package = _sample()
    package["CFAssociations"][0]["destinationNodeURI"] = {"identifier": "nope", "uri": "x:nope"}
    with pytest.raises(InvalidTaxonomyPackage, match="points to an unknown item"):
        taxonomy_from_case(package, MANIFEST)


def test_cycle_is_refused() -> None:
    package = _sample()
    a, b = package["CFItems"][0], package["CFItems"][1]
    for n, (origin, dest) in enumerate(((a, b), (b, a))):
        assoc = copy.deepcopy(package["CFAssociations"][0])
        assoc["identifier"] = f"cycle-{n}"
        assoc["originNodeURI"] = {"identifier": origin["identifier"], "uri": origin["uri"]}
        assoc["destinationNodeURI"] = {"identifier": dest["identifier"], "uri": dest["uri"]}
        package["CFAssociations"].append(assoc)
    with pytest.raises(InvalidTaxonomyPackage, match="cycle"):
        taxonomy_from_case(package, MANIFEST)


def test_content_hash_ignores_key_order() -> None:
    package = _sample()
    reordered = json.loads(json.dumps(package, sort_keys=True))
    assert (taxonomy_from_case(package, MANIFEST).content_hash
            == taxonomy_from_case(reordered, MANIFEST).content_hash)


def test_full_esco_is_optional_and_flat() -> None:
    esco = TaxonomyCatalog.from_directory(TAXONOMIES).get("esco")
    assert not esco.default
    assert len(esco.items) > 13_000
    assert all(i.parent is None and i.uri.startswith("http://data.europa.eu/esco/skill/")
               for i in esco.items)
    teams = next(i for i in esco.items if i.label == "work in teams")
    assert teams.identifier == "60c78287-22eb-4103-9c8c-28deaa460da0"


def test_esco_ships_every_alternative_label_and_embeds_one() -> None:
    catalog = TaxonomyCatalog.from_directory(TAXONOMIES)
    esco = catalog.get("esco")
    assert esco.retrieval is Retrieval.HYBRID
    assert all(t.retrieval is Retrieval.DENSE for t in catalog if t.id != "esco")
    sql = next(i for i in esco.items if i.label == "SQL")
    assert sql.keywords == ("Informix 4GL/SQL",)  # the one alternative label embedded
    assert {"Informix 4GL/SQL", "SEQUEL"} <= set(sql.alternative_labels)
    assert sum(len(i.alternative_labels) for i in esco.items) == 81_578
    assert all(i.keywords == i.alternative_labels[:1] for i in esco.items)
    # The sidecar is not part of the CASE package: same content hash with or without it.
    package = _load(TAXONOMIES / "esco" / "package.json.gz")
    assert taxonomy_from_case(package, {"id": "esco"}).content_hash == esco.content_hash


def test_real_case_1_0_export_loads_although_the_strict_schema_refuses_it() -> None:
    package = _load(SAMPLE)
    validator = Draft201909Validator(SCHEMA)
    assert list(validator.iter_errors(package))  # extra fields, nulls: not strict CASE 1.1
    taxonomy = taxonomy_from_case(package, {"id": "sample"})
    assert len(taxonomy.items) == 16
    child = next(i for i in taxonomy.items if i.code == "CCSS.Math.Content.6.RP.A.1")
    assert taxonomy.by_identifier[child.parent or ""].code == "CCSS.Math.Content.6.RP.A"


def test_lenient_reading_of_string_ends_string_sequence_numbers_and_nulls() -> None:
    package = _load(SAMPLE)
    for assoc in package["CFAssociations"]:
        assoc["originNodeURI"] = assoc["originNodeURI"]["uri"]  # some exports give bare URIs
        assoc["sequenceNumber"] = "3"
        assoc["notes"] = None
    package["CFItems"][0]["conceptKeywords"] = "ratios, rates"
    package["CFItems"][1]["abbreviatedStatement"] = None
    taxonomy = taxonomy_from_case(package, {"id": "sample"})
    assert sum(i.parent is not None for i in taxonomy.items) == 14
    assert taxonomy.items[0].keywords == ("ratios", "rates")


def test_missing_document_identifier_is_refused() -> None:
    package = _sample()
    del package["CFDocument"]["identifier"]
    with pytest.raises(InvalidTaxonomyPackage, match="CFDocument has no identifier"):
        taxonomy_from_case(package, MANIFEST)


def test_package_without_items_is_refused() -> None:
    package = _sample()
    package["CFItems"] = []
    with pytest.raises(InvalidTaxonomyPackage, match="no CFItems"):
        taxonomy_from_case(package, MANIFEST)
