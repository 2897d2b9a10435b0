"""Cut a source text into pieces at every span boundary, so each skill's spans can light up."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise


@dataclass(frozen=True, slots=True)
class Piece:
    """A run of text covered by the same assertions' spans (none: plain text)."""

    text: str
    assertion_ids: tuple[str, ...]


def pieces(text: str, spans: Iterable[tuple[int, int, str]]) -> list[Piece]:
    """``text`` as consecutive pieces; ``spans`` are ``(start, end, assertion id)``.

    Joining the pieces gives ``text`` back exactly, and the pieces carrying an assertion's id
    are exactly its spans' characters.
    """
    spans = [(max(0, s), min(len(text), e), a) for s, e, a in spans if s < e]
    cuts = sorted({0, len(text), *(s for s, _, _ in spans), *(e for _, e, _ in spans)})
    result = []
    for start, end in pairwise(cuts):
        ids = tuple(dict.fromkeys(a for s, e, a in spans if s <= start and end <= e))
        result.append(Piece(text[start:end], ids))
    return result
