"""Fit the experience prior's text probe: fine-tune the encoder's upper layers and a head.

Each experience's text goes once through the encoder's frozen lower layers (kept as token
states); training then runs only the upper layers, so a fit costs a fraction of fine-tuning the
whole model. The loss is binary cross-entropy over every (experience, competency) of the
frameworks the experience is labelled in (a framework it was not labelled in says nothing
either way). Every fit also reads what each framework says its competencies look like (its
items' descriptions and keywords, ``FrameworkExample``), at a fraction of an experience's
weight. As for the other probes, the calibrator must learn what an honest reading is
worth, so every development experience also gets logits from a probe fitted without it
(5 folds).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from sklearn.model_selection import KFold
from tqdm import tqdm

from service.calibration.text_probe_settings import TextProbeSettings
from service.inference.text_probe import (
    Backbone,
    EncoderTextProbe,
    UpperLayers,
    by_framework,
)

BATCH = 16
LAYER_LR = 5e-5  # AdamW, linear warm-up over the first tenth, then linear decay to 0
HEAD_LR = 3e-3
WEIGHT_DECAY = 0.01
SEED = 20261130


@dataclass
class TextProbeFit:
    """A fitted probe and, per experience, logits from a probe that never saw it."""

    probe: EncoderTextProbe
    out_of_fold: list[dict[str, npt.NDArray[np.float64]]]


def _train(backbone: Backbone, frozen: int, states: Sequence[torch.Tensor], y: np.ndarray,
           mask: np.ndarray, epochs: int, seed: int, head: str = "mean") -> UpperLayers:
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    upper = UpperLayers(backbone, frozen, y.shape[1], head)
    upper.train()
    optimiser = torch.optim.AdamW(
        [{"params": upper.layers.parameters(), "lr": LAYER_LR},
         {"params": upper.head_parameters(), "lr": HEAD_LR}], weight_decay=WEIGHT_DECAY)
    steps = max(1, epochs * -(-len(states) // BATCH))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda s: min(1.0, (s + 1) / (0.1 * steps)) * max(0.0, (steps - s) / steps))
    for _ in range(epochs):
        order = rng.permutation(len(states))
        for start in range(0, len(order), BATCH):
            rows = order[start:start + BATCH]
            weight = torch.tensor(mask[rows], dtype=torch.float32)
            if float(weight.sum()) == 0:
                continue
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                upper([states[i] for i in rows]), torch.tensor(y[rows], dtype=torch.float32),
                weight=weight, reduction="sum") / weight.sum()
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
            schedule.step()
    upper.eval()
    upper.to_half_precision()  # as it will be saved and served
    return upper


def _predict(members: Sequence[UpperLayers], states: Sequence[torch.Tensor]) -> np.ndarray:
    """The members' mean logits, one row per text (as ``EncoderTextProbe.logits`` reads)."""
    with torch.inference_mode():
        return np.asarray(torch.stack([m(list(states)) for m in members]).mean(0)
                          .double().numpy())


@dataclass(frozen=True)
class FrameworkExample:
    """A text written in a framework itself (an item's description or one of its observable
    keywords) that shows ``code``, one of the framework's competencies, and none of its
    others."""

    text: str
    framework: str
    code: str


def fit_text_probe(backbone: Backbone, texts: Sequence[str],
                   gold: Sequence[Mapping[str, set[str]]],
                   codes: Mapping[str, Sequence[str]], version: str, model_id: str,
                   settings: TextProbeSettings | None = None, progress: bool = False,
                   examples: Sequence[FrameworkExample] = ()) -> TextProbeFit:
    """Fit on every text; ``gold[n]`` maps each framework text n is labelled in to its codes.

    Returns the probe fitted on all of them and each text's out-of-fold logits. With
    ``settings.taxonomy_weight`` above 0, every fit (the out-of-fold ones too) also learns from
    ``examples``, each weighing that much against a labelled experience. Every fit trains one
    member per head of ``settings.heads``, on the same rows and seed, and reads their mean.
    """
    settings = settings or TextProbeSettings()
    columns = [(f, c) for f in sorted(codes) for c in codes[f]]
    y = np.asarray([[c in g.get(f, ()) for f, c in columns] for g in gold], dtype=np.float64)
    mask = np.asarray([[f in g for f, _ in columns] for g in gold], dtype=np.float64)
    states = [backbone.lower(t, settings.frozen)
              for t in tqdm(texts, desc="text probe: reading experiences", unit="exp",
                            file=sys.stderr, disable=not progress)]
    written = [e for e in examples if e.framework in codes] if settings.taxonomy_weight else []
    extra_states = [backbone.lower(e.text, settings.frozen) for e in written]
    extra_y = np.asarray([[f == e.framework and c == e.code for f, c in columns]
                          for e in written], dtype=np.float64).reshape(-1, len(columns))
    extra_mask = settings.taxonomy_weight * np.asarray(
        [[f == e.framework for f, _ in columns] for e in written],
        dtype=np.float64).reshape(-1, len(columns))

    def train(rows: Sequence[int] | np.ndarray, seed: int) -> tuple[UpperLayers, ...]:
        return tuple(_train(backbone, settings.frozen, [states[i] for i in rows] + extra_states,
                            np.vstack([y[rows], extra_y]), np.vstack([mask[rows], extra_mask]),
                            settings.epochs, seed, head) for head in settings.heads)

    oof = np.zeros_like(y)
    folds = list(KFold(n_splits=settings.folds, shuffle=True, random_state=5)
                 .split(np.arange(len(texts))))
    for k, (rows, held) in enumerate(tqdm(folds, desc="text probe: out-of-fold fits",
                                          unit="fold", file=sys.stderr,
                                          disable=not progress)):
        oof[held] = _predict(train(rows, SEED + k), [states[i] for i in held])
    members = train(np.arange(len(texts)), SEED)
    probe = EncoderTextProbe(version, model_id, settings.frozen,
                             {f: tuple(codes[f]) for f in sorted(codes)}, backbone, members)
    return TextProbeFit(probe, [by_framework(codes, row) for row in oof])
