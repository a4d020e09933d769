"""`SharedIndex`: a vector index behind a lock, shared by the threads of one process."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np

from kenning.index.vectors import VectorIndex


class SharedIndex:
    """The vector index behind a lock, safe to use from many threads.

    FAISS indexes must not be searched while they change; the server searches from a thread
    pool while an upload ingests. The inner index can be swapped (`index`) when it is
    reloaded, while the retriever keeps its reference to this wrapper.

    Args:
        index: the index to share.
    """

    def __init__(self, index: VectorIndex) -> None:
        self.index = index
        self._lock = threading.Lock()

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under the given ids."""
        with self._lock:
            self.index.add(ids, vectors)

    def remove(self, ids: np.ndarray) -> None:
        """Remove the vectors with these ids."""
        with self._lock:
            self.index.remove(ids)

    def search(self, *args: Any, **kwargs: Any) -> Any:
        """Search the inner index (see `VectorIndex.search`)."""
        with self._lock:
            return self.index.search(*args, **kwargs)

    def save(self, path: Path) -> None:
        """Write the inner index to disk atomically."""
        with self._lock:
            self.index.save(path)

    def __len__(self) -> int:
        return len(self.index)

    def __getattr__(self, name: str) -> Any:  # kind, dimension, ... of the inner index
        return getattr(self.index, name)
