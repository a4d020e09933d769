"""A knowledge base's vector index, kept in step with its SQLite store across processes.

SQLite is the source of truth; the FAISS file beside it is a cache of the stored embeddings.
The saved index is used only when the manifest records the store's current generation (a
crash between a write and the save, or another process's write, leaves them apart) and it
holds one vector per chunk; otherwise it is rebuilt from the store.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from kenning.config import Settings
from kenning.index.database import SCHEMA_VERSION
from kenning.index.embeddings import Embedder
from kenning.index.manifest import Manifest
from kenning.index.shared_index import SharedIndex
from kenning.index.store import Store
from kenning.index.vectors import (
    VectorIndex,
    ann_options,
    create_vector_index,
    load_vector_index,
)

logger = logging.getLogger(__name__)

VECTORS_FILE = "vectors.faiss"
# A store changed by another process, with no matching saved index, is re-read after this
# long without further changes (the other process crashed or is between slow files).
REFRESH_QUIET_SECONDS = 30.0


class VectorCache:
    """The vector index of one knowledge base folder, its saved copy and its manifest.

    Writes go through `lock`: a writer changes the store, then calls `record_write`, so the
    in-memory index follows the store one generation at a time. `refresh` picks up what
    another process wrote; `save` writes the index and the manifest.

    Args:
        folder: the knowledge base folder.
        store: the knowledge base's store.
        manifest: its manifest (read already: it was checked against the settings).
        settings: the settings (the vector index options).
        chunking: the chunking signature recorded in the manifest.
        embedder: gives the embedding model, loaded only when it is needed.
    """

    def __init__(
        self,
        folder: Path,
        store: Store,
        manifest: Manifest,
        settings: Settings,
        chunking: str,
        embedder: Callable[[], Embedder],
    ) -> None:
        self.path = folder / VECTORS_FILE
        self.store = store
        self.manifest = manifest
        self.settings = settings
        self.chunking = chunking
        self._embedder = embedder
        self.lock = threading.RLock()  # this process's writes and index swaps
        self._shared: SharedIndex | None = None
        # The store generation the in-memory vectors reflect; None: unknown (rebuild on save).
        self._generation: int | None = None
        self._foreign_generation: int | None = None  # another process's latest, and since when
        self._foreign_since = 0.0

    @property
    def vectors(self) -> SharedIndex:
        """The vector index, loaded on first use; rebuilt from the store if it is stale.

        Writers load it before they change the store, so that each change is applied to it
        exactly once.
        """
        with self.lock:
            if self._shared is None:
                self._shared = SharedIndex(self._load())
            return self._shared

    def _load(self) -> VectorIndex:
        """The saved index when it matches the store, else one rebuilt from the store."""
        dimension = int(self.manifest.fields.get("dimension") or self._embedder().dimension)
        generation = self.store.generation
        if self.path.exists() and self.manifest.saved_generation() == generation:
            try:
                index = load_vector_index(self.path, dimension, ann_options(self.settings))
            except (RuntimeError, ValueError) as exc:
                logger.warning("rebuilding unreadable vector index %s: %s", self.path, exc)
            else:
                if len(index) == self.store.count_chunks():
                    self._generation = generation
                    return index
        generation, ids, vectors = self.store.embeddings_snapshot(dimension)
        index = create_vector_index(dimension, ann_options(self.settings))
        index.add(ids, vectors)
        if len(ids):
            logger.info("rebuilt vector index from %d stored embeddings", len(ids))
        self._generation = generation
        return index

    def record_write(
        self,
        removed: Sequence[int] = (),
        added: Sequence[int] = (),
        vectors: np.ndarray | None = None,
    ) -> None:
        """Apply a write this process just made to the store (holding `lock`) to the index.

        When the write's generation is not the next one after the index's, another process
        wrote in between, so the index misses its changes: it is rebuilt before it is saved.

        Args:
            removed: rowids of the chunks the write removed.
            added: rowids of the chunks it added, in the order of `vectors`.
            vectors: the added chunks' embeddings.
        """
        written = self.store.last_write_generation
        if self._generation is not None and written == self._generation + 1:
            self._generation = written
        else:
            self._generation = None
        if len(removed):
            self.vectors.remove(np.array(removed, dtype=np.int64))
        if len(added) and vectors is not None:
            self.vectors.add(np.array(added, dtype=np.int64), vectors)

    def save(self) -> None:
        """Save the index and then the manifest naming the generation it holds."""
        with self.lock:
            if self._generation != self.store.generation:
                self.vectors.index = self._load()  # another process wrote too
            self.vectors.save(self.path)
            embedder = self._embedder()
            self.manifest.write(
                {
                    "schema_version": SCHEMA_VERSION,
                    "embedding_model": embedder.name,
                    "embedding_quantization": getattr(embedder, "quantization", "none"),
                    "dimension": embedder.dimension,
                    "chunking": self.chunking,
                    "vector_generation": self._generation,
                    "vectors": len(self.vectors),
                }
            )

    def refresh(self) -> None:
        """Pick up writes made by another process (a CLI ingest while the server runs).

        Until that process saves its index, searches here use the index they had (the old
        vectors) and the store (lexical matches and passages: each document old or new, as
        each one is replaced atomically); hits on chunks gone from the store are dropped.
        Once it saves, the saved index is loaded; if its writes stop without a save (it
        crashed), the index is rebuilt from the store after `REFRESH_QUIET_SECONDS`.
        """
        if self._shared is None:
            return
        generation = self.store.generation
        if generation == self._generation:
            return
        with self.lock:
            generation = self.store.generation
            if generation == self._generation:
                return
            now = time.monotonic()
            if generation != self._foreign_generation:
                self._foreign_generation, self._foreign_since = generation, now
            quiet = now - self._foreign_since >= REFRESH_QUIET_SECONDS
            if self.manifest.saved_generation() == generation or quiet:
                self._shared.index = self._load()
