"""Build the full ESCO skills framework (``taxonomies/esco/``) from the merged ESCO skills CSV.

Usage: python taxonomies/tools/esco_full.py [--csv PATH] [--out DIR]

Every row with an ESCO URI and a preferred label becomes one CFItem (13,679; 260 rows of the
merged CSV have lost their labels and are left out): name = ESCO preferred label,
description = ESCO description (with the leftover labels some rows start with removed, as in
``esco_transversal.py``), keyword = ESCO's first alternative label, code and identifier =
the UUID of the ESCO URI. Every alternative label goes to a sidecar,
``alternative-labels.json.gz`` (item identifier -> labels), which the hybrid retrieval's lexical
view reads and which is never embedded (the manifest names it). ESCO's text is reused with
the acknowledgement "ESCO, European Commission". The CSV names no skill groups, so the
framework is flat.

The package is written gzipped (``package.json.gz``, deterministic bytes): as plain JSON it is
about 15 MB. Embedding cost decides the facets: each skill is indexed as its label, its label +
description and one alternative label (about 39,600 vectors, 610,000 tokens, against 234,000
tokens for all other bundled frameworks together). Every alternative label would be 80,000
vectors; three would be 64,000 vectors and 780,000 tokens, more than the test suite can build.
The sidecar is outside the package, so it changes neither the content hash nor the index.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from esco_transversal import DEFAULT_CSV, clean_description  # noqa: E402

from service.taxonomy.esco import alternative_labels, package_from_rows  # noqa: E402

DEFAULT_OUT = ROOT / "taxonomies" / "esco"
MAX_KEYWORDS = 1
ALTERNATIVE_LABELS = "alternative-labels.json.gz"
LICENCE = (
    "ESCO, European Commission. ESCO is published by the European Commission and may be reused "
    "provided the source is acknowledged (Commission Decision 2011/833/EU on the reuse of "
    "Commission documents); ESCO's copyright notice licenses EU-owned content under CC BY 4.0. "
    "Skill names, descriptions and alternative labels are ESCO's.")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    rows, skipped = [], 0
    with args.csv.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if not row["uri"].startswith("http"):
                continue  # renamed ESCO 1.1.0 labels: a label, not a concept
            if not row["preferred_label"].strip():
                skipped += 1  # only full_text survives, labels and description run together
                continue
            labels = [row["preferred_label"], *row["alt_labels"].split("|")]
            row["description"] = clean_description(row["description"], labels)[0]
            rows.append(row)

    package = package_from_rows(
        rows, framework_id="esco", title="ESCO Skills and Competences",
        creator="European Commission (ESCO)", version="1.0.0", max_keywords=MAX_KEYWORDS,
        document_fields={
            "publisher": "European Commission", "officialSourceURL": "https://esco.ec.europa.eu/",
            "description": "Every ESCO skill and knowledge concept (ESCO 1.1.x), flat: names, "
                           "descriptions and alternative labels are ESCO's.",
            "notes": LICENCE, "adoptionStatus": "Adopted"})
    manifest = {
        "id": "esco", "title": package["CFDocument"]["title"], "version": "1.0.0",
        "skill_type": "technical", "default": False, "source": "https://esco.ec.europa.eu/",
        "licence": LICENCE, "origin": "bundled",
        # Ranked by the hybrid score (service/pipeline/hybrid.py): literal skill names matter.
        "retrieval": "hybrid", "alternative_labels": ALTERNATIVE_LABELS,
    }
    alternatives = {}
    for item, row in zip(package["CFItems"], rows, strict=True):
        names = alternative_labels(item["fullStatement"], row["alt_labels"], limit=1_000)
        if names:
            alternatives[item["identifier"]] = names
    args.out.mkdir(parents=True, exist_ok=True)
    raw = (json.dumps(package, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    (args.out / "package.json.gz").write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
    sidecar = json.dumps(alternatives, ensure_ascii=False, separators=(",", ":")) + "\n"
    (args.out / ALTERNATIVE_LABELS).write_bytes(
        gzip.compress(sidecar.encode(), compresslevel=9, mtime=0))
    (args.out / "manifest.json").write_text(
        json.dumps(manifest, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {args.out}: {len(package['CFItems'])} skills ({skipped} rows without a label "
          f"left out), {len(raw) / 1e6:.1f} MB as JSON; "
          f"{sum(map(len, alternatives.values()))} alternative labels in {ALTERNATIVE_LABELS}")


if __name__ == "__main__":
    main()
