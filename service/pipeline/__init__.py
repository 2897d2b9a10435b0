"""The extraction pipeline: pure domain code, shared by the API, the CLI and the eval harness.

segment -> embed -> retrieve -> aggregate -> select -> explain. Each stage is a small, named,
versioned component; an extraction records the versions that produced it.
"""
