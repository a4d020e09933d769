"""The reads one shard answers for search and answering over shards.

`ShardReads` wraps one shard's knowledge base and offers every read the sharded store, the
merged dense search and answering need, with plain-data arguments and results (numbers,
arrays, dataclasses, dicts). The same object serves in this process (`ShardedKnowledgeBase`)
and inside a Ray Serve replica (`serving.py`), so a served answer is computed exactly as a
local one.
"""

from __future__ import annotations

import hashlib
from contextvars import ContextVar
from typing import Any

import numpy as np

from kenning.distributed.bm25 import ShardTable, ShardTerms
from kenning.errors import KenningError
from kenning.index.analysers import FTS_TABLES
from kenning.kb import KnowledgeBase
from kenning.schema import Chunk, Filters, Person

READ_ONLY = ("SELECT ",)
# The store's reads behind the catalog routes (documents, people, stats) and its question log.
CATALOG_READS = frozenset({
    "list_documents", "stale_documents", "document", "people_with_counts", "person",
    "known_names", "evidence_of_person", "question_counts", "knowledge_gaps",
    "feedback_summary", "add_feedback",
})  # fmt: skip
# Set per request: None, every shard must answer; a list, the request allows partial results
# and the names of the shards that did not answer are added to it.
MISSING_SHARDS: ContextVar[list[str] | None] = ContextVar("kenning_missing_shards", default=None)


def shard_of(document_id: str, shards: int) -> int:
    """The shard a document belongs to: stable, and spread evenly by a hash of its id."""
    return int(hashlib.sha256(document_id.encode()).hexdigest()[:12], 16) % shards


class ShardUnavailableError(KenningError):
    """A shard did not answer (no live replica, or not in time)."""

    status = 503

    def __init__(self, shard: str, reason: str) -> None:
        super().__init__(
            f"shard {shard} is unavailable ({reason}); the answer would miss its documents. "
            "Retry, or ask with allow_partial=true for the other shards' results"
        )
        self.shard = shard


class ShardReads:
    """The reads of one shard.

    Args:
        kb: the shard's knowledge base (its store, vector index and settings).
    """

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.store = kb.store

    def generation(self) -> int:
        """The shard's write generation (its vector index is refreshed when it changed)."""
        self.kb.cache.refresh()
        return self.store.generation

    def people(self) -> list[Person]:
        """Everyone the shard stores (every shard holds the whole people table)."""
        return self.store.people()

    def chunk_count(self) -> int:
        """How many chunks the shard holds."""
        return self.store._chunk_count()

    def document_frequencies(self, terms: list[str]) -> dict[str, int]:
        """Per term, the chunks holding it (for the common-term pruning)."""
        with self.store._lock:
            return self.store._document_frequencies(terms)

    def filtered_rowids(
        self, filters: Filters, extra: str = "", params: list[Any] | None = None
    ) -> np.ndarray:
        """The rowids of every chunk the filters (and an extra condition) allow."""
        return self.store.filtered_rowids(filters, extra, params)

    def lexical_terms(
        self, analyser: str, terms: list[str], filters: Filters, extra: str = "",
        params: list[Any] | None = None,
    ) -> ShardTerms:  # fmt: skip
        """The FTS5 totals and postings of the query terms (`bm25.global_bm25` scores them);
        postings keep the rows the filters allow."""
        restricted = bool(extra) or not filters.is_empty()
        allowed = self.store.filtered_rowids(filters, extra, params) if restricted else None
        table = ShardTable(self.store.conn, self.store._lock, FTS_TABLES[analyser])
        return table.terms(terms, allowed)

    def dense_search(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The k nearest chunks of the shard (rowid, inner product)."""
        return self.kb.cache.vectors.search(vector, k, allowed)

    def hit_rows(self, rowids: list[int]) -> dict[int, dict[str, Any]]:
        """The chunk and document fields of the given chunks."""
        return self.store.hit_rows(rowids)

    def evidence_of(
        self, document_ids: list[str], filters: Filters | None = None
    ) -> list[dict[str, Any]]:
        """The people and roles on the given documents the shard holds."""
        return self.store.evidence_of(document_ids, filters)

    def chunks_of(self, document_id: str) -> list[Chunk]:
        """The chunks of a document, in order (none when another shard holds it)."""
        return self.store.chunks_of(document_id)

    def texts_of(self, document_id: str, most: int) -> list[str] | None:
        """The texts of a document's chunks, in order (none when another shard holds it; None
        when it has more than `most`)."""
        return self.store.texts_of(document_id, most)

    def rows(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        """The rows of one of the knowledge base's own read statements (`SELECT` only)."""
        if not sql.lstrip().upper().startswith(READ_ONLY):
            raise KenningError("a shard answers SELECT statements only")
        with self.store._lock:
            return [tuple(row) for row in self.store.conn.execute(sql, params).fetchall()]

    def catalog(self, method: str, *args: Any) -> Any:  # noqa: ANN401 - the read's result
        """One of the store's catalog or question-log reads (`CATALOG_READS`)."""
        if method not in CATALOG_READS:
            raise KenningError(f"not a catalog read: {method!r}")
        return getattr(self.store, method)(*args)

    def stats(self, filters: Filters | None = None) -> dict[str, Any]:
        """Documents by kind, chunks and people, as the filters allow."""
        return self.store.stats(filters)

    def log_question(
        self, question: str, abstained: bool, best_score: float | None, latency_ms: float,
        answerer: str, groups: tuple[str, ...] | None,
    ) -> None:  # fmt: skip
        """Record an asked question (for the knowledge-gap report)."""
        self.store.log_question(question, abstained, best_score, latency_ms, answerer, groups)

    def ping(self) -> bool:
        """True: the shard answers."""
        return True
