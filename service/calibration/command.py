"""``python -m service eval calibrate``: fit and install the artefacts from a labelled split."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from service.calibration.fit import fit_all
from service.evaluation.dataset import DatasetError, file_hash, load_dataset
from service.pipeline.quality import Rubric
from service.runtime import load_catalog, load_encoder, load_indexes
from service.settings import Settings
from service.taxonomy.catalog import TaxonomyCatalog


def calibrate(datasets: Sequence[Path], settings: Settings, progress: bool = False
              ) -> dict[str, Any]:
    """Fit on the records of ``datasets`` together, write the three artefacts into MODELS_DIR,
    return the fit summary."""
    records = [r for dataset in datasets for r in load_dataset(dataset)]
    repeated = sorted(i for i, n in Counter(r.id for r in records).items() if n > 1)
    if repeated:
        raise DatasetError(f"experience ids appear more than once across the datasets: "
                           f"{', '.join(repeated[:5])}")
    frameworks = sorted({f for r in records for f in r.gold.labelled_frameworks})
    catalog = load_catalog(settings)
    encoder = load_encoder(settings)
    indexes, _ = load_indexes(settings, encoder, TaxonomyCatalog(catalog.select(frameworks)))
    rubric = Rubric.load(settings.models_dir / "quality" / "rubric.yaml", encoder)
    fitted = fit_all(records, encoder, indexes, rubric,
                     "+".join(file_hash(d) for d in datasets), progress)
    quality_path = settings.models_dir / "quality" / f"quality-model-{encoder.model_id}.json"
    calibration_path = (settings.models_dir / "calibration"
                        / f"calibration-{encoder.model_id}.json")
    prior_path = settings.models_dir / "calibration" / f"prior-{encoder.model_id}.json"
    fitted.quality_model.save(quality_path)
    fitted.prior.save(prior_path)
    fitted.calibration.save(calibration_path)
    written = [p.name for p in (quality_path, prior_path, calibration_path)]
    summary = fitted.summary | {"datasets": [d.name for d in datasets], "written": written}
    (settings.models_dir / "calibration" / f"fit-summary-{encoder.model_id}.json").write_text(
        json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return summary
