"""Validate the experiences-v1 evaluation set: schema, counts, unique ids, gold codes.

Usage: python eval/datasets/experiences-v1/check.py [--taxonomies DIR]
Standard library only. Exits 1 and lists every problem found, or prints a summary and exits 0.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_TAXONOMIES = HERE.parents[2] / "taxonomies" / "sources"

CATEGORIES = (
    "employment", "work_based", "entrepreneurial", "civic_engagement",
    "service", "independent", "course", "extracurricular",
)
FRAMEWORKS = ("ngss-sep", "ngss-ccc", "career-clusters-2024", "america-succeeds")
# file -> (split, id prefix, records); every file holds 15 experiences of each category
FILES = {
    "dev.jsonl": ("dev", "exp-dev-", 120),
    "test.jsonl": ("test", "exp-test-", 120),
    "dev-2.jsonl": ("dev", "exp-dev2-", 120),
    "dev-3.jsonl": ("dev", "exp-dev3-", 120),
    "validation.jsonl": ("validation", "exp-val-", 120),
}
PER_CATEGORY_PER_FILE = 15
ORG_TYPES = {"nonprofit", "school", "business", "government", "community", "self"}
EVIDENCE_KINDS = {
    "endorsement", "reflection", "artifact", "portfolio", "assessment", "quantitative", "other",
}
RELATIONSHIPS = {"supervisor", "teacher", "mentor", "peer", "self", "client", "other"}
STRENGTHS = {"clear", "weak"}
TAGS = {"vague", "off_topic", "thin", "rich"}
MAX_NARRATIVE = 4000
MAX_EVIDENCE_TEXT = 2000
MAX_EVIDENCE_ITEMS = 3

EXPERIENCE_KEYS = {
    "category", "title", "narrative", "role", "organization", "start_date", "end_date",
    "hours", "location", "evidence", "learner_ref", "external_id",
}
REQUIRED_EXPERIENCE_KEYS = {"category", "title", "narrative", "learner_ref"}

ITEM_START = re.compile(r"^\s*-\s*code:\s*[\"']?([^\"'\s#]+)[\"']?\s*$")
PARENT = re.compile(r"^\s*parent:\s*[\"']?([^\"'\s#]+)[\"']?\s*$")


def load_top_level_codes(taxonomy_dir: Path) -> dict[str, set[str]]:
    """Read each labelled framework's YAML and return its top-level item codes (parent: null).

    A tiny line parser is enough for the flat `items:` list that AUTHORING.md prescribes,
    and keeps this script free of third-party packages.
    """
    codes: dict[str, set[str]] = {}
    for framework in FRAMEWORKS:
        path = taxonomy_dir / f"{framework}.yaml"
        if not path.exists():
            raise SystemExit(f"missing taxonomy file: {path}")
        top: set[str] = set()
        current: str | None = None
        for line in path.read_text(encoding="utf-8").splitlines():
            m = ITEM_START.match(line)
            if m:
                current = m.group(1)
                continue
            m = PARENT.match(line)
            if m and current is not None:
                if m.group(1) == "null":
                    top.add(current)
                current = None
        if not top:
            raise SystemExit(f"no top-level items parsed from {path}")
        codes[framework] = top
    return codes


def is_date(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def check_experience(exp: dict, where: str, errors: list[str]) -> None:
    unknown = set(exp) - EXPERIENCE_KEYS
    if unknown:
        errors.append(f"{where}: unknown experience keys {sorted(unknown)}")
    for key in REQUIRED_EXPERIENCE_KEYS:
        if not isinstance(exp.get(key), str) or not exp[key].strip():
            errors.append(f"{where}: experience.{key} must be a non-empty string")
    if exp.get("category") not in CATEGORIES:
        errors.append(f"{where}: bad category {exp.get('category')!r}")
    if len(exp.get("narrative") or "") >= MAX_NARRATIVE:
        errors.append(
            f"{where}: narrative is {len(exp['narrative'])} chars (limit {MAX_NARRATIVE})")
    if not re.fullmatch(r"lrn-\d{4}", exp.get("learner_ref") or ""):
        errors.append(f"{where}: learner_ref must be an opaque id like lrn-0001")
    for key in ("role", "location", "external_id"):
        if exp.get(key) is not None and not isinstance(exp[key], str):
            errors.append(f"{where}: {key} must be a string or null")
    org = exp.get("organization")
    if org is not None:
        if not isinstance(org, dict) or set(org) - {"name", "type", "sector"}:
            errors.append(f"{where}: organization must be an object with name/type/sector")
        elif org.get("type") not in ORG_TYPES:
            errors.append(
                f"{where}: organization.type {org.get('type')!r} not in {sorted(ORG_TYPES)}")
    for key in ("start_date", "end_date"):
        if exp.get(key) is not None and not is_date(exp[key]):
            errors.append(f"{where}: {key} must be an ISO date or null")
    dated = is_date(exp.get("start_date")) and is_date(exp.get("end_date"))
    if dated and exp["end_date"] < exp["start_date"]:
        errors.append(f"{where}: end_date before start_date")
    hours = exp.get("hours")
    if hours is not None and (not isinstance(hours, int) or isinstance(hours, bool) or hours < 0):
        errors.append(f"{where}: hours must be a non-negative integer or null")
    evidence = exp.get("evidence")
    if evidence is None:
        return
    if not isinstance(evidence, list) or not 1 <= len(evidence) <= MAX_EVIDENCE_ITEMS:
        errors.append(f"{where}: evidence must be null or a list of 1-{MAX_EVIDENCE_ITEMS} items")
        return
    for i, item in enumerate(evidence):
        at = f"{where}: evidence[{i}]"
        if not isinstance(item, dict) or set(item) - {"kind", "text", "author", "url"}:
            errors.append(f"{at}: must be an object with kind/text/author/url")
            continue
        if item.get("kind") not in EVIDENCE_KINDS:
            errors.append(f"{at}: bad kind {item.get('kind')!r}")
        text = item.get("text")
        if not isinstance(text, str) or not text.strip():
            errors.append(f"{at}: text must be a non-empty string")
        elif len(text) >= MAX_EVIDENCE_TEXT:
            errors.append(f"{at}: text is {len(text)} chars (limit {MAX_EVIDENCE_TEXT})")
        author = item.get("author")
        if author is not None:
            if not isinstance(author, dict) or set(author) - {"name", "role", "relationship"}:
                errors.append(f"{at}: author must be an object with name/role/relationship")
            elif author.get("relationship") not in RELATIONSHIPS:
                errors.append(f"{at}: bad author.relationship {author.get('relationship')!r}")
        if item.get("url") is not None and not str(item["url"]).startswith(("http://", "https://")):
            errors.append(f"{at}: url must be http(s) or null")


def check_gold(gold: dict, where: str, codes: dict[str, set[str]], errors: list[str]) -> None:
    unknown = set(gold) - {"labelled_frameworks", "skills", "quality", "tags"}
    if unknown:
        errors.append(f"{where}: unknown gold keys {sorted(unknown)}")
    labelled = gold.get("labelled_frameworks")
    if not isinstance(labelled, list) or not labelled or set(labelled) - set(FRAMEWORKS):
        errors.append(f"{where}: labelled_frameworks must be a non-empty subset of {FRAMEWORKS}")
        labelled = []
    seen: set[tuple[str, str]] = set()
    for s in gold.get("skills") or []:
        fw, code = s.get("framework"), s.get("code")
        if fw not in labelled:
            errors.append(f"{where}: skill framework {fw!r} is not in labelled_frameworks")
            continue
        if code not in codes[fw]:
            errors.append(f"{where}: code {code!r} is not a top-level item of {fw}")
        if s.get("strength") not in STRENGTHS:
            errors.append(f"{where}: {code} strength must be clear|weak")
        if (fw, code) in seen:
            errors.append(f"{where}: duplicate gold skill {fw}:{code}")
        seen.add((fw, code))
    if not isinstance(gold.get("skills"), list):
        errors.append(f"{where}: gold.skills must be a list (possibly empty)")
    quality = gold.get("quality")
    if not isinstance(quality, dict) or set(quality) != {"responsibility", "complexity", "novelty"}:
        errors.append(f"{where}: quality must have responsibility, complexity, novelty")
    else:
        for k, v in quality.items():
            if not isinstance(v, int) or not 1 <= v <= 4:
                errors.append(f"{where}: quality.{k} must be an integer 1-4")
    tags = gold.get("tags", [])
    if not isinstance(tags, list) or set(tags) - TAGS:
        errors.append(f"{where}: tags must be a list drawn from {sorted(TAGS)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taxonomies", type=Path, default=DEFAULT_TAXONOMIES)
    args = parser.parse_args()
    codes = load_top_level_codes(args.taxonomies)

    errors: list[str] = []
    ids: Counter[str] = Counter()
    external_ids: Counter[str] = Counter()
    per_file_category: Counter[tuple[str, str]] = Counter()
    records = []
    for name, (split, prefix, expected) in FILES.items():
        path = HERE / name
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) != expected:
            errors.append(f"{path.name}: {len(lines)} records, expected {expected}")
        for n, line in enumerate(lines, 1):
            where = f"{path.name}:{n}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as exc:
                errors.append(f"{where}: invalid JSON ({exc})")
                continue
            if set(rec) != {"id", "split", "experience", "gold"}:
                errors.append(f"{where}: top-level keys must be id, split, experience, gold")
                continue
            if rec["split"] != split:
                errors.append(f"{where}: split {rec['split']!r} in {path.name}")
            if not re.fullmatch(rf"{prefix}\d{{3}}", rec["id"]):
                errors.append(f"{where}: id {rec['id']!r} does not match {prefix}NNN")
            where = f"{path.name}:{n} ({rec['id']})"
            ids[rec["id"]] += 1
            exp = rec["experience"]
            if exp.get("external_id"):
                external_ids[exp["external_id"]] += 1
            check_experience(exp, where, errors)
            check_gold(rec["gold"], where, codes, errors)
            per_file_category[(name, exp.get("category"))] += 1
            records.append(rec)

    errors += [f"duplicate id {i}" for i, c in ids.items() if c > 1]
    errors += [f"duplicate external_id {i}" for i, c in external_ids.items() if c > 1]
    for name in FILES:
        for cat in CATEGORIES:
            got = per_file_category[(name, cat)]
            if got != PER_CATEGORY_PER_FILE:
                errors.append(f"{name}/{cat}: {got} records, expected {PER_CATEGORY_PER_FILE}")

    if errors:
        print(f"{len(errors)} problem(s):")
        for e in errors:
            print(f"- {e}")
        return 1

    labels = Counter(s["framework"] for r in records for s in r["gold"]["skills"])
    hard = sum(1 for r in records
               if set(r["gold"].get("tags", [])) & {"vague", "off_topic", "thin"})
    print(f"ok: {len(records)} records ({', '.join(f'{n} {FILES[n][2]}' for n in FILES)}), "
          f"{len(CATEGORIES)} categories x {PER_CATEGORY_PER_FILE} per file, "
          f"{sum(labels.values())} gold labels "
          f"({', '.join(f'{k} {labels[k]}' for k in FRAMEWORKS)}), "
          f"{hard} weak/vague/off-topic experiences")
    return 0


if __name__ == "__main__":
    sys.exit(main())
