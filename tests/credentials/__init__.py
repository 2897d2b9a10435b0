"""Tests for service.credentials."""
