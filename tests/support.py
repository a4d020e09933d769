"""Paths and helpers shared by the tests."""

from __future__ import annotations

from pathlib import Path

from kenning.config import Settings, load_settings

DATA = Path(__file__).parent / "data"
GOOD = DATA / "good"
BAD = DATA / "bad"
DEMO = Path(__file__).parent.parent / "demo"


def hash_settings(home: Path, **overrides: object) -> Settings:
    """Settings for a fast knowledge base: the hashing embedder, no git history."""
    return load_settings(home=home, embedding_model="hash", git_history=False, **overrides)
