"""Review: reviewers' decisions on assertions, kept as an append-only log, and the console."""
