"""Text search within one framework: codes, names, descriptions and keywords."""

from __future__ import annotations

import re

from service.domain.taxonomy import SkillItem, Taxonomy

_WORD = re.compile(r"[a-z0-9]+(?:[.'-][a-z0-9]+)*")
_FIELD_WEIGHTS = (("code", 4.0), ("label", 3.0), ("keywords", 2.0), ("description", 1.0))


def _words(text: str) -> set[str]:
    return set(_WORD.findall(text.lower()))


def _stem(word: str) -> str:
    for suffix in ("ing", "ers", "er", "es", "s", "ed"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def search_items(taxonomy: Taxonomy, query: str | None) -> list[SkillItem]:
    """Items matching every word of ``query`` (loosely stemmed), best first; all when empty."""
    terms = {_stem(w) for w in _words(query or "")}
    if not terms:
        return list(taxonomy.items)
    scored: list[tuple[float, int, SkillItem]] = []
    for position, item in enumerate(taxonomy.items):
        fields = {"code": item.code, "label": item.label, "keywords": " ".join(item.keywords),
                  "description": item.description}
        stems = {name: {_stem(w) for w in _words(text)} for name, text in fields.items()}
        if not all(any(t in stems[name] for name in stems) for t in terms):
            continue
        score = sum(weight for name, weight in _FIELD_WEIGHTS for t in terms if t in stems[name])
        if query and query.strip().lower() == item.code.lower():
            score += 100.0
        scored.append((-score, position, item))
    return [item for _, _, item in sorted(scored, key=lambda s: (s[0], s[1]))]
