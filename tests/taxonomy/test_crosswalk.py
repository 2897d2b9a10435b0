"""The curated crosswalks: valid CASE associations between real items, symmetric, compiled."""

from __future__ import annotations

import importlib.util
import json
from collections import defaultdict
from types import ModuleType

import pytest
from jsonschema import Draft201909Validator

from service.domain.crosswalk import Crosswalk, Relation
from service.settings import PROJECT_ROOT
from service.taxonomy.catalog import TaxonomyCatalog
from service.taxonomy.crosswalk import load_crosswalk

TAXONOMIES = PROJECT_ROOT / "taxonomies"
CROSSWALKS = TAXONOMIES / "crosswalks"
SCHEMA = json.loads(
    (TAXONOMIES / "schemas/case-1.1/case_v1p1_cfpackage-jsonschema1.json").read_text())
REQUIRED = {"america-succeeds", "iowa-universal-constructs", "utah-portrait",
            "xq-learner-outcomes", "wef-top-skills-2020", "career-ready-practices",
            "esco-transversal", "ngss-sep", "esco"}


@pytest.fixture(scope="module")
def catalog() -> TaxonomyCatalog:
    return TaxonomyCatalog.from_directory(TAXONOMIES)


@pytest.fixture(scope="module")
def crosswalk(catalog: TaxonomyCatalog) -> Crosswalk:
    return load_crosswalk(CROSSWALKS, catalog)


def _proposer() -> ModuleType:
    path = TAXONOMIES / "tools" / "propose_crosswalks.py"
    spec = importlib.util.spec_from_file_location("propose_crosswalks", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_file_is_valid_case_between_real_items(crosswalk: Crosswalk) -> None:
    validator = Draft201909Validator(SCHEMA, format_checker=Draft201909Validator.FORMAT_CHECKER)
    files = sorted(CROSSWALKS.glob("*__*.json"))
    for path in files:
        associations = json.loads(path.read_text())["CFAssociations"]
        package = {"CFDocument": {"identifier": "6f1c0d1e-4b53-5d5e-9a8f-2c1b7e0a4d11",
                                  "uri": "x", "creator": "x", "title": "x",
                                  "lastChangeDateTime": "2026-11-29T00:00:00+00:00"},
                   "CFAssociations": associations}
        errors = [e.message for e in validator.iter_errors(package)]
        assert not errors, (path.name, errors[:3])
        assert all(a["originNodeURI"]["targetType"] == "CASE" for a in associations)
    assert len(crosswalk) == sum(
        len(json.loads(p.read_text())["CFAssociations"]) for p in files)  # every end resolved
    covered = {f for p in files for f in p.stem.split("__")}
    assert covered >= REQUIRED


def test_files_are_compiled_from_the_reviewed_concepts(catalog: TaxonomyCatalog) -> None:
    expected = _proposer().compiled(catalog)
    on_disk = {p.name: p.read_text() for p in CROSSWALKS.glob("*__*.json")}
    assert on_disk == expected


def test_exact_match_is_symmetric_and_never_also_related(crosswalk: Crosswalk,
                                                         catalog: TaxonomyCatalog) -> None:
    relations: dict[tuple[str, str, str, str], set[Relation]] = defaultdict(set)
    for a in catalog.ids:
        for b in catalog.ids:
            for link in crosswalk.between(a, b):
                relations[(a, link.source.identifier, b, link.target.identifier)].add(
                    link.relation)
    assert relations
    for (a, x, b, y), found in relations.items():
        assert relations[(b, y, a, x)] == found
        assert len(found) == 1, (a, x, b, y)


def test_exact_match_is_transitive(crosswalk: Crosswalk, catalog: TaxonomyCatalog) -> None:
    exact: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    for a in catalog.ids:
        for b in catalog.ids:
            for link in crosswalk.between(a, b):
                if link.relation is Relation.EXACT_MATCH:
                    exact[(a, link.source.identifier)].add((b, link.target.identifier))
    for node, matches in exact.items():
        for other in matches:
            assert matches - {other} <= exact[other] | {node}


def test_the_collaboration_constructs_line_up(crosswalk: Crosswalk) -> None:
    links = crosswalk.between("iowa-universal-constructs", "utah-portrait")
    assert ("IA-UC-CO", "UT-A.4", Relation.EXACT_MATCH) in {
        (x.source.code, x.target.code, x.relation) for x in links}
    teamwork = {(x.target_framework, x.target.label, x.relation) for x in
                crosswalk.between("america-succeeds", "esco-transversal")
                if x.source.code == "AS-COLLAB"}
    assert ("esco-transversal", "work in teams", Relation.RELATED) in teamwork
    data = {x.target.label for x in crosswalk.between("ngss-sep", "esco")
            if x.source.code == "SEP4"}
    assert {"analyse scientific data", "perform data analysis"} <= data
