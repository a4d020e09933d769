"""Search over the shards of a knowledge base, ranked as the whole knowledge base ranks.

The ordinary `Retriever` runs unchanged over two facades: `ShardedStore` answers its store
reads from every shard and `ShardedVectors` its dense searches. Chunks are named by a global
key (rowid x shards + shard). Dense scores are inner products, comparable across shards, so
the merged top-n is the whole knowledge base's while each shard's index is exact (under
`ann_threshold` chunks); only passages with exactly equal dense scores (identical texts) may
come in another order, which FAISS picks by its heap's internal order. BM25 scores every
matching chunk with the statistics of all shards (`bm25.py`). Filters, the caller's groups
and the person-scoped rankings are applied in each shard as in one knowledge base.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from kenning.config import Settings, load_settings
from kenning.distributed.bm25 import ShardTable, global_bm25
from kenning.errors import InvalidRequest, KenningError
from kenning.index.analysers import FTS_TABLES, french_query_terms
from kenning.index.embeddings import Embedder
from kenning.index.lexical import KEEP_RAREST, PRUNE_FROM_CHUNKS, query_terms
from kenning.index.retriever import Retrieval, Retriever
from kenning.index.store import Store
from kenning.index.vector_cache import VectorCache
from kenning.ingest.language import query_analysers
from kenning.kb import KnowledgeBase, search_filters
from kenning.schema import Filters, Hit, Person

SHARD_FOLDER = re.compile(r"shard-(\d+)$")
SHARD_META = "shard"  # "i/n" in a shard's meta table


class ShardedStore:
    """The store reads of `Retriever`, over every shard; rowids are global keys."""

    def __init__(self, stores: Sequence[Store]) -> None:
        self.stores = list(stores)
        self.count = len(self.stores)
        self.common_term_share = self.stores[0].common_term_share

    def key(self, shard: int, rowids: np.ndarray) -> np.ndarray:
        """Global keys of a shard's rowids."""
        return np.asarray(rowids, dtype=np.int64) * self.count + shard

    def local(self, keys: np.ndarray, shard: int) -> np.ndarray:
        """The rowids of a shard among global keys."""
        keys = np.asarray(keys, dtype=np.int64)
        return keys[keys % self.count == shard] // self.count

    @property
    def generation(self) -> int:
        """Changes whenever a shard's generation does."""
        return hash(tuple(store.generation for store in self.stores))

    def people(self) -> list[Person]:
        """Everyone in any shard (each shard holds the whole people table)."""
        people: dict[str, Person] = {}
        for store in self.stores:
            for person in store.people():
                people.setdefault(person.id, person)
        return list(people.values())

    def filtered_rowids(
        self, filters: Filters, extra: str = "", params: list[Any] | None = None
    ) -> np.ndarray:
        """Global keys of every chunk the filters (and an extra condition) allow."""
        parts = [
            self.key(i, store.filtered_rowids(filters, extra, params))
            for i, store in enumerate(self.stores)
        ]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def lexical_search(
        self,
        query: str,
        limit: int,
        filters: Filters,
        extra: str = "",
        extra_params: list[Any] | None = None,
        analyser: str = "en",
    ) -> list[tuple[int, float]]:
        """BM25 with the statistics of all shards: (global key, score), best first; the
        ranking `Store.lexical_search` gives over the whole knowledge base."""
        if analyser not in FTS_TABLES:
            raise ValueError(f"unknown analyser {analyser!r}; valid: {', '.join(FTS_TABLES)}")
        if analyser == "en":
            terms = query_terms(query)
            terms = self._without_common_terms(terms) if terms else terms
        else:
            terms = french_query_terms(query)
        if not terms:
            return []
        restricted = bool(extra) or not filters.is_empty()
        allowed = [
            store.filtered_rowids(filters, extra, extra_params) if restricted else None
            for store in self.stores
        ]
        tables = [ShardTable(s.conn, s._lock, FTS_TABLES[analyser]) for s in self.stores]
        scored = global_bm25(tables, terms, allowed)
        merged = [
            (int(rowid) * self.count + shard, score)
            for shard, rows in enumerate(scored)
            for rowid, score in rows
        ]
        # Equal scores: the earlier chunk first, as SQLite's ORDER BY leaves FTS5's rows.
        return heapq.nsmallest(limit, merged, key=lambda pair: (-pair[1], pair[0]))

    def _without_common_terms(self, terms: list[str]) -> list[str]:
        """`LexicalSearch._without_common_terms` with the counts of all shards."""
        total = sum(store._chunk_count() for store in self.stores)
        if total < PRUNE_FROM_CHUNKS or len(terms) <= KEEP_RAREST or self.common_term_share >= 1:
            return terms
        df = [0] * len(terms)
        for store in self.stores:
            with store._lock:
                counts = store._document_frequencies(terms)
            df = [d + counts.get(t, 0) for d, t in zip(df, terms, strict=True)]
        rarest = set(sorted(range(len(terms)), key=lambda i: df[i])[:KEEP_RAREST])
        limit = self.common_term_share * total
        return [t for i, t in enumerate(terms) if i in rarest or df[i] <= limit]

    def hit_rows(self, keys: list[int]) -> dict[int, dict[str, Any]]:
        """The chunk and document fields of the given chunks, by global key."""
        rows: dict[int, dict[str, Any]] = {}
        array = np.asarray(keys, dtype=np.int64)
        for shard, store in enumerate(self.stores):
            local = self.local(array, shard)
            if len(local):
                for rowid, row in store.hit_rows([int(r) for r in local]).items():
                    rows[rowid * self.count + shard] = row
        return rows


