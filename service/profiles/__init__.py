"""Learner competency profiles: per skill, aggregated over the learner's experiences."""
