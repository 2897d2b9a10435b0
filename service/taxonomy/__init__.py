"""Skill frameworks: CASE packages on disk, their vector indexes and the taxonomy API."""
