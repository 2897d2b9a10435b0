"""Build ``taxonomies/sources/esco-transversal.yaml`` from the merged ESCO skills CSV.

Usage: python taxonomies/tools/esco_transversal.py [--csv PATH] [--out PATH]

The CSV (columns uri, preferred_label, alt_labels, description, hierarchy, full_text) holds no
skill-group rows: the transversal (T) groups appear only as codes in the ``hierarchy`` paths, e.g.
``["T", "T4", "T4.4"]``. So:

- the six top groups T1..T6 carry ESCO's names, confirmed from the Cedefop VET glossary entry on
  transversal skills and competences (which lists ESCO's six categories); their descriptions and
  keywords are ours;
- the second-level groups (T1.1 .. T6.6) are named by their code, because their ESCO labels are
  not in the CSV and could not be confirmed; their descriptions and keywords are generated from the
  skills ESCO files under them;
- every skill with at least one T path becomes a child of its first T group (ESCO lets a skill sit
  in several groups; a CASE item here has one parent). Name, description and keywords are ESCO's
  own text (preferred label, description, alternative labels), which ESCO's licence lets us reuse
  with the acknowledgement "ESCO, European Commission". Skills have no ESCO notation code, so their
  code is the UUID at the end of their ESCO URI.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from service.taxonomy.esco import alternative_labels  # noqa: E402

DEFAULT_CSV = Path("/work/shared/data/esco/esco_skills.csv")
DEFAULT_OUT = ROOT / "taxonomies" / "sources" / "esco-transversal.yaml"
MAX_KEYWORDS = 12
GROUP_EXAMPLES = 12

# ESCO's six transversal categories (names as ESCO publishes them; confirmed via Cedefop's
# glossary, https://www.cedefop.europa.eu/en/tools/vet-glossary). Descriptions and keywords: ours.
TOP_GROUPS: dict[str, dict[str, Any]] = {
    "T1": {
        "name": "core skills and competences",
        "description": "Uses the basic tools that almost every job and course relies on: reading, "
        "writing and speaking a language, working with numbers and using digital devices.",
        "keywords": [
            "wrote reports and emails in English and Spanish",
            "calculated totals and percentages at work",
            "kept a budget in a spreadsheet",
            "used Word, Excel and PowerPoint",
            "searched online databases for information",
            "spoke with customers in their own language",
            "counted the cash drawer at the end of the shift",
            "kept my passwords and accounts secure",
        ],
    },
    "T2": {
        "name": "thinking skills and competences",
        "description": "Gathers and analyses information, plans and organises work, solves "
        "problems and comes up with new ideas.",
        "keywords": [
            "analysed the data to find what went wrong",
            "made a plan and a timeline before starting",
            "troubleshot the problem step by step",
            "came up with a new way to do it",
            "compared the options before deciding",
            "checked facts against several sources",
            "organised the information into a clear summary",
            "figured out the cause of the breakdown",
        ],
    },
    "T3": {
        "name": "self-management skills and competences",
        "description": "Manages own time, effort and emotions: works reliably and efficiently, "
        "takes initiative and responsibility, stays calm under pressure and keeps learning.",
        "keywords": [
            "balanced school, work and sport",
            "met every deadline",
            "stayed calm when the shop got busy",
            "took the initiative without being asked",
            "asked for feedback and used it",
            "learned the new system on my own",
            "adapted quickly when plans changed",
            "owned my mistake and fixed it",
        ],
    },
    "T4": {
        "name": "social and communication skills and competences",
        "description": "Communicates with and works alongside other people: explains and listens, "
        "supports and teaches others, cooperates in groups, leads people and acts ethically.",
        "keywords": [
            "explained the task clearly to new volunteers",
            "listened to customers and answered their questions",
            "trained and coached younger players",
            "worked with classmates to finish on time",
            "led a group of volunteers",
            "settled an argument between teammates",
            "kept client information confidential",
            "gave a presentation to the board",
        ],
    },
    "T5": {
        "name": "physical and manual skills and competences",
        "description": "Handles tools, equipment and materials with care and precision and copes "
        "with physically demanding or uncomfortable working conditions.",
        "keywords": [
            "used hand and power tools safely",
            "stripped and connected wires",
            "lifted and carried heavy boxes all shift",
            "worked outdoors in the cold and rain",
            "stood for long shifts",
            "used precision tools for small repairs",
            "followed safety procedures in a hazardous area",
            "operated the equipment carefully",
        ],
    },
    "T6": {
        "name": "life skills and competences",
        "description": "Applies knowledge about health, the environment, civic life, culture, "
        "money and enterprise in everyday and working life.",
        "keywords": [
            "gave first aid when someone was injured",
            "kept the kitchen clean and hygienic",
            "started a recycling programme",
            "volunteered for a community campaign",
            "organised a cultural festival",
            "spotted a business opportunity and acted on it",
            "managed my savings and spending",
            "promoted inclusion at school",
        ],
    },
}

HEADER = """\
# ESCO transversal skills and competences (the T pillar of the ESCO skills hierarchy).
# GENERATED by taxonomies/tools/esco_transversal.py from /work/shared/data/esco/esco_skills.csv;
# edit the script, not this file, and re-run it.
# Source: ESCO, European Commission. ESCO is published by the European Commission; reuse is
# authorised provided the source is acknowledged (Commission Decision 2011/833/EU).
# Skill names, descriptions and keywords are ESCO's own text (preferred label, description,
# alternative labels). Top groups T1-T6 carry ESCO's names; second-level groups (T1.1 ... T6.6)
# are named by their ESCO hierarchy code because their labels are not in the source CSV; their
# descriptions and keywords are ours (top groups) or built from their member skills (T*.*).
# Skill codes are the UUID of the ESCO concept URI (ESCO gives skills no notation code).
# A skill filed under several T groups (137 do) sits under the first one the CSV lists.
"""


class _Folded(str):
    """A string emitted in YAML folded block style (``>-``)."""


def _folded(dumper: yaml.SafeDumper, data: _Folded) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", str(data), style=">")


yaml.SafeDumper.add_representer(_Folded, _folded)


def _code_key(code: str) -> list[int]:
    return [int(part) for part in code[1:].split(".")]


def _label_words(labels: list[str]) -> set[str]:
    return {w for label in labels for w in re.findall(r"[\w'’-]+", label)}


def _is_acronym(word: str) -> bool:
    word = word.strip(".,;:()!?")
    return len(word) > 1 and (word.isupper() or any(c.isdigit() for c in word))


def _is_sentence_start(tokens: list[str], known_lower: set[str]) -> bool:
    """Whether the text starting at ``tokens[0]`` reads as prose rather than a run of labels."""
    text = " ".join(tokens)
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0].split()
    if len(first) < 3:
        return False  # "Yahoo! Calendar ..." is a product name, not a sentence
    # Judge by the first few words that are not label words: prose continues in lower case,
    # a run of product names ("TickTick Toggl Art Plus ...") does not.
    rest = [w for w in first[1:] if w.strip(".,;:()!?").lower() not in known_lower][:8]
    if not rest:
        return True
    capitalised_words = [w for w in rest if w[:1].isupper() and not _is_acronym(w)]
    if any(w in capitalised_words for w in rest[:3]):
        return False
    capitalised = len(capitalised_words)
    return capitalised / len(rest) < 0.5


def clean_description(description: str, labels: list[str]) -> tuple[str, str]:
    """(ESCO's description, the run of leftover labels some rows start with).

    In part of the merged CSV the description is prefixed by the concept's labels, all lower
    case except proper nouns (e.g. "handle operational budgets manage ... Plan, monitor, ...").
    The real description starts at the first capitalised word that is not part of a label and
    that opens prose rather than a list of product names.
    """
    text = " ".join(description.split())
    if not text or not text[0].islower():
        return text, ""
    known = _label_words(labels)
    known_lower = {w.lower() for w in known}
    tokens = text.split(" ")
    for i, token in enumerate(tokens):
        word = re.sub(r"^\W+|\W+$", "", token)
        if not word or not word[0].isupper() or word in known:
            continue
        if _is_acronym(word) or any(c.isupper() for c in word[1:]):
            continue  # an acronym (ICT, EPC) or a product name (ToodleDo) inside the labels
        if _is_sentence_start(tokens[i:], known_lower):
            return " ".join(tokens[i:]), " ".join(tokens[:i])
    return text, ""


def _language_phrases(prefix: str) -> list[str]:
    """Language rows without alternative labels keep ESCO's hidden labels in the leftover prefix,
    as "competent in X ability to comprehend spoken and written X and to speak and write in X";
    split that run back into its phrases."""
    parts = re.split(r"\s(?=(?:competent in|ability to) )", prefix)
    return [p.strip() for p in parts if p.strip()] if len(parts) > 1 else []


def keywords_for(preferred: str, alt_labels: str, max_keywords: int = MAX_KEYWORDS) -> list[str]:
    """Up to ``max_keywords`` distinct ESCO alternative labels (the preferred label if none)."""
    return alternative_labels(preferred.strip(), alt_labels, max_keywords) or [preferred]


def _representatives(members: list[dict[str, Any]], n: int) -> list[str]:
    """Member labels that best stand for a group.

    Skills filed only under T come first, then short (general) labels, then those with most
    alternative labels (established concepts); a label opening with the same two words as one
    already taken is skipped so the examples differ.
    """
    ranked = sorted(members, key=lambda m: (not m["t_only"], len(m["name"].split()), -m["n_alt"],
                                            m["name"]))
    chosen: list[str] = []
    openings: set[str] = set()
    for member in ranked:
        opening = " ".join(member["name"].lower().split()[:2])
        if opening not in openings:
            chosen.append(member["name"])
            openings.add(opening)
        if len(chosen) == n:
            break
    return chosen


def build(csv_path: Path) -> dict[str, Any]:
    """The authoring document for the ESCO transversal pillar."""
    skills: list[dict[str, Any]] = []
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            paths = json.loads(row["hierarchy"] or "[]")
            t_paths = [p for p in paths if p and p[0] == "T"]
            if not t_paths or not row["uri"].startswith("http"):
                continue
            name = " ".join(row["preferred_label"].split())
            alt = [a for a in row["alt_labels"].split("|") if a.strip()]
            description, prefix = clean_description(row["description"], [name, *alt])
            keywords = keywords_for(name, row["alt_labels"])
            if not alt and _language_phrases(prefix):
                keywords = _language_phrases(prefix)
            skills.append({
                "code": row["uri"].rstrip("/").rsplit("/", 1)[-1],
                "name": name,
                "parent": t_paths[0][-1],
                "uri": row["uri"],
                "description": description,
                "keywords": keywords,
                "t_only": len(t_paths) == len(paths),
                "n_alt": len(alt),
            })

    members: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for skill in skills:
        members[skill["parent"]].append(skill)
    subgroups = sorted(members, key=_code_key)
    unknown = {g.split(".")[0] for g in subgroups} - set(TOP_GROUPS)
    if unknown:
        raise SystemExit(f"T groups without a confirmed top-level name: {sorted(unknown)}")

    items: list[dict[str, Any]] = []
    for top, spec in TOP_GROUPS.items():
        items.append(_item(top, spec["name"], "Skill Group", None, None,
                           spec["description"], spec["keywords"]))
        for group in (g for g in subgroups if g.split(".")[0] == top):
            examples = _representatives(members[group], GROUP_EXAMPLES)
            description = (f"Skills ESCO files in group {group} of its {spec['name']}, "
                           f"such as: {'; '.join(examples[:6])}.")
            items.append(_item(group, group, "Skill Group", top, None, description, examples))
            for skill in sorted(members[group], key=lambda s: s["name"].lower()):
                items.append(_item(skill["code"], skill["name"], "Skill", group, skill["uri"],
                                   skill["description"] or skill["name"], skill["keywords"]))

    return {
        "id": "esco-transversal",
        "title": "ESCO Transversal Skills and Competences",
        "version": "1.0.0",
        "framework_version": "1.1",
        "skill_type": "durable",
        "default": False,
        "creator": "European Commission (ESCO)",
        "publisher": "European Commission",
        "official_source_url": "https://esco.ec.europa.eu/",
        "licence": _Folded(
            "ESCO, European Commission. ESCO is published by the European Commission and may be "
            "reused provided the source is acknowledged (Commission Decision 2011/833/EU on the "
            "reuse of Commission documents); ESCO's copyright notice licenses EU-owned content "
            "under CC BY 4.0. Skill names, descriptions and alternative labels are ESCO's; group "
            "descriptions and the top-group keywords are ours."),
        "licence_url": "https://esco.ec.europa.eu/en/copyright-notice-esco-skills-competences",
        "description": _Folded(
            "ESCO's transversal skills and competences: the six groups of skills that carry across "
            "jobs and sectors (core, thinking, self-management, social and communication, physical "
            "and manual, life skills), with every ESCO skill filed under them."),
        "items": items,
    }


def _item(code: str, name: str, item_type: str, parent: str | None, uri: str | None,
          description: str, keywords: list[str]) -> dict[str, Any]:
    return {"code": code, "name": name, "type": item_type, "parent": parent, "uri": uri,
            "description": _Folded(description), "keywords": list(keywords)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()
    document = build(args.csv)
    body = yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)
    args.out.write_text(HEADER + body, encoding="utf-8")
    n_groups = sum(1 for i in document["items"] if i["type"] == "Skill Group")
    print(f"wrote {args.out}: {n_groups} groups, {len(document['items']) - n_groups} skills")


if __name__ == "__main__":
    main()
