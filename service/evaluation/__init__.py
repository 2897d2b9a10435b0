"""The evaluation harness: labelled experiences and the ESCO sentence benchmark, scored.

It runs the same pipeline as the API; only the scoring and reporting live here.
"""
