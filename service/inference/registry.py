"""The model registry (``models/registry.yaml``): which models exist and how each loads."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict


class ModelSpec(BaseModel):
    """One supported embedding model."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    package: str
    module: str
    weights_dir: str
    upstream: str
    dimension: int
    max_seq_length: int
    licence: str
    loader: str
    normalize: bool = True

    def weights_path(self) -> Path:
        """Where the installed package keeps the weights."""
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
