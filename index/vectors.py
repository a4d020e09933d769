"""The vector index interface, and the factory that picks an implementation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    from kenning.config import Settings
    from kenning.index.faiss_index import AnnOptions


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
        """How many vectors are stored (removed ones not counted)."""
        ...

    @property
    def kind(self) -> str:
        """"flat" (exact search) or "ivf" (approximate)."""
        ...

    def save(self, path: Path) -> None:
        """Write the index to disk atomically."""
        ...


def create_vector_index(dimension: int, options: AnnOptions | None = None) -> VectorIndex:
    """A new, empty vector index of the given dimension; exact until `options.threshold`."""
    from kenning.index.faiss_index import FaissIndex

    return FaissIndex(dimension, options)


def load_vector_index(path: Path, dimension: int, options: AnnOptions | None = None) -> VectorIndex:
    """Load a vector index written by `save`."""
    from kenning.index.faiss_index import FaissIndex

    return FaissIndex.load(path, dimension, options)


def ann_options(settings: Settings) -> AnnOptions:
    """The index options named by the settings (`vector_index`, `ann_threshold`, `ivf_nprobe`)."""
    from kenning.index.faiss_index import AnnOptions

    return AnnOptions(
        mode=settings.vector_index, threshold=settings.ann_threshold, nprobe=settings.ivf_nprobe
    )
