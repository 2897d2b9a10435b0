"""Lexical matching against skill names, and clause splitting (pure logic, no model)."""

from __future__ import annotations

import numpy as np
import pytest

from service.pipeline.lexical import LexicalMatcher, LexicalWeights, clauses


def test_clauses_split_lists_and_conjunctions() -> None:
    assert clauses("Experience with Java, Python and SQL - a plus") == [
        "Experience", "Java", "Python", "SQL", "a plus"]
    assert clauses("I ran the club") == []  # one clause: nothing beyond the sentence itself
    assert clauses("problem-solving, 2024") == []  # a hyphen inside a word is no break


def test_the_literal_name_wins() -> None:
    labels = ["Java (computer programming)", "JavaScript", "manage staff"]
    matcher = LexicalMatcher(labels, [["Java"], ["ECMAScript"], ["lead a team", "direct staff"]])
    sims = matcher.similarities(["We build services in Java", "I had to direct staff"])
    assert sims.shape == (2, 3) and sims.dtype == np.float32
    assert int(np.argmax(sims[0])) == 0
    assert int(np.argmax(sims[1])) == 2
    assert float(sims.min()) >= 0.0
    assert matcher.similarities([]).shape == (0, 3)


def test_weights_scale_each_view() -> None:
    labels = ["use Java", "manage staff"]
    none = LexicalMatcher(labels, weights=LexicalWeights(0.0, 0.0, 0.0))
    assert not none.similarities(["use Java"]).any()
    words = LexicalMatcher(labels, weights=LexicalWeights(1.0, 0.0, 0.0))
    assert words.similarities(["use Java"])[0, 0] == pytest.approx(1.0, abs=1e-5)


def test_stop_word_names_and_bad_input() -> None:
    only_stop_words = LexicalMatcher(["the", "and"], weights=LexicalWeights(1.0, 0.0, 0.0))
    assert not only_stop_words.similarities(["the and"]).any()  # empty vocabulary: no view
    assert LexicalMatcher([]).similarities(["anything"]).shape == (1, 0)
    with pytest.raises(ValueError, match="alternative names per label"):
        LexicalMatcher(["a skill"], [["x"], ["y"]])
