"""Framework packages on disk: bundled ones in the repository, imported ones under VAR_DIR.

An imported version lives in ``<root>/<id>/<version>/`` as ``package.json`` + ``manifest.json``.
A version directory is written whole (into a temporary directory, then renamed) and never
overwritten, so a stored extraction can always be traced to the package that produced it.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from service.errors import InvalidTaxonomyPackage

PACKAGE_NAMES = ("package.json", "package.json.gz")  # large bundled packages ship gzipped
_SAFE = re.compile(r"[^A-Za-z0-9._+-]")


@dataclass(frozen=True, slots=True)
class StoredPackage:
    """One framework version on disk."""

    manifest: dict[str, Any]
    package_path: Path

    def read(self) -> dict[str, Any]:
        """The CASE package as stored."""
        return read_json(self.package_path)

    def alternative_labels(self) -> dict[str, list[str]]:
        """Item identifier -> every alternative name, from the sidecar the manifest names."""
        sidecar = self.manifest.get("alternative_labels")
        if not sidecar:
            return {}
        names = read_json(self.package_path.with_name(str(sidecar)))
        return {str(k): [str(n) for n in v] for k, v in names.items() if isinstance(v, list)}

    def read_bytes(self) -> bytes:
        """The package's JSON text as stored (uncompressed)."""
        return _read_bytes(self.package_path)


def _read_bytes(path: Path) -> bytes:
    return gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from ``path`` (gzipped when the name ends in ``.gz``)."""
    try:
        data = json.loads(_read_bytes(path))
    except (OSError, ValueError) as exc:
        raise InvalidTaxonomyPackage(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise InvalidTaxonomyPackage(f"{path}: not a JSON object")
    return data


def bundled_packages(directory: Path) -> list[StoredPackage]:
    """Every ``<id>/manifest.json`` with its package under the bundled taxonomies directory."""
    found = []
    for manifest_path in sorted(directory.glob("*/manifest.json")):
        package_path = next((manifest_path.with_name(n) for n in PACKAGE_NAMES
                             if manifest_path.with_name(n).exists()), None)
        if package_path is None:
            raise InvalidTaxonomyPackage(f"{manifest_path.parent.name}: no package.json")
        found.append(StoredPackage(read_json(manifest_path), package_path))
    return found


class ImportedPackages:
    """Imported framework versions under one root directory, oldest first per framework."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def all(self) -> list[StoredPackage]:
        """Every stored version, ordered by framework id and then by import sequence."""
        stored = [StoredPackage(read_json(m), m.with_name("package.json"))
                  for m in self.root.glob("*/*/manifest.json")
                  if not m.parent.name.startswith(".")]  # a staging leftover from a crash
        return sorted(stored, key=lambda s: (str(s.manifest["id"]),
                                             int(s.manifest.get("sequence", 0))))

    def save(self, manifest: Mapping[str, Any], package: Mapping[str, Any]) -> StoredPackage:
        """Write a new version atomically; an existing version directory is an error."""
        target = self.root / str(manifest["id"]) / version_directory(str(manifest["version"]))
        if target.exists():
            raise FileExistsError(f"{target} exists; versions are never overwritten")
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=".staging-"))
        try:
            for name, content in (("package.json", package), ("manifest.json", manifest)):
                with (staging / name).open("w", encoding="utf-8") as handle:
                    json.dump(content, handle, ensure_ascii=False, indent=1)
                    handle.flush()
                    os.fsync(handle.fileno())
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        return StoredPackage(dict(manifest), target / "package.json")


def version_directory(version: str) -> str:
    """A version string made safe as one path segment."""
    return _SAFE.sub("_", version).lstrip(".") or "_"
