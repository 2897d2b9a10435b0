"""``python -m service eval calibrate``: fit and install the artefacts from a labelled split."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from service.calibration.fit import fit_all
from service.evaluation.dataset import file_hash, load_dataset
from service.pipeline.quality import Rubric
from service.runtime import load_catalog, load_encoder, load_indexes
from service.settings import Settings
from service.taxonomy.catalog import TaxonomyCatalog


def calibrate(dataset: Path, settings: Settings) -> dict[str, Any]:
    """Fit on ``dataset``, write the three artefacts into MODELS_DIR, return the fit summary."""
    records = load_dataset(dataset)
    frameworks = sorted({f for r in records for f in r.gold.labelled_frameworks})
    catalog = load_catalog(settings)
    encoder = load_encoder(settings)
    indexes, _ = load_indexes(settings, encoder, TaxonomyCatalog(catalog.select(frameworks)))
    rubric = Rubric.load(settings.models_dir / "quality" / "rubric.yaml", encoder)
    fitted = fit_all(records, encoder, indexes, rubric, file_hash(dataset))
    quality_path = settings.models_dir / "quality" / f"quality-model-{encoder.model_id}.json"
    calibration_path = (settings.models_dir / "calibration"
                        / f"calibration-{encoder.model_id}.json")
    prior_path = settings.models_dir / "calibration" / f"prior-{encoder.model_id}.json"
    fitted.quality_model.save(quality_path)
    fitted.prior.save(prior_path)
    fitted.calibration.save(calibration_path)
    written = [p.name for p in (quality_path, prior_path, calibration_path)]
    summary = fitted.summary | {"dataset": dataset.name, "written": written}
    (settings.models_dir / "calibration" / "fit-summary.json").write_text(
        json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return summary
