"""Sentence segmentation keeps exact offsets into the source text."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from service.pipeline.segment import SentenceSegmenter

SEGMENTER = SentenceSegmenter()

TEXTS = [
    "I met Dr. Smith at 9 a.m. on Monday. We fixed the U.S. map! Then we left.",
    "We did it.  We did it.\n\nWe did it again.",
    "  leading spaces and no final stop",
    "Café owners said “thanks” — we raised $300… then more.",
    "one, " * 200 + "end.",
    "Line one\nline two without a stop\n\n\nNew paragraph here.",
]


@pytest.mark.parametrize("text", TEXTS)
def test_every_segment_is_the_exact_source_slice(text: str) -> None:
    segments = SEGMENTER.segment("narrative", text)
    assert segments
    for seg in segments:
        assert text[seg.start:seg.end] == seg.text
        assert seg.text == seg.text.strip()
        assert len(seg.text) <= 400


def test_segments_are_ordered_and_do_not_overlap() -> None:
    text = TEXTS[0] + " " + TEXTS[1]
    segments = SEGMENTER.segment("narrative", text)
    for before, after in itertools.pairwise(segments):
        assert before.end <= after.start


def test_splits_real_sentences_not_abbreviations() -> None:
    texts = [s.text for s in SEGMENTER.segment("narrative", TEXTS[0])]
    assert texts[0] == "I met Dr. Smith at 9 a.m. on Monday."
    assert len(texts) == 3


def test_repeated_sentences_get_distinct_offsets() -> None:
    segments = SEGMENTER.segment("narrative", "We did it. We did it. We did it.")
    assert [s.start for s in segments] == [0, 11, 22]


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=600))
def test_offsets_hold_for_arbitrary_text(text: str) -> None:
    for seg in SEGMENTER.segment("evidence[0]", text):
        assert text[seg.start:seg.end] == seg.text
