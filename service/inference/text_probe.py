"""The experience prior's third reader: the encoder's upper layers, fine-tuned on labelled
experiences, read the whole experience for every framework's competencies.

The other two probes of the prior read a frozen summary of the experience (the mean of its
sentence vectors) and its words. This one lets the encoder itself adapt: the whole experience
(up to ``MAX_TOKENS`` tokens) goes through the embedding model's lower layers, unchanged and
shared with it, then through fine-tuned copies of its upper layers, is pooled and scored for
every competency by a head (``UpperLayers``); a probe may average several such members, each
fitted apart. Only the upper layers and the head are ours; they are
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


HEADS = ("mean", "attention")  # what a member of the probe pools its token states with


class UpperLayers(torch.nn.Module):
    """Fine-tuned copies of the encoder's layers above ``frozen``, pooling and a head.

    ``head="mean"``: the tokens' mean, one linear head over every competency. ``"attention"``
    adds, for each competency, a vector pooled over the tokens by its own attention (a query
    per competency, starting at zero, so at the plain mean) and read by its own weights
    (starting at zero, so the member starts as the mean head): a competency shown in one
    sentence of a long experience is not averaged away.
    """

    def __init__(self, backbone: Backbone, frozen: int, outputs: int,
                 head: str = "mean") -> None:
        super().__init__()
        if not 0 <= frozen < backbone.depth:
            raise ValueError(f"frozen layers must be 0..{backbone.depth - 1}, got {frozen}")
        if head not in HEADS:
            raise ValueError(f"text probe head must be one of {', '.join(HEADS)}, got {head!r}")
        self.kind = head
        self.layers = copy.deepcopy(backbone.model.encoder.layer[frozen:])
        self.head = torch.nn.Linear(backbone.width, outputs)
        if head == "attention":
            self.query = torch.nn.Parameter(torch.zeros(outputs, backbone.width))
            self.value = torch.nn.Parameter(torch.zeros(outputs, backbone.width))

    def head_parameters(self) -> list[torch.nn.Parameter]:
        """What the head learns (at the head's learning rate, not the layers')."""
        extra = [self.query, self.value] if self.kind == "attention" else []
        return [*self.head.parameters(), *extra]

    def _top(self, states: torch.Tensor) -> torch.Tensor:
        x = states.unsqueeze(0)
        for layer in self.layers:
            x = _out(layer(x))
        return x[0]

    def _row(self, states: torch.Tensor) -> torch.Tensor:
        top = self._top(states)
        logits: torch.Tensor = self.head(torch.nn.functional.normalize(top.mean(0), dim=-1))
        if self.kind == "attention":
            weights = torch.softmax(self.query @ top.T, dim=-1)  # (outputs, tokens)
            attended = torch.nn.functional.normalize(weights @ top, dim=-1)
            logits = logits + (self.value * attended).sum(-1)
        return logits

    def forward(self, batch: Sequence[torch.Tensor]) -> torch.Tensor:
        """Logits, one row per text, one column per output."""
        return torch.stack([self._row(s) for s in batch]) * LOGIT_SCALE

    def to_half_precision(self) -> None:
        """Round every weight to float16 and back, as ``EncoderTextProbe.save`` stores it, so
        that the fitted probe reads exactly as the saved one will."""
        with torch.no_grad():
            for parameter in self.parameters():
                parameter.copy_(parameter.to(torch.float16).to(torch.float32))


@dataclass
class EncoderTextProbe:
    """Competency logits for a whole experience, per framework (see the module docstring).

    ``members``: one or more fitted upper layers with their heads, each fitted apart on the
    same data; the probe's logit is their mean. A probe of one mean-pooled member is stored as
    format 1 (as every probe was before members), any other as format 2.
    """

    version: str
    model_id: str
    frozen: int
    codes: dict[str, tuple[str, ...]]  # framework -> its codes, in the head's column order
    backbone: Backbone
    members: tuple[UpperLayers, ...]

    def __post_init__(self) -> None:
        if not self.members:
            raise ValueError("a text probe needs at least one fitted member")

    @property
    def heads(self) -> tuple[str, ...]:
        """Each member's head, in order."""
        return tuple(m.kind for m in self.members)

    def logits(self, text: str) -> dict[str, npt.NDArray[np.float64]]:
        """Each framework's competency logits, in ``codes`` order (the members are in eval
        mode from the fit or the load). The lower layers run once for every member."""
        with torch.inference_mode():
            states = self.backbone.lower(text, self.frozen)
            row = torch.stack([m([states])[0] for m in self.members]).mean(0)
        return by_framework(self.codes, row.double().numpy())

    def _single(self) -> bool:
        return self.heads == ("mean",)

    def _tensors(self) -> dict[str, torch.Tensor]:
        def half(state: Mapping[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
            return {prefix + k: v.detach().to(torch.float16).contiguous()
                    for k, v in state.items()}
        if self._single():
            return half(self.members[0].state_dict(), "")
        out: dict[str, torch.Tensor] = {}
        for n, member in enumerate(self.members):
            out |= half(member.state_dict(), f"{n}.")
        return out

    def _metadata(self) -> dict[str, str]:
        meta = {"format": "1", "version": self.version, "model_id": self.model_id,
                "frozen": str(self.frozen), "codes": json.dumps(self.codes, sort_keys=True)}
        if not self._single():
            meta |= {"format": "2", "heads": json.dumps(list(self.heads))}
        return meta

    def sha256(self) -> str:
        """Digest of the weights as stored and of the metadata (``content_sha256``): what the
        prior that uses this probe records."""
        return content_sha256(self._tensors(), self._metadata())

    def save(self, path: Path) -> None:
        """Every member's upper layers and head in half precision, as one safetensors file."""
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
        if meta.get("format") not in ("1", "2"):
            raise ValueError(f"{path.name}: text probe format {meta.get('format')!r}, this code "
                             "reads '1' and '2'")
        codes = {f: tuple(c) for f, c in json.loads(meta["codes"]).items()}
        frozen = int(meta["frozen"])
        outputs = sum(len(c) for c in codes.values())
        heads = json.loads(meta["heads"]) if meta["format"] == "2" else ["mean"]
        members = []
        for n, head in enumerate(heads):
            prefix = f"{n}." if meta["format"] == "2" else ""
            upper = UpperLayers(backbone, frozen, outputs, head)
            upper.load_state_dict({k[len(prefix):]: v.to(torch.float32)
                                   for k, v in stored.items() if k.startswith(prefix)})
            upper.eval()
            members.append(upper)
        return cls(meta["version"], meta["model_id"], frozen, codes, backbone, tuple(members))


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
