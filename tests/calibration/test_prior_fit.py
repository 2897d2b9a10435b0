"""The experience prior is fitted on every experience but fed to the calibrator out of fold."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np

from service.calibration.fit import MIN_PROBE_POSITIVES, fit_prior
from service.pipeline.segment import Segment


def _prepared(vector: np.ndarray, codes: set[str], text: str = "") -> Any:
    gold = SimpleNamespace(labelled_frameworks=["fw"],
                           skills=[SimpleNamespace(framework="fw", code=c) for c in codes])
    vectors = vector[None, :].astype(np.float32)
    segments = [Segment("narrative", 0, len(text), text)]
    return SimpleNamespace(record=SimpleNamespace(gold=gold), vectors=vectors,
                           sentence_vectors=vectors, segments=segments)


def test_out_of_fold_priors_never_come_from_a_probe_that_saw_the_experience() -> None:
    """Three identical experiences alone show "NICHE". Fitted on all, the probe recognises
    them; out of fold, each is predicted by a probe that saw only two of them (fewer than
    MIN_PROBE_POSITIVES), which falls back to the observed rate."""
    assert MIN_PROBE_POSITIVES == 3
    rng = np.random.default_rng(0)
    niche = np.zeros(8)
    niche[0] = 1.0
    # the niche experiences share their words too, so the lexical probe can learn them
    prepared = [_prepared(niche, {"NICHE", "COMMON"}, "soldered the harness, a niche task")
                for _ in range(3)]
    for k in range(37):
        v = rng.normal(size=8)
        v[0] = -abs(v[0])
        prepared.append(_prepared(v / np.linalg.norm(v), {"COMMON"},
                                  f"common work, week {k % 5} of the season"))
    items = [SimpleNamespace(code=c, parent=None) for c in ("NICHE", "COMMON", "UNSEEN")]
    indexes: Any = {"fw": SimpleNamespace(taxonomy=SimpleNamespace(items=items))}
    fit = fit_prior(prepared, indexes, "m", "prior-test", "sha256:x")
    prior, oof = fit.prior, fit.out_of_fold
    assert fit.text_probe is None and prior.text_probe is None  # not asked for one
    assert prior.dimension == 8 and prior.probes["fw"].codes == ("COMMON", "NICHE", "UNSEEN")
    fitted = prior.for_framework("fw", niche, "soldered the harness, a niche task")
    assert fitted is not None and fitted["NICHE"] > 0.5
    for n in range(3):
        assert oof[n]["fw"]["NICHE"] < 0.1  # the held-out copy was not learned from
    assert all(set(oof[n]) == {"fw"} for n in range(len(prepared)))
    assert fitted["UNSEEN"] < 0.05  # never shown: a small smoothed rate, not zero
    # the lexicon was learned on every experience; a held-out fold learned its own
    assert {"soldered", "harness", "niche", "common", "season"} <= set(prior.lexicon.terms)
