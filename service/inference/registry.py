"""The model registry (``models/registry.yaml``): which models exist and how each loads."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from service.inference.weights import installed_slice, unpack_archive


class SplitArchive(BaseModel):
    """Weights shipped as a zip cut into slices, one PyPI package per slice, in order."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    parts: tuple[str, ...]
    root: str  # the folder inside the zip that holds the model
    sha256: str  # of <root>/model.safetensors


class ModelSpec(BaseModel):
    """One supported embedding model: weights in an importable package's folder
    (``module``/``weights_dir``) or in a split archive unpacked under VAR_DIR/models."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    package: str
    module: str | None = None
    weights_dir: str | None = None
    archive: SplitArchive | None = None
    upstream: str
    dimension: int
    max_seq_length: int
    licence: str
    loader: str
    normalize: bool = True

    @model_validator(mode="after")
    def _one_source(self) -> ModelSpec:
        if (self.archive is None) == (self.module is None or self.weights_dir is None):
            raise ValueError(f"model '{self.id}': give either module and weights_dir, or archive")
        return self

    def weights_path(self, var_dir: Path) -> Path:
        """Where the weights are, unpacking a split archive into ``var_dir/models`` first."""
        if self.archive is not None:
            return unpack_archive([installed_slice(p) for p in self.archive.parts],
                                  self.archive.root, self.archive.sha256,
                                  var_dir / "models" / self.id)
        assert self.module is not None and self.weights_dir is not None
        module = importlib.import_module(self.module)
        path = Path(str(module.__file__)).resolve().parent / self.weights_dir
        if not (path / "config.json").exists():
            raise FileNotFoundError(
                f"model '{self.id}': no weights at {path}; reinstall the package {self.package}")
        return path


def load_registry(models_dir: Path) -> dict[str, ModelSpec]:
    """Every model named in ``registry.yaml``."""
    raw = yaml.safe_load((models_dir / "registry.yaml").read_text(encoding="utf-8"))
    return {mid: ModelSpec(id=mid, **spec) for mid, spec in raw["models"].items()}


def model_spec(models_dir: Path, model_id: str) -> ModelSpec:
    """The spec of ``model_id``, or a clear error listing the known ones."""
    registry = load_registry(models_dir)
    if model_id not in registry:
        raise ValueError(f"EMBEDDING_MODEL '{model_id}' is not in models/registry.yaml; "
                         f"known: {', '.join(registry)}")
    return registry[model_id]
