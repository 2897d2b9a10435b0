"""Extractions: submit an experience, get scored skill assertions, read them back."""
