"""The model registry: split-archive weights, each model's fitted artefacts, and the second
model (all-mpnet-base-v2) loading from its installed packages and serving the pipeline."""

from __future__ import annotations

import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest
from pydantic import ValidationError

from service.evaluation.service import evaluate_dataset
from service.inference import weights
from service.inference.registry import ModelSpec, load_registry
from service.inference.weights import (
    VERIFIED_STAMP,
    WeightsError,
    file_sha256,
    installed_slice,
    unpack_archive,
)
from service.runtime import load_encoder
from service.settings import PROJECT_ROOT
from tests.conftest import make_settings

MPNET = "all-mpnet-base-v2"
VALIDATION = PROJECT_ROOT / "eval" / "datasets" / "experiences-v1" / "validation.jsonl"


def _sliced_zip(tmp_path: Path, files: dict[str, bytes], parts: int) -> list[Path]:
    """A zip of ``files`` cut into ``parts`` slices, as a publisher splits one."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    raw = buffer.getvalue()
    size = -(-len(raw) // parts)
    slices = []
    for i in range(parts):
        path = tmp_path / f"model.zip.{i + 1:03d}"
        path.write_bytes(raw[i * size:(i + 1) * size])
        slices.append(path)
    return slices


WEIGHTS = b"not really weights " * 500
FILES = {"m/model.safetensors": WEIGHTS, "m/config.json": b"{}", "m/desktop.ini": b"[x]",
         "other/stray.txt": b"outside the model folder"}


def _sha(data: bytes) -> str:
    import hashlib

    return hashlib.sha256(data).hexdigest()


def test_slices_join_into_the_model_folder(tmp_path: Path) -> None:
    slices = _sliced_zip(tmp_path, FILES, parts=3)
    model = unpack_archive(slices, "m", _sha(WEIGHTS), tmp_path / "var" / "models" / "m")
    assert sorted(p.name for p in model.iterdir()) == [VERIFIED_STAMP, "config.json",
                                                       "model.safetensors"]
    assert (model / "model.safetensors").read_bytes() == WEIGHTS
    assert not (tmp_path / "var" / "models" / "other").exists()
    assert [p.name for p in (tmp_path / "var" / "models").iterdir()] == ["m"]  # no leftovers


def test_an_unpacked_folder_is_reused_only_while_its_weights_match(tmp_path: Path) -> None:
    slices = _sliced_zip(tmp_path, FILES, parts=2)
    destination = tmp_path / "models" / "m"
    unpack_archive(slices, "m", _sha(WEIGHTS), destination)
    marker = destination / "kept"
    marker.write_text("still here")
    unpack_archive(slices, "m", _sha(WEIGHTS), destination)
    assert marker.exists()  # matching weights: nothing redone
    (destination / "model.safetensors").write_bytes(b"tampered")
    unpack_archive(slices, "m", _sha(WEIGHTS), destination)
    assert not marker.exists()
    assert file_sha256(destination / "model.safetensors") == _sha(WEIGHTS)


def test_checked_weights_are_not_hashed_again_until_their_file_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    slices = _sliced_zip(tmp_path, FILES, parts=2)
    destination = tmp_path / "models" / "m"
    unpack_archive(slices, "m", _sha(WEIGHTS), destination)
    hashed: list[Path] = []

    def counting_sha256(path: Path) -> str:
        hashed.append(path)
        return file_sha256(path)

    monkeypatch.setattr(weights, "file_sha256", counting_sha256)
    unpack_archive(slices, "m", _sha(WEIGHTS), destination)
    assert hashed == []  # the stamp written when they were checked stands for the hash
    with pytest.raises(WeightsError, match="expects"):
        unpack_archive(slices, "m", "0" * 64, destination)  # a stamp of another digest: no
    assert len(hashed) == 2  # the folder's weights, then the freshly joined ones

    # the same size, the modification time set back: the change time still tells
    destination = tmp_path / "models" / "m2"
    unpack_archive(slices, "m", _sha(WEIGHTS), destination)
    model = destination / "model.safetensors"
    before = model.stat()
    model.write_bytes(b"X" * len(WEIGHTS))
    os.utime(model, ns=(before.st_atime_ns, before.st_mtime_ns))
    hashed.clear()
    unpack_archive(slices, "m", _sha(WEIGHTS), destination)
    assert hashed and model.read_bytes() == WEIGHTS  # hashed, found wrong, unpacked afresh

    # a stamp that is not JSON: hashed, served, stamped again
    (destination / VERIFIED_STAMP).write_text("{half a stamp")
    hashed.clear()
    assert unpack_archive(slices, "m", _sha(WEIGHTS), destination) == destination
    unpack_archive(slices, "m", _sha(WEIGHTS), destination)
    assert len(hashed) == 1

    # a folder the service can read but not write: hashed at every load, still served
    def read_only(folder: Path, sha256: str) -> None:
        raise PermissionError(13, "Permission denied", str(folder))

    monkeypatch.setattr(weights, "_stamp", read_only)
    (destination / VERIFIED_STAMP).unlink()
    hashed.clear()
    for _ in range(2):
        assert unpack_archive(slices, "m", _sha(WEIGHTS), destination) == destination
    assert len(hashed) == 2


def test_wrong_weights_or_slices_are_refused_and_leave_nothing(tmp_path: Path) -> None:
    slices = _sliced_zip(tmp_path, FILES, parts=3)
    destination = tmp_path / "models" / "m"
    with pytest.raises(WeightsError, match="expects"):
        unpack_archive(slices, "m", "0" * 64, destination)
    with pytest.raises(WeightsError, match="do not join"):
        unpack_archive(list(reversed(slices)), "m", _sha(WEIGHTS), destination)
    with pytest.raises(WeightsError, match=r"no missing/model\.safetensors"):
        unpack_archive(slices, "missing", _sha(WEIGHTS), destination)
    assert list(destination.parent.iterdir()) == []


def test_a_second_unpacker_keeps_the_first_ones_folder(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    slices = _sliced_zip(tmp_path, FILES, parts=2)
    destination = tmp_path / "models" / "m"
    rename = Path.rename

    def racing_rename(self: Path, target: Path) -> Path:
        # another process finishes its unpacking just before this one
        monkeypatch.setattr(Path, "rename", rename)
        unpack_archive(slices, "m", _sha(WEIGHTS), destination)
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", racing_rename)
    assert unpack_archive(slices, "m", _sha(WEIGHTS), destination) == destination
    assert file_sha256(destination / "model.safetensors") == _sha(WEIGHTS)
    assert [p.name for p in destination.parent.iterdir()] == ["m"]


def test_a_missing_slice_package_says_how_to_install_it() -> None:
    with pytest.raises(WeightsError, match="make install"):
        installed_slice("no-such-weights-package-part-001")


def test_a_spec_names_exactly_one_source_of_weights() -> None:
    common = {"id": "x", "package": "p", "upstream": "u", "dimension": 3, "max_seq_length": 8,
              "licence": "MIT", "loader": "sentence-transformers"}
    with pytest.raises(ValidationError, match="either module and weights_dir, or archive"):
        ModelSpec(**common)
    with pytest.raises(ValidationError, match="either module and weights_dir, or archive"):
        ModelSpec(**common, module="m", weights_dir="w",
                  archive={"parts": ["a"], "root": "r", "sha256": "0"})


@pytest.mark.parametrize("model_id", sorted(load_registry(PROJECT_ROOT / "models")))
def test_every_registered_model_ships_its_fitted_artefacts(model_id: str) -> None:
    spec = load_registry(PROJECT_ROOT / "models")[model_id]
    models = PROJECT_ROOT / "models"
    calibration = json.loads((models / "calibration" / f"calibration-{model_id}.json").read_text())
    prior = json.loads((models / "calibration" / f"prior-{model_id}.json").read_text())
    quality = models / "quality" / f"quality-model-{model_id}.json"
    summary = json.loads((models / "calibration" / f"fit-summary-{model_id}.json").read_text())
    assert quality.exists()
    assert prior["model_id"] == model_id and prior["dimension"] == spec.dimension
    assert calibration["notes"]["prior"] == prior["version"]
    # both fitted on the same development files
    assert prior["trained_on"] == calibration["trained_on"] == summary["dataset_hash"]
    for probe in prior["probes"].values():
        assert {len(row) for row in probe["coef"]} == {spec.dimension}


def test_artefact_versions_name_one_model_each() -> None:
    calibration = PROJECT_ROOT / "models" / "calibration"
    models = sorted(load_registry(PROJECT_ROOT / "models"))
    for kind in ("calibration", "prior"):
        versions = {json.loads((calibration / f"{kind}-{m}.json").read_text())["version"]
                    for m in models}
        assert len(versions) == len(models), kind


@pytest.fixture(scope="module")
def mpnet_var(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mpnet-var")


def test_mpnet_loads_from_its_packages_and_embeds(mpnet_var: Path) -> None:
    settings = make_settings(mpnet_var, embedding_model=MPNET)
    encoder = load_encoder(settings)
    spec = load_registry(settings.models_dir)[MPNET]
    assert spec.archive is not None
    weights = mpnet_var / "models" / MPNET / "model.safetensors"
    assert file_sha256(weights) == spec.archive.sha256
    vectors = encoder.embed(["I organised a food drive with ten volunteers.",
                             "We collected canned goods for the shelter as a team.",
                             "Mitochondria produce most of the cell's energy."])
    assert vectors.shape == (3, 768)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similar, unrelated = vectors[0] @ vectors[1], vectors[0] @ vectors[2]
    assert similar > unrelated + 0.3


def test_mpnet_serves_the_harness_with_its_own_calibration(mpnet_var: Path) -> None:
    settings = make_settings(mpnet_var, embedding_model=MPNET)
    out = mpnet_var / "runs" / "validation-first-four"
    evaluate_dataset(settings, VALIDATION, out, limit=4, progress=False)
    metrics = json.loads((out / "metrics.json").read_text())
    run = metrics["run"]
    assert run["model_id"] == MPNET
    shipped = json.loads((settings.models_dir / "calibration"
                          / f"calibration-{MPNET}.json").read_text())["version"]
    assert run["components"]["calibrate"].endswith(f"+{shipped}")
    assert run["in_sample"] is False  # validation is never fitted on
    lines = (out / "predictions.jsonl").read_text().splitlines()
    predictions = [json.loads(line) for line in lines]
    asserted = [c for p in predictions for c in p["candidates"] if c["asserted"]]
    assert asserted and all(0 < c["score"] < 1 for c in asserted)
    assert metrics["overall"]["strict"]["counts"]["tp"] > 0
    assert all(p["quality"] is not None for p in predictions)
