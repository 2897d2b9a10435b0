"""The CLI runs the same pipeline as the API and prints the same JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from service.settings import PROJECT_ROOT
from tests.conftest import INDEX_CACHE
from tests.experiences import FOOD_DRIVE


def _run(args: list[str], var_dir: Path,
         index_dir: Path = INDEX_CACHE) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"VAR_DIR": str(var_dir), "INDEX_CACHE_DIR": str(index_dir),
                        "DATABASE_URL": f"sqlite:///{var_dir / 'cli.db'}",
                        "HF_HUB_OFFLINE": "1"}
    return subprocess.run([sys.executable, "-m", "service", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def test_build_index_then_extract(tmp_path: Path) -> None:
    built = _run(["build-index"], tmp_path)
    assert built.returncode == 0, built.stderr
    assert "ngss-sep: " in built.stdout
    again = _run(["build-index"], tmp_path)
    assert "ngss-sep: cache" in again.stdout

    request = tmp_path / "experience.json"
    request.write_text(json.dumps(FOOD_DRIVE))
    result = _run(["extract", str(request)], tmp_path)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert set(body) == {"id", "created_at", "learner_ref", "external_id", "model_id",
                         "pipeline_version", "components", "taxonomies", "assertions",
                         "quality_indicators"}
    assert body["assertions"][0]["evidence_spans"]
    assert FOOD_DRIVE["narrative"][:30] not in result.stderr


def test_extract_reports_invalid_input(tmp_path: Path) -> None:
    request = tmp_path / "bad.json"
    request.write_text(json.dumps({"category": "hobby", "narrative": "x"}))
    result = _run(["extract", str(request)], tmp_path)
    assert result.returncode == 2
    assert "category" in result.stderr


def test_import_a_case_package(tmp_path: Path) -> None:
    sample = PROJECT_ROOT.parent / "shared/standards/samples/opensalt_sample_case_package_v1p0.json"
    first = _run(["taxonomies", "import", str(sample), "--id", "sample", "--skill-type", "core"],
                 tmp_path)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip() == "sample@1: imported"
    again = _run(["taxonomies", "import", str(sample), "--id", "sample"], tmp_path)
    assert again.stdout.strip() == "sample@1: unchanged"
    assert (tmp_path / "taxonomies" / "sample" / "1" / "package.json").exists()

    broken = tmp_path / "broken.json"
    package = json.loads(sample.read_text())
    package["CFItems"][0]["fullStatement"] = ""
    broken.write_text(json.dumps(package))
    refused = _run(["taxonomies", "import", str(broken), "--id", "broken"], tmp_path)
    assert refused.returncode == 2
    assert "empty fullStatement" in refused.stderr