class ShardedVectors:
    """Dense search over every shard's vector index; ids are global keys."""

    def __init__(self, caches: Sequence[VectorCache], store: ShardedStore) -> None:
        self.caches = list(caches)
        self.store = store

    def search(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The k nearest chunks of all shards with their scores."""
        merged: list[tuple[int, float]] = []
        for shard, cache in enumerate(self.caches):
            local = None if allowed is None else self.store.local(allowed, shard)
            if local is not None and not len(local):
                continue
            for rowid, score in cache.vectors.search(vector, k, local):
                merged.append((int(rowid) * self.store.count + shard, score))
        # Equal scores, as FAISS treats them in a flat index: the earliest chunks are kept,
        # and listed latest first.
        kept = heapq.nsmallest(k, merged, key=lambda pair: (-pair[1], pair[0]))
        return sorted(kept, key=lambda pair: (-pair[1], -pair[0]))


class ShardedKnowledgeBase:
    """The shards of a knowledge base (made by `kenning shard`), searched as one.

    Args:
        folders: the shards' folders, every shard of the split once.
        settings: the settings (the embedding model must be the shards').
        embedder: an embedder to use instead of the one the settings name.

    Raises:
        KenningError: a shard is missing, repeated or of another split.
        IndexMismatchError: a shard was built with another embedding model.
    """

    def __init__(
        self,
        folders: Sequence[Path],
        settings: Settings | None = None,
        embedder: Embedder | None = None,
    ) -> None:
        settings = settings or load_settings()
        self.shards = [KnowledgeBase(folder, settings, embedder) for folder in folders]
        _check_split(self.shards)
        first = self.shards[0]
        self.settings = first.settings
        self.store = ShardedStore([kb.store for kb in self.shards])
        self.vectors = ShardedVectors([kb.cache for kb in self.shards], self.store)
        self.retriever = Retriever(
            self.store, self.vectors, first.embedder, self.settings,  # type: ignore[arg-type]
            query_languages=query_analysers,
        )  # fmt: skip

    @classmethod
    def open(
        cls, folder: Path, settings: Settings | None = None, embedder: Embedder | None = None
    ) -> ShardedKnowledgeBase:
        """The shards in `folder` (its `shard-NN` subfolders)."""
        folders = sorted(
            (p for p in Path(folder).iterdir() if SHARD_FOLDER.search(p.name) and p.is_dir()),
            key=lambda p: int(SHARD_FOLDER.search(p.name).group(1)),  # type: ignore[union-attr]
        )
        if not folders:
            raise KenningError(f"no shards (shard-NN folders) in {folder}")
        return cls(folders, settings, embedder)

    def __enter__(self) -> ShardedKnowledgeBase:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every shard."""
        for kb in self.shards:
            kb.close()

    def retrieve(
        self, query: str, k: int = 5, filters: Filters | dict[str, Any] | None = None
    ) -> Retrieval:
        """Hits with the scores and people behind them, as `KnowledgeBase.retrieve`."""
        if not query or not query.strip():
            raise InvalidRequest("query is empty")
        for kb in self.shards:
            kb.cache.refresh()
        return self.retriever.retrieve(query, k, search_filters(filters))

    def search(
        self, query: str, k: int = 5, filters: Filters | dict[str, Any] | None = None
    ) -> list[Hit]:
        """The k best passages for a query over all shards (see `KnowledgeBase.search`)."""
        return self.retrieve(query, k, filters).hits

    def stats(self) -> dict[str, Any]:
        """Documents, chunks and people over all shards."""
        per_shard = [kb.stats() for kb in self.shards]
        return {
            "shards": len(per_shard),
            "documents": sum(s["documents"] for s in per_shard),
            "chunks": sum(s["chunks"] for s in per_shard),
            "people": max((s["people"] for s in per_shard), default=0),
        }


def _check_split(shards: list[KnowledgeBase]) -> None:
    marks = [kb.store.get_meta(SHARD_META) for kb in shards]
    if None in marks:
        missing = [str(kb.path) for kb, m in zip(shards, marks, strict=True) if m is None]
        raise KenningError(f"not a shard (made by `kenning shard`): {', '.join(missing)}")
    counts = {m.split("/")[1] for m in marks if m}
    indices = sorted(int(m.split("/")[0]) for m in marks if m)
    if counts != {str(len(shards))} or indices != list(range(len(shards))):
        raise KenningError(
            f"the shards do not make one split: found {', '.join(sorted(map(str, marks)))}"
        )
