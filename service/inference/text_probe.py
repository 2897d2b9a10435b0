"""The experience prior's third reader: the encoder's upper layers, fine-tuned on labelled
experiences, read the whole experience for every framework's competencies.

The other two probes of the prior read a frozen summary of the experience (the mean of its
sentence vectors) and its words. This one lets the encoder itself adapt: the whole experience
(up to ``MAX_TOKENS`` tokens) goes through the embedding model's lower layers, unchanged and
shared with it, then through fine-tuned copies of its upper layers, is mean-pooled and scored
for every competency by a linear head. Only the upper layers and the head are ours; they are
fitted by ``eval calibrate`` (``service/calibration/text_probe.py``) and saved as one
safetensors file in half precision next to the prior that names it.

BERT-family encoders only (all-MiniLM-L6-v2): their layers run one at a time on an unpadded
text without an attention mask.
"""

from __future__ import annotations

import copy
import hashlib
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import torch
from safetensors.torch import load, save

MAX_TOKENS = 512  # the encoder's position limit; longer experiences are read to here
LOGIT_SCALE = 10.0  # cosine-like pooled vector times head weights, scaled to logit range


class UnsupportedEncoder(ValueError):
    """The encoder's layers cannot be run one by one (not a BERT-family model)."""


@dataclass(frozen=True)
class Backbone:
    """The embedding model's transformer, read-only and shared, and a tokenizer of its own.

    A fast tokenizer sets its truncation state on every call and refuses to be entered from two
    threads at once ("Already borrowed"), while the embedding worker uses the model's own; the
    backbone keeps a copy and lets one thread at a time tokenize with it.
    """

    tokenizer: Any
    model: Any  # transformers' BertModel
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __post_init__(self) -> None:
        if getattr(getattr(self.model, "config", None), "model_type", None) != "bert":
            raise UnsupportedEncoder(
                f"the text probe runs BERT-family encoders layer by layer; "
                f"{type(self.model).__name__} is not one")

    @property
    def depth(self) -> int:
        """Number of transformer layers."""
        return len(self.model.encoder.layer)

    @property
    def width(self) -> int:
        """Hidden size."""
        return int(self.model.config.hidden_size)

    def lower(self, text: str, frozen: int) -> torch.Tensor:
        """The text's token states after the first ``frozen`` layers, shape (tokens, width)."""
        with self._lock:
            ids = self.tokenizer(text, truncation=True, max_length=MAX_TOKENS,
                                 return_tensors="pt")
        with torch.inference_mode():
            h = self.model.embeddings(input_ids=ids["input_ids"],
                                      token_type_ids=ids.get("token_type_ids"))
            for layer in self.model.encoder.layer[:frozen]:
                h = _out(layer(h))
        return cast(torch.Tensor, h[0]).clone()


def _out(x: Any) -> torch.Tensor:
    return cast(torch.Tensor, x[0] if isinstance(x, tuple) else x)


