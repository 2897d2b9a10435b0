"""Skill-extraction service: experiences in, evidence-backed skill assertions out."""

__version__ = "0.1.0"
