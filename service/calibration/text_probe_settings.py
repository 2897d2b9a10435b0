"""How the prior's text probe is fitted: the settings a fit takes, and their defaults.

Apart from the fit itself (``service/calibration/text_probe.py``) so that the command line can
name and check them without loading torch.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.pipeline.prior import EQUAL_SHARE

FROZEN_LAYERS = 3  # of all-MiniLM-L6-v2's six; the upper three are fine-tuned
EPOCHS = 10
FOLDS = 5
WEIGHT = EQUAL_SHARE  # the text probe's share of the prior's logit (``TextProbeFile``)
TAXONOMY_WEIGHT = 1.0  # loss weight of each example written in a framework (``FrameworkExample``)
HEADS = ("mean",)  # one member per head, averaged (``service/inference/text_probe.py``)
KNOWN_HEADS = ("mean", "attention")  # ``service.inference.text_probe.HEADS``, without torch


@dataclass(frozen=True)
class TextProbeSettings:
    """How a text probe is fitted (the defaults were chosen on dev and validation)."""

    frozen: int = FROZEN_LAYERS
    epochs: int = EPOCHS
    folds: int = FOLDS
    weight: float = WEIGHT
    taxonomy_weight: float = TAXONOMY_WEIGHT
    heads: tuple[str, ...] = HEADS

    def __post_init__(self) -> None:
        if self.frozen < 0:
            raise ValueError(f"frozen layers must be 0 or more, got {self.frozen}")
        if self.epochs < 1:
            raise ValueError(f"epochs must be 1 or more, got {self.epochs}")
        if self.folds < 2:
            raise ValueError(f"folds must be 2 or more for out-of-fold fits, got {self.folds}")
        if not 0.0 <= self.weight <= 1.0:
            raise ValueError(f"the text probe's share of the prior must be within 0..1, "
                             f"got {self.weight}")
        if not self.taxonomy_weight >= 0.0:  # also refuses NaN
            raise ValueError(f"the frameworks' examples' weight must be 0 or more, "
                             f"got {self.taxonomy_weight}")
        if not self.heads or any(h not in KNOWN_HEADS for h in self.heads):
            raise ValueError(f"text probe heads must be one or more of "
                             f"{', '.join(KNOWN_HEADS)}, got {', '.join(self.heads) or 'none'}")
