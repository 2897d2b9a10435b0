"""Propose crosswalk pairs by embedding similarity, and write the reviewed ones as CASE files.

Usage:
  python taxonomies/tools/propose_crosswalks.py propose A B [--top 3] [--min 0.55] [--match RE]
      prints, for each item of A, its most similar items of B (label + description, cosine),
      marking mutual best matches: candidates for a person to review, never data.
  python taxonomies/tools/propose_crosswalks.py write
      compiles the reviewed concept groups in taxonomies/crosswalks/reviewed.yaml into one
      taxonomies/crosswalks/<a>__<b>.json per pair of frameworks (CASE CFAssociations).

In reviewed.yaml each concept names its items per framework. Items under ``exact`` are
exactMatchOf one another (all pairs, so the relation is symmetric and transitive by
construction); items under ``related`` are isRelatedTo every ``exact`` item of the concept.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from service.domain.crosswalk import CrosswalkLink, Relation  # noqa: E402
from service.domain.taxonomy import SkillItem, Taxonomy  # noqa: E402
from service.taxonomy.catalog import TaxonomyCatalog  # noqa: E402
from service.taxonomy.crosswalk import case_association  # noqa: E402

TAXONOMIES = ROOT / "taxonomies"
CROSSWALKS = TAXONOMIES / "crosswalks"
REVIEWED = CROSSWALKS / "reviewed.yaml"
CHANGED = "2026-11-29T00:00:00+00:00"


def _text(item: SkillItem) -> str:
    return f"{item.label}: {item.description}" if item.description else item.label


def propose(catalog: TaxonomyCatalog, a: str, b: str, top: int, floor: float,
            match: str | None) -> None:
    """Print candidate pairs, best first per item of ``a``."""
    from service.runtime import load_encoder
    from service.settings import Settings

    encoder = load_encoder(Settings())
    left = list(catalog.get(a).items)
    right = [i for i in catalog.get(b).items
             if not match or re.search(match, f"{i.label} {i.description}", re.IGNORECASE)]
    sims = encoder.embed([_text(i) for i in left]) @ encoder.embed([_text(i) for i in right]).T
    best_left = sims.argmax(axis=0)  # for each item of b, its closest item of a
    print("similarity\tmutual\tcode_a\tlabel_a\tcode_b\tlabel_b")
    for n, item in enumerate(left):
        for m in np.argsort(-sims[n])[:top]:
            if sims[n, m] < floor:
                break
            mutual = "yes" if best_left[m] == n and sims[n].argmax() == m else ""
            print(f"{sims[n, m]:.3f}\t{mutual}\t{item.code}\t{item.label}\t"
                  f"{right[m].code}\t{right[m].label}")


def reviewed_links(catalog: TaxonomyCatalog, concepts: list[dict[str, Any]]) -> list[
        CrosswalkLink]:
    """Every link the reviewed concept groups imply, each pair once."""
    links: list[CrosswalkLink] = []
    for concept in concepts:
        exact = _members(catalog, concept.get("exact") or {})
        related = _members(catalog, concept.get("related") or {})
        for (fa, ia), (fb, ib) in itertools.combinations(exact, 2):
            if fa != fb:
                links.append(CrosswalkLink(Relation.EXACT_MATCH, fa, ia, fb, ib))
        for (fa, ia), (fb, ib) in itertools.product(related, exact):
            if fa != fb:
                links.append(CrosswalkLink(Relation.RELATED, fa, ia, fb, ib))
    return links


def _members(catalog: TaxonomyCatalog,
             by_framework: dict[str, Any]) -> list[tuple[str, SkillItem]]:
    out = []
    for framework, codes in by_framework.items():
        taxonomy = catalog.get(framework)
        for code in [codes] if isinstance(codes, str) else codes:
            out.append((framework, _by_code(taxonomy, str(code))))
    return out


def _by_code(taxonomy: Taxonomy, code: str) -> SkillItem:
    """The item with this code, or the one whose (ESCO UUID) code starts with it."""
    found = [i for i in taxonomy.items if i.code == code] or [
        i for i in taxonomy.items if len(code) >= 8 and i.code.startswith(code)]
    if len(found) != 1:
        raise SystemExit(f"{taxonomy.id}: {len(found)} items match code {code}")
    return found[0]


def compiled(catalog: TaxonomyCatalog) -> dict[str, str]:
    """File name -> JSON text of every per-pair CASE file that reviewed.yaml implies."""
    concepts = yaml.safe_load(REVIEWED.read_text(encoding="utf-8"))["concepts"]
    files: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for link in reviewed_links(catalog, concepts):
        if link.source_framework > link.target_framework:
            link = link.reversed()  # one file per unordered pair, named in sorted order
        pair = (link.source_framework, link.target_framework)
        association = case_association(link, CHANGED)
        files[pair].setdefault(association["identifier"], association)
    out = {}
    for (a, b), associations in sorted(files.items()):
        body = {"from": a, "to": b, "reviewed_in": "taxonomies/crosswalks/reviewed.yaml",
                "CFAssociations": sorted(associations.values(), key=lambda x: (
                    x["associationType"], x["originNodeURI"]["title"],
                    x["destinationNodeURI"]["title"]))}
        out[f"{a}__{b}.json"] = json.dumps(body, indent=1, ensure_ascii=False) + "\n"
    return out


def write(catalog: TaxonomyCatalog) -> None:
    """Compile reviewed.yaml into the per-pair CASE files, replacing the old ones."""
    files = compiled(catalog)
    for old in CROSSWALKS.glob("*__*.json"):
        old.unlink()
    for name, text in files.items():
        (CROSSWALKS / name).write_text(text, encoding="utf-8")
        print(f"wrote taxonomies/crosswalks/{name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    proposal = commands.add_parser("propose")
    proposal.add_argument("a")
    proposal.add_argument("b")
    proposal.add_argument("--top", type=int, default=3)
    proposal.add_argument("--min", type=float, default=0.55)
    proposal.add_argument("--match", help="only items of B whose text matches this regex")
    commands.add_parser("write")
    args = parser.parse_args()
    catalog = TaxonomyCatalog.from_directory(TAXONOMIES)
    if args.command == "propose":
        propose(catalog, args.a, args.b, args.top, args.min, args.match)
    else:
        write(catalog)


if __name__ == "__main__":
    main()