class UpperLayers(torch.nn.Module):
    """Fine-tuned copies of the encoder's layers above ``frozen``, mean pooling and a head."""

    def __init__(self, backbone: Backbone, frozen: int, outputs: int) -> None:
        super().__init__()
        if not 0 <= frozen < backbone.depth:
            raise ValueError(f"frozen layers must be 0..{backbone.depth - 1}, got {frozen}")
        self.layers = copy.deepcopy(backbone.model.encoder.layer[frozen:])
        self.head = torch.nn.Linear(backbone.width, outputs)

    def pooled(self, states: torch.Tensor) -> torch.Tensor:
        """One text's unit vector from its lower-layer token states."""
        x = states.unsqueeze(0)
        for layer in self.layers:
            x = _out(layer(x))
        return torch.nn.functional.normalize(x[0].mean(0), dim=-1)

    def forward(self, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        """Logits, one row per text, one column per output."""
        logits: torch.Tensor = self.head(torch.stack([self.pooled(s) for s in batch]))
        return logits * LOGIT_SCALE

    def to_half_precision(self) -> None:
        """Round every weight to float16 and back, as ``EncoderTextProbe.save`` stores it, so
        that the fitted probe reads exactly as the saved one will."""
        with torch.no_grad():
            for parameter in self.parameters():
                parameter.copy_(parameter.to(torch.float16).to(torch.float32))


@dataclass
class EncoderTextProbe:
    """Competency logits for a whole experience, per framework (see the module docstring)."""

    version: str
    model_id: str
    frozen: int
    codes: dict[str, tuple[str, ...]]  # framework -> its codes, in the head's column order
    backbone: Backbone
    upper: UpperLayers

    def logits(self, text: str) -> dict[str, npt.NDArray[np.float64]]:
        """Each framework's competency logits, in ``codes`` order (``upper`` is in eval mode
        from the fit or the load)."""
        with torch.inference_mode():
            row = self.upper([self.backbone.lower(text, self.frozen)])[0].double().numpy()
        return by_framework(self.codes, row)

    def _tensors(self) -> dict[str, torch.Tensor]:
        return {k: v.detach().to(torch.float16).contiguous()
                for k, v in self.upper.state_dict().items()}

    def _metadata(self) -> dict[str, str]:
        return {"format": "1", "version": self.version, "model_id": self.model_id,
                "frozen": str(self.frozen), "codes": json.dumps(self.codes, sort_keys=True)}

    def sha256(self) -> str:
        """Digest of the weights as stored and of the metadata (``content_sha256``): what the
        prior that uses this probe records."""
        return content_sha256(self._tensors(), self._metadata())

    def save(self, path: Path) -> None:
        """The upper layers and head in half precision, as a safetensors file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(save(self._tensors(), metadata=self._metadata()))

    @classmethod
    def load(cls, path: Path, backbone: Backbone, sha256: str | None = None
             ) -> EncoderTextProbe:
        """Read a probe written by ``save`` onto ``backbone``; refuse a file that is not the
        one the prior names (``sha256``)."""
        raw = path.read_bytes()
        meta, stored = _file_metadata(raw), load(raw)
        if sha256 is not None and content_sha256(stored, meta) != sha256:
            raise ValueError(f"{path.name} is not the text probe its prior was fitted with "
                             "(sha256 differs); refit with `python -m service eval calibrate`")
        if meta.get("format") != "1":
            raise ValueError(f"{path.name}: text probe format {meta.get('format')!r}, this code "
                             "reads '1'")
        codes = {f: tuple(c) for f, c in json.loads(meta["codes"]).items()}
        frozen = int(meta["frozen"])
        upper = UpperLayers(backbone, frozen, sum(len(c) for c in codes.values()))
        state = {k: v.to(torch.float32) for k, v in stored.items()}
        upper.load_state_dict(state)
        upper.eval()
        return cls(meta["version"], meta["model_id"], frozen, codes, backbone, upper)


def by_framework(codes: Mapping[str, Sequence[str]], row: npt.NDArray[np.float64]
                 ) -> dict[str, npt.NDArray[np.float64]]:
    """One row of head outputs as each framework's logits (frameworks in sorted order)."""
    out, start = {}, 0
    for framework in sorted(codes):
        n = len(codes[framework])
        out[framework] = np.asarray(row[start:start + n], dtype=np.float64).copy()
        start += n
    return out


def _file_metadata(raw: bytes) -> Mapping[str, str]:
    """A safetensors file's metadata: its header is 8 bytes of length, then JSON."""
    length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + length])
    return dict(header.get("__metadata__", {}))


def content_sha256(tensors: Mapping[str, torch.Tensor], metadata: Mapping[str, str]) -> str:
    """Hex sha256 of the metadata (as sorted JSON) and each tensor's name, shape, dtype and
    bytes in name order. Safetensors does not write its header in a fixed order, so the file's
    own hash would differ between two saves of the same probe."""
    digest = hashlib.sha256(json.dumps(dict(metadata), sort_keys=True).encode())
    for name in sorted(tensors):
        tensor = tensors[name].contiguous()
        digest.update(f"{name}|{tuple(tensor.shape)}|{tensor.dtype}|".encode())
        digest.update(tensor.view(torch.uint8).numpy().tobytes()
                      if tensor.numel() else b"")
    return digest.hexdigest()
