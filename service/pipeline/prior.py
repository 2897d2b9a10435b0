"""What experiences like this one usually show: a learned prior per framework competency.

Zero-shot similarity says which skills a sentence resembles; it cannot know how reviewers of a
framework read whole experiences ("a robotics build season shows SEP6 and CC-STEM, rarely
SEP7"). A logistic probe per competency over the experience's whole-text vector (the normalised
mean of its sentence vectors) learns that from the labelled dev split. A second probe per
competency reads the experience's words instead (sublinear tf-idf over a vocabulary learned on
dev): "soldering", "budget" and "hypothesis" are decisive words that a mean vector blurs, and on
the dev split, out of fold, the two probes together beat either alone. A third reader, where
one was fitted, is the encoder itself: its upper layers fine-tuned to read the whole experience
for every competency (``service/inference/text_probe.py``; this module only sees its logits).
The readers' logits are averaged. The prior never adds a skill: it is one more input to the
calibrator for candidates that retrieval found with evidence spans, so every assertion still
points at the words behind it.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from service.pipeline.embed import Vectors
from service.pipeline.segment import Segment

# scikit-learn's default token pattern, so that serving reads words exactly as the fit did
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


def experience_vector(vectors: Vectors) -> npt.NDArray[np.float64] | None:
    """The whole experience as one unit vector: the normalised mean of its sentence vectors."""
    if len(vectors) == 0:
        return None
    mean = np.asarray(vectors, dtype=np.float64).mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else None


def experience_text(segments: Sequence[Segment]) -> str:
    """The whole experience as the lexical probes read it: its sentences, joined."""
    return " ".join(s.text for s in segments)


def tokens(text: str) -> list[str]:
    """Lower-cased words of two or more characters."""
    return _TOKEN.findall(text.lower())


@dataclass(frozen=True)
class Lexicon:
    """Term weights of a text: ``(1 + log tf) * idf`` over a fixed vocabulary, unit length.

    The same transform as scikit-learn's ``TfidfVectorizer(sublinear_tf=True)`` with the
    vocabulary and idf it learned; words outside the vocabulary are ignored.
    """

    terms: tuple[str, ...]
    idf: npt.NDArray[np.float64]
    column: dict[str, int] = field(init=False, repr=False, compare=False)  # term -> index

    def __post_init__(self) -> None:
        if len(self.terms) != len(self.idf):
            raise ValueError(f"lexicon has {len(self.terms)} terms but {len(self.idf)} idf values")
        object.__setattr__(self, "column", {t: i for i, t in enumerate(self.terms)})

    def vector(self, text: str) -> npt.NDArray[np.float64]:
        """The text's term weights (all zero when it shares no word with the vocabulary)."""
        x = np.zeros(len(self.terms))
        for term, count in Counter(tokens(text)).items():
            i = self.column.get(term)
            if i is not None:
                x[i] = (1.0 + math.log(count)) * self.idf[i]
        norm = float(np.linalg.norm(x))
        return x / norm if norm > 0 else x

    def to_json(self) -> dict[str, Any]:
        """Plain data."""
        return {"terms": list(self.terms), "idf": np.round(self.idf, 6).tolist()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Lexicon:
        """Inverse of ``to_json``."""
        return cls(tuple(raw["terms"]), np.asarray(raw["idf"], dtype=np.float64))


@dataclass(frozen=True)
class FrameworkProbe:
    """One framework's probes: ``p(code) = sigmoid(coef[code] · x + intercept[code])``.

    Codes seen too rarely in training to fit a probe carry their observed rate instead
    (``coef`` row of zeros, intercept the rate's logit).
    """

    codes: tuple[str, ...]
    coef: npt.NDArray[np.float64]  # (codes, dimension)
    intercept: npt.NDArray[np.float64]  # (codes,)

    def logits(self, x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """Each competency code's logit for one input vector, in ``codes`` order."""
        return np.asarray(self.coef @ x + self.intercept, dtype=np.float64)

    def probabilities(self, x: npt.NDArray[np.float64]) -> dict[str, float]:
        """Each competency code's prior probability for one input vector."""
        return _named(self.codes, self.logits(x))

    def to_json(self) -> dict[str, Any]:
        """Plain data."""
        return {"codes": list(self.codes), "coef": np.round(self.coef, 5).tolist(),
                "intercept": np.round(self.intercept, 6).tolist()}

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> FrameworkProbe:
        """Inverse of ``to_json``."""
        return cls(tuple(raw["codes"]), np.asarray(raw["coef"], dtype=np.float64),
                   np.asarray(raw["intercept"], dtype=np.float64))


def _named(codes: Sequence[str], logits: npt.NDArray[np.float64]) -> dict[str, float]:
    p = 1.0 / (1.0 + np.exp(-logits))
    return {code: float(v) for code, v in zip(codes, p, strict=True)}


class TextReader(Protocol):
    """A fitted reader of the whole experience's text (the fine-tuned encoder probe)."""

    version: str
    codes: dict[str, tuple[str, ...]]  # framework -> codes, in the order of its logits

    def logits(self, text: str) -> dict[str, npt.NDArray[np.float64]]:
        """Each framework's competency logits for one experience text."""
        ...


EQUAL_SHARE = 1 / 3  # the text reader's share when the three views are averaged alike


@dataclass(frozen=True)
class TextProbeFile:
    """The text reader a prior was fitted with: its file beside the prior, and the digest of
    its weights and metadata (not of the file's bytes; see ``content_sha256`` in
    ``service/inference/text_probe.py``), so that a prior never runs with another fit's
    reader."""

    file: str
    sha256: str
    # the text reader's share of the prior's logit; the other two views split the rest
    # (priors of format 3 written before the weight was recorded averaged the three equally)
    weight: float = EQUAL_SHARE

    def __post_init__(self) -> None:
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"text probe weight must be within 0..1, got {self.weight}")


@dataclass(frozen=True)
class ExperiencePrior:
    """Per-framework competency probes over the experience's vector and over its words, and,
    when one was fitted, a reader of its text.

    Fitted for one embedding model. Each view has a probe for every framework, over the same
    codes; a competency's prior is the logistic of the mean of the views' logits (the text
    reader's share set by ``TextProbeFile.weight``). A prior that
    names a ``text_probe`` needs its reader attached (``with_reader``) before it can serve.
    """

    version: str
    trained_on: str
    model_id: str
    dimension: int
    probes: dict[str, FrameworkProbe]
    lexicon: Lexicon
    lexical_probes: dict[str, FrameworkProbe]
    notes: dict[str, Any] = field(default_factory=dict)
    text_probe: TextProbeFile | None = None
    reader: TextReader | None = field(default=None, compare=False, repr=False)

    name = "prior.experience-probe"
    FORMAT = 3  # 3 may name a text probe; 2 (embedding and lexical probes only) still reads
    READS = (2, 3)

    @property
    def component_version(self) -> str:
        """v2: embedding and lexical probes, logits averaged; v3: and the text probe."""
        return "3" if self.text_probe is not None else "2"

    def __post_init__(self) -> None:
        for framework, probe in self.probes.items():
            lexical = self.lexical_probes.get(framework)
            if lexical is None or lexical.codes != probe.codes:
                raise ValueError(f"prior {self.version}: framework {framework!r} needs a lexical "
                                 "probe over the same codes as its embedding probe")
            if lexical.coef.shape[1] != len(self.lexicon.terms):
                raise ValueError(f"prior {self.version}: {framework!r}'s lexical probe has "
                                 f"{lexical.coef.shape[1]} weights for a lexicon of "
                                 f"{len(self.lexicon.terms)} terms")
        if set(self.lexical_probes) != set(self.probes):
            raise ValueError(f"prior {self.version}: lexical probes for frameworks without an "
                             "embedding probe")
        if self.reader is not None:
            if self.text_probe is None:
                raise ValueError(f"prior {self.version} was fitted without a text probe")
            if self.reader.version != self.version:
                raise ValueError(f"text probe {self.reader.version} was not fitted with prior "
                                 f"{self.version}")
            for framework, probe in self.probes.items():
                if self.reader.codes.get(framework, probe.codes) != probe.codes:
                    raise ValueError(f"text probe {self.reader.version}: {framework!r} codes "
                                     "differ from the prior's")

    def with_reader(self, reader: TextReader) -> ExperiencePrior:
        """This prior with its text probe's reader attached (checked against it)."""
        return replace(self, reader=reader)

    def for_framework(self, taxonomy_id: str, x: npt.NDArray[np.float64] | None, text: str,
                      text_logits: Mapping[str, npt.NDArray[np.float64]] | None = None
                      ) -> dict[str, float] | None:
        """Prior probability per competency code, or None (no probe, or an empty experience).

        ``x`` is ``experience_vector`` of the sentences, ``text`` is ``experience_text``;
        ``text_logits`` stand in for the text reader's (``eval calibrate`` passes out-of-fold
        ones).
        """
        return self.for_frameworks([taxonomy_id], x, text, text_logits).get(taxonomy_id)

    def for_frameworks(self, taxonomy_ids: Sequence[str], x: npt.NDArray[np.float64] | None,
                       text: str,
                       text_logits: Mapping[str, npt.NDArray[np.float64]] | None = None
                       ) -> dict[str, dict[str, float]]:
        """``for_framework`` for each framework that has a probe, reading the text once."""
        wanted = [t for t in taxonomy_ids if t in self.probes]
        if not wanted or x is None:
            return {}
        if x.shape != (self.dimension,):
            raise ValueError(f"experience vector has shape {x.shape}; the prior was fitted "
                             f"for {self.dimension} dimensions ({self.model_id})")
        if text_logits is None and self.text_probe is not None:
            if self.reader is None:
                raise ValueError(f"prior {self.version} needs its text probe "
                                 f"({self.text_probe.file}) attached before it can serve")
            text_logits = self.reader.logits(text)
        words = self.lexicon.vector(text)
        out = {}
        for t in wanted:
            logit = (self.probes[t].logits(x) + self.lexical_probes[t].logits(words)) / 2
            if text_logits is not None and t in text_logits:
                weight = self.text_probe.weight if self.text_probe is not None else EQUAL_SHARE
                logit = (1 - weight) * logit + weight * np.asarray(text_logits[t],
                                                                    dtype=np.float64)
            out[t] = _named(self.probes[t].codes, logit)
        return out

    def save(self, path: Path) -> None:
        """Write as reviewable JSON."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({
            "format": self.FORMAT, "version": self.version, "trained_on": self.trained_on,
            "model_id": self.model_id, "dimension": self.dimension,
            "probes": {k: p.to_json() for k, p in sorted(self.probes.items())},
            "lexicon": self.lexicon.to_json(),
            "lexical_probes": {k: p.to_json() for k, p in sorted(self.lexical_probes.items())},
            "text_probe": (None if self.text_probe is None else
                           {"file": self.text_probe.file, "sha256": self.text_probe.sha256,
                            "weight": self.text_probe.weight}),
            "notes": self.notes}) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ExperiencePrior:
        """Read a prior written by ``save``; refuse one written in another format."""
        raw = json.loads(path.read_text(encoding="utf-8"))
        if raw.get("format", 1) not in cls.READS:
            raise ValueError(f"{path}: prior format {raw.get('format', 1)}, this code reads "
                             f"{' and '.join(map(str, cls.READS))}; refit with "
                             "`python -m service eval calibrate`")
        text_probe = raw.get("text_probe")
        return cls(version=raw["version"], trained_on=raw["trained_on"],
                   model_id=raw["model_id"], dimension=int(raw["dimension"]),
                   probes={k: FrameworkProbe.from_json(v) for k, v in raw["probes"].items()},
                   lexicon=Lexicon.from_json(raw["lexicon"]),
                   lexical_probes={k: FrameworkProbe.from_json(v)
                                   for k, v in raw["lexical_probes"].items()},
                   notes=raw.get("notes", {}),
                   text_probe=TextProbeFile(**text_probe) if text_probe else None)
