"""The vector index interface, and the factory that picks an implementation."""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np


class VectorIndex(Protocol):
    """Vectors keyed by chunk rowid, searched by inner product."""

    dimension: int

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under the given ids."""
        ...

    def remove(self, ids: np.ndarray) -> None:
        """Remove the vectors with these ids."""
        ...

    def search(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The k nearest ids with their scores; `allowed` restricts the ids considered."""
        ...

    def __len__(self) -> int:
        """How many vectors are stored."""
        ...

    def save(self, path: Path) -> None:
        """Write the index to disk atomically."""
        ...


def create_vector_index(dimension: int) -> VectorIndex:
    """A new, empty vector index of the given dimension."""
    from kenning.index.faiss_index import FaissIndex

    return FaissIndex(dimension)


def load_vector_index(path: Path, dimension: int) -> VectorIndex:
    """Load a vector index written by `save`."""
    from kenning.index.faiss_index import FaissIndex

    return FaissIndex.load(path, dimension)
