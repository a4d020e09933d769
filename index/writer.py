"""`DocumentWriter`: embeds prepared documents and writes them to a knowledge base.

Each document is stored atomically (its chunks, embeddings, evidence and people replace the
old version in one transaction) and applied to the vector index under the same lock, so the
index follows the store write by write. It is the `kenning.ingest.sink.DocumentSink` of one
knowledge base, or of one shard of a distributed one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import numpy as np

from kenning.index.embeddings import Embedder
from kenning.index.store import Store
from kenning.index.vector_cache import VectorCache
from kenning.schema import Chunk, Document, Person

logger = logging.getLogger(__name__)


class PreparedDocument(Protocol):
    """A parsed, chunked document with its people (`kenning.ingest.pipeline.Prepared`)."""

    document: Document
    chunks: list[Chunk]
    people: list[Person]


def embedding_text(document: Document, chunk: Chunk) -> str:
    """What gets embedded: the chunk with its document title and heading as context."""
    context = document.title if not chunk.heading else f"{document.title} — {chunk.heading}"
    return f"{context}\n{chunk.text}"


class DocumentWriter:
    """Writes documents to one knowledge base's store and vector index.

    Args:
        store: the store.
        cache: the vector index kept in step with it.
        embedder: gives the embedding model, loaded only when something is embedded.
        before_write: called with each batch before it is embedded (the knowledge base
            chooses its model from its first one).
    """

    def __init__(
        self, store: Store, cache: VectorCache, embedder: Callable[[], Embedder],
        before_write: Callable[[Sequence[PreparedDocument]], None] | None = None,
    ) -> None:  # fmt: skip
        self.store = store
        self.cache = cache
        self._embedder = embedder
        self._before_write = before_write

    def begin(self) -> None:
        """Load (or rebuild) the vector index before the store changes, so that the changes
        are applied to it exactly once."""
        _ = self.cache.vectors

    def content_hash(self, source: str) -> tuple[str, str] | None:
        """(document id, content hash) of the stored document with this source, or None."""
        return self.store.content_hash(source)

    def people(self) -> list[Person]:
        """Everyone stored."""
        return self.store.people()

    def save_people(self, people: list[Person], listed: Sequence[Person]) -> None:
        """Insert or update people; `listed` are a people directory file's entries."""
        with self.cache.lock:
            self.store.save_people(people, listed=listed)
            self.cache.record_write()

    def write(self, batch: Sequence[PreparedDocument]) -> list[str | None]:
        """Embed the documents' chunks together, then store each document atomically.

        Identical chunk texts are embedded once. A document that cannot be stored (a full
        disk, say) is logged and reported; the others are stored still.

        Returns:
            For each document, None when it was stored, else a one-line reason.
        """
        if not batch:
            return []
        if self._before_write is not None:
            self._before_write(batch)
        embedder = self._embedder()
        texts = [embedding_text(p.document, c) for p in batch for c in p.chunks]
        unique = list(dict.fromkeys(texts))
        vectors_unique = embedder.embed_documents(unique)
        position = {text: i for i, text in enumerate(unique)}
        vectors = (
            vectors_unique[[position[t] for t in texts]]
            if texts
            else np.zeros((0, embedder.dimension), dtype=np.float32)
        )
        failures: list[str | None] = []
        offset = 0
        for prepared in batch:
            n = len(prepared.chunks)
            failures.append(self._store(prepared, vectors[offset : offset + n]))
            offset += n
        return failures

    def _store(self, prepared: PreparedDocument, vectors: np.ndarray) -> str | None:
        with self.cache.lock:
            try:
                removed, added = self.store.replace_document(
                    prepared.document, prepared.chunks, vectors, prepared.people
                )
            except Exception as exc:  # e.g. disk full: this file fails, the batch goes on
                logger.exception("could not store %s", prepared.document.source)
                return f"could not store: {type(exc).__name__}: {exc}"
            self.cache.record_write(removed, added, vectors)
        return None

    def sources(self) -> dict[str, str]:
        """Every stored document's source, by document id."""
        return self.store.sources()

    def delete(self, document_ids: Sequence[str]) -> None:
        """Remove documents with their chunks; saves the vector index when there were any."""
        self.begin()
        for document_id in document_ids:
            with self.cache.lock:
                rowids = self.store.delete_document(document_id)
                self.cache.record_write(removed=rowids)
        if document_ids:
            self.cache.save()

    def finish(self, changed: bool) -> None:
        """Save the vector index when documents changed, or when it was never saved."""
        if changed or not self.cache.manifest:
            self.cache.save()

    def stats(self) -> dict[str, Any]:
        """Counts of documents by kind, chunks and people."""
        return self.store.stats()
