"""Split texts into sentences with exact character offsets."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pysbd

# MiniLM reads at most 256 word pieces; longer sentences are cut into windows at clause
# boundaries so that no words are silently dropped by the model.
_MAX_SEGMENT_CHARS = 400
_CLAUSE_BREAK = re.compile(r"[;:,]\s+|\s+(?:and|but|so|then|which)\s+")
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_HAS_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass(frozen=True, slots=True)
class Segment:
    """A sentence of one source text: ``text == source_text[start:end]``."""

    source: str
    start: int
    end: int
    text: str


class SentenceSegmenter:
    """Sentence splitting with pysbd, offsets recovered by search so they are always exact."""

    name = "segment.pysbd"
    version = "1"

    def __init__(self) -> None:
        self._pysbd = pysbd.Segmenter(language="en", clean=False)

    def segment(self, source: str, text: str) -> list[Segment]:
        """The sentences of ``text`` with offsets into it."""
        segments: list[Segment] = []
        for p_start, p_end in _paragraphs(text):
            cursor = p_start
            for sentence in self._pysbd.segment(text[p_start:p_end]):
                stripped = sentence.strip()
                if not stripped:
                    continue
                located = _locate(text, stripped, cursor, p_end)
                if located is None:  # pysbd changed the text beyond recognition: skip it
                    continue
                start, end = located
                cursor = end
                segments += _windows(source, text, start, end)
        return [s for s in segments if _HAS_WORD.search(s.text)]


def _locate(text: str, sentence: str, cursor: int, limit: int) -> tuple[int, int] | None:
    """Where ``sentence`` stands in ``text`` at or after ``cursor``, tolerant of spacing."""
    start = text.find(sentence, cursor, limit)
    if start >= 0:
        return start, start + len(sentence)
    pattern = r"\s+".join(re.escape(word) for word in sentence.split())
    match = re.compile(pattern).search(text, cursor, limit)
    return (match.start(), match.end()) if match else None


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans, cursor = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.append((cursor, match.start()))
        cursor = match.end()
    spans.append((cursor, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _windows(source: str, text: str, start: int, end: int) -> list[Segment]:
    """Cut an over-long sentence at clause boundaries into windows of bounded length."""
    if end - start <= _MAX_SEGMENT_CHARS:
        return [Segment(source, start, end, text[start:end])]
    windows: list[Segment] = []
    w_start = start
    last_break = None
    for match in _CLAUSE_BREAK.finditer(text, start, end):
        if match.start() - w_start > _MAX_SEGMENT_CHARS and last_break is not None:
            windows.append(_trimmed(source, text, w_start, last_break[0]))
            w_start = last_break[1]
        last_break = (match.start(), match.end())
    while end - w_start > _MAX_SEGMENT_CHARS:  # no usable clause break: cut at a space
        cut = text.rfind(" ", w_start, w_start + _MAX_SEGMENT_CHARS)
        cut = cut if cut > w_start else w_start + _MAX_SEGMENT_CHARS
        windows.append(_trimmed(source, text, w_start, cut))
        w_start = cut
    windows.append(_trimmed(source, text, w_start, end))
    return [w for w in windows if w.text]


def _trimmed(source: str, text: str, start: int, end: int) -> Segment:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    trail = len(piece) - len(piece.rstrip())
    return Segment(source, start + lead, end - trail, text[start + lead : end - trail])
