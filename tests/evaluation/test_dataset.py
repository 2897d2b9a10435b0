"""The experiences-v1 dataset is valid against the bundled taxonomies, and loads as the API's
input shape."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from service.evaluation.dataset import DatasetError, check_gold_codes, load_dataset
from service.settings import PROJECT_ROOT
from service.taxonomy.catalog import TaxonomyCatalog

DATASET = PROJECT_ROOT / "eval" / "datasets" / "experiences-v1"
CHECK = DATASET / "check.py"


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(CHECK), *args], cwd=PROJECT_ROOT,
                          capture_output=True, text=True, timeout=120, check=False)


def test_checker_accepts_the_dataset() -> None:
    result = _check()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok: 600 records")


def test_checker_rejects_codes_missing_from_the_taxonomies(tmp_path: Path) -> None:
    sources = tmp_path / "sources"
    shutil.copytree(PROJECT_ROOT / "taxonomies" / "sources", sources)
    yaml = sources / "ngss-sep.yaml"
    yaml.write_text(yaml.read_text(encoding="utf-8").replace('code: "SEP3"', 'code: "SEPX"')
                    .replace("code: SEP3", "code: SEPX"), encoding="utf-8")
    result = _check("--taxonomies", str(sources))
    assert result.returncode == 1
    assert "'SEP3' is not a top-level item of ngss-sep" in result.stdout


@pytest.mark.parametrize(("name", "split"),
                         [("dev", "dev"), ("dev-2", "dev"), ("dev-3", "dev"),
                          ("validation", "validation"), ("test", "test")])
def test_split_loads_and_gold_codes_are_top_level_items(name: str, split: str) -> None:
    records = load_dataset(DATASET / f"{name}.jsonl")
    assert len(records) == 120
    assert {r.split for r in records} == {split}
    catalog = TaxonomyCatalog.from_directory(PROJECT_ROOT / "taxonomies")
    taxonomies = {t.id: t for t in catalog.select(records[0].gold.labelled_frameworks)}
    assert check_gold_codes(records, taxonomies) == []


def test_loader_names_the_line_at_fault(tmp_path: Path) -> None:
    lines = (DATASET / "dev.jsonl").read_text(encoding="utf-8").splitlines()[:2]
    broken = tmp_path / "broken.jsonl"
    broken.write_text(lines[0] + "\n" + lines[1].replace('"category": "', '"category": "x') + "\n")
    with pytest.raises(DatasetError, match=r"broken\.jsonl:2: experience\.category"):
        load_dataset(broken)
    assert len(load_dataset(broken, limit=1)) == 1
