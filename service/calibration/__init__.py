"""Fitting the pipeline's learned artefacts (calibrators, quality model) on labelled data."""
