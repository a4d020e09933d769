"""Evaluation: datasets, metrics, benchmarks. Uses the public API only."""
