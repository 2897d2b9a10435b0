"""``python -m service eval calibrate``: fit and install the artefacts from a labelled split."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from service.calibration.fit import TextProbeRequest, fit_all, text_probe_file
from service.calibration.text_probe_settings import TextProbeSettings
from service.evaluation.dataset import DatasetError, file_hash, load_dataset
from service.inference.text_probe import UnsupportedEncoder
from service.pipeline.quality import Rubric
from service.runtime import load_catalog, load_encoder, load_indexes
from service.settings import Settings
from service.taxonomy.catalog import TaxonomyCatalog


def calibrate(datasets: Sequence[Path], settings: Settings, progress: bool = False,
              text_probe: bool | None = None,
              text_probe_settings: TextProbeSettings | None = None) -> dict[str, Any]:
    """Fit on the records of ``datasets`` together, write the artefacts into MODELS_DIR, return
    the fit summary.

    ``text_probe``: fine-tune the prior's text probe too (True), or not (False); None fits it
    where the encoder supports it (BERT-family, as all-MiniLM-L6-v2).
    """
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
    request = None
    if text_probe is not False:
        try:
            request = TextProbeRequest(encoder.backbone(),
                                       text_probe_settings or TextProbeSettings())
        except UnsupportedEncoder:
            if text_probe:
                raise
    fitted = fit_all(records, encoder, indexes, rubric,
                     "+".join(file_hash(d) for d in datasets), progress, request)
    quality_path = settings.models_dir / "quality" / f"quality-model-{encoder.model_id}.json"
    calibration_path = (settings.models_dir / "calibration"
                        / f"calibration-{encoder.model_id}.json")
    prior_path = settings.models_dir / "calibration" / f"prior-{encoder.model_id}.json"
    text_probe_path = settings.models_dir / "calibration" / text_probe_file(encoder.model_id)
    fitted.quality_model.save(quality_path)
    if fitted.text_probe is not None:
        fitted.text_probe.save(text_probe_path)
    else:  # a prior fitted without one must not sit beside another fit's probe
        text_probe_path.unlink(missing_ok=True)
    fitted.prior.save(prior_path)
    fitted.calibration.save(calibration_path)
    written = [p.name for p in (quality_path, prior_path, calibration_path)]
    if fitted.text_probe is not None:
        written.insert(2, text_probe_path.name)
    summary = fitted.summary | {"datasets": [d.name for d in datasets], "written": written}
    (settings.models_dir / "calibration" / f"fit-summary-{encoder.model_id}.json").write_text(
        json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return summary
