"""`manifest.json`: what a knowledge base's vectors were built with, and which state of the
store the saved vector index matches."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from kenning.errors import IndexMismatchError, KenningError
from kenning.index.embeddings import Embedder

MANIFEST_FILE = "manifest.json"


class Manifest:
    """The manifest of one knowledge base folder.

    It records the embedding model, its quantisation and dimension, the chunking, and
    `vector_generation`: the store generation the saved vector index holds. A knowledge base
    built with one model refuses another (queries would be embedded differently).

    Args:
        folder: the knowledge base folder.

    Raises:
        KenningError: the manifest exists but cannot be read.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / MANIFEST_FILE
        self.fields = self.read()

    def __bool__(self) -> bool:
        """False until the knowledge base's vectors have been saved once."""
        return bool(self.fields)

    def read(self) -> dict[str, Any]:
        """The manifest as it is on disk now; empty when there is none.

        Raises:
            KenningError: the file is not valid JSON.
        """
        if not self.path.exists():
            return {}
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise KenningError(f"{self.path}: unreadable manifest ({exc})") from exc

    def saved_generation(self) -> int | None:
        """The store generation the saved index matches, as the file says right now (another
        process may have saved since this one read it)."""
        try:
            return self.read().get("vector_generation")
        except KenningError:
            return None

    def check_model(self, model: str) -> None:
        """Refuse an embedding model other than the one the knowledge base was built with.

        Raises:
            IndexMismatchError: the knowledge base was built with another model.
        """
        built_with = self.fields.get("embedding_model")
        if built_with and built_with != model:
            raise IndexMismatchError(
                f"{self.folder} was built with embedding model {built_with!r}, not {model!r}; "
                f"set KENNING_EMBEDDING_MODEL={built_with} or use another --kb folder"
            )

    def quantization(self, wanted: str, embedder: Embedder | None = None) -> str:
        """The embedding quantisation to use: the one the knowledge base was built with.

        int8 and float32 vectors are close but not equal, so a knowledge base keeps the
        quantisation it was built with; "auto" follows it, and a new knowledge base is float32.

        Args:
            wanted: the `embedding_quantization` setting ("auto", "none" or "int8").
            embedder: an embedder given explicitly, whose own quantisation wins.

        Raises:
            IndexMismatchError: the knowledge base was embedded with another quantisation.
        """
        built = None
        if self.fields.get("embedding_model"):
            built = self.fields.get("embedding_quantization", "none")
        if embedder is not None:
            chosen = getattr(embedder, "quantization", "none")
        elif wanted == "auto":
            chosen = built or "none"
        else:
            chosen = wanted
        if built is not None and chosen != built:
            raise IndexMismatchError(
                f"{self.folder} was embedded with quantization {built!r}, not {chosen!r}; "
                f"set KENNING_EMBEDDING_QUANTIZATION={built} (or auto) or use another --kb folder"
            )
        return chosen

    def write(self, fields: dict[str, Any]) -> None:
        """Replace the manifest atomically (a temporary file renamed over it)."""
        self.fields = fields
        tmp = self.path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(fields, indent=2), encoding="utf-8")
        os.replace(tmp, self.path)
