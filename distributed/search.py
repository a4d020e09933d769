"""Search and answers over the shards of a knowledge base, as the whole knowledge base gives them.

The ordinary `Retriever` and `QAService` run unchanged over two facades: `ShardedStore`
answers their store reads from every shard and `ShardedVectors` their dense searches. Each
shard is reached through its `ShardReads`, in this process or in a Ray Serve replica
(`serving.py`); the calls of one read go to every shard before any answer is awaited.
Chunks are named by a global key (rowid x shards + shard). Dense scores are inner products,
comparable across shards, so the merged top-n is the whole knowledge base's while each
shard's index is exact (under `ann_threshold` chunks); only passages with exactly equal
dense scores (identical texts) may come in another order, which FAISS picks by its heap's
internal order. BM25 scores every matching chunk with the statistics of all shards
(`bm25.py`). Filters, the caller's groups and the person-scoped rankings are applied in each
shard as in one knowledge base.
"""

from __future__ import annotations

import heapq
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from kenning.config import Settings, load_settings
from kenning.distributed.bm25 import global_bm25
from kenning.distributed.shard_reads import (
    MISSING_SHARDS,
    ShardReads,
    ShardUnavailableError,
    shard_of,
)
from kenning.errors import InvalidRequest, KenningError
from kenning.index.analysers import FTS_TABLES, french_query_terms
from kenning.index.embeddings import Embedder
from kenning.index.lexical import KEEP_RAREST, PRUNE_FROM_CHUNKS, query_terms
from kenning.index.retriever import Retrieval, Retriever
from kenning.ingest.language import query_analysers
from kenning.kb import KnowledgeBase, search_filters
from kenning.qa.service import QAService, ServiceParts
from kenning.schema import AskResponse, Chunk, Expert, Filters, Hit, IngestReport, Person

SHARD_FOLDER = re.compile(r"shard-(\d+)$")
SHARD_META = "shard"  # "i/n" in a shard's meta table
LIMITED = re.compile(r"\bLIMIT \?\s*$")
# Shards are read-only while served: their generations change only with the snapshot read,
# which is part of the store's generation. Each shard's is still read again after this long
# (a split rewritten in place), and on every request that allows partial results.
GENERATION_TTL_S = 1.0
logger = logging.getLogger(__name__)


class ShardedStore:
    """The store reads of `Retriever` and `QAService`, over every shard; rowids are global
    keys.

    Args:
        shards: each shard's reads (`ShardReads`, or a proxy with the same methods and a
            `submit(method, *args)` that starts a call and returns a function awaiting it).
        names: the shards' names, for errors (default: shard-00, shard-01, ...).
        common_term_share: the common-term pruning's share (the `bm25_common_share` setting).
        snapshot: the snapshot the shards' calls read now, when served from published
            snapshots (part of the generation, so caches built from another are rebuilt).
    """

    def __init__(
        self, shards: Sequence[Any], names: Sequence[str] | None = None,
        common_term_share: float = 1.0, snapshot: Callable[[], str | None] = lambda: None,
    ) -> None:  # fmt: skip
        self.shards = list(shards)
        self.snapshot = snapshot
        self.count = len(self.shards)
        self.names = list(names) if names else [f"shard-{i:02d}" for i in range(self.count)]
        self.common_term_share = common_term_share
        self._lock = threading.RLock()  # `index.vocabulary` holds it around `conn` reads
        self.conn = _RowidOrderedReads(self)
        self._generation: tuple[str | None, float, int] | None = None  # snapshot, when, value
        self._chunks: tuple[int, int] | None = None  # generation, chunks
        self._logger: ThreadPoolExecutor | None = None  # remote question logs, not awaited

    def each(
        self, method: str, *args: Any, per_shard: Callable[[int], tuple[Any, ...]] | None = None,
        only: int | None = None,
    ) -> list[tuple[int, Any]]:  # fmt: skip
        """Call `method` of every shard (or of shard `only`), with `per_shard(i)` as
        arguments when given, all started before any is awaited; returns (shard, result) of
        the shards that answered.

        Raises:
            ShardUnavailableError: a shard did not answer, and the request does not allow
                partial results (`MISSING_SHARDS`).
        """
        pending: list[tuple[int, Callable[[], Any]]] = []
        skipped = MISSING_SHARDS.get() or ()  # found missing earlier in this request
        for i, shard in enumerate(self.shards):
            if (only is not None and i != only) or self.names[i] in skipped:
                continue
            call_args = per_shard(i) if per_shard is not None else args
            submit = getattr(shard, "submit", None)
            fetch = submit(method, *call_args) if submit else partial(getattr(shard, method),
                                                                      *call_args)  # fmt: skip
            pending.append((i, fetch))
        answered: list[tuple[int, Any]] = []
        for i, fetch in pending:
            try:
                answered.append((i, fetch()))
            except ShardUnavailableError as exc:
                missing = MISSING_SHARDS.get()
                if missing is None:
                    raise
                if exc.shard not in missing:
                    missing.append(exc.shard)
        return answered

    def key(self, shard: int, rowids: np.ndarray) -> np.ndarray:
        """Global keys of a shard's rowids."""
        return np.asarray(rowids, dtype=np.int64) * self.count + shard

    def local(self, keys: np.ndarray, shard: int) -> np.ndarray:
        """The rowids of a shard among global keys."""
        keys = np.asarray(keys, dtype=np.int64)
        return keys[keys % self.count == shard] // self.count

    @property
    def generation(self) -> int:
        """Changes whenever a shard's generation or the snapshot read does (or a shard stops
        answering). One round of shard calls per `GENERATION_TTL_S` at most: an answer reads
        it several times (the retriever's, the vectors' and the lexicon's caches)."""
        snapshot = self.snapshot()
        partial = MISSING_SHARDS.get() is not None
        cached = self._generation
        now = time.monotonic()
        if (not partial and cached is not None and cached[0] == snapshot
                and now - cached[1] < GENERATION_TTL_S):  # fmt: skip
            return cached[2]
        answered = self.each("generation")
        value = hash((snapshot, tuple(answered)))
        if len(answered) == self.count:  # caches built without a shard are not kept
            self._generation = (snapshot, now, value)
        return value

    def people(self) -> list[Person]:
        """Everyone in any shard (each shard holds the whole people table)."""
        people: dict[str, Person] = {}
        for _, found in self.each("people"):
            for person in found:
                people.setdefault(person.id, person)
        return list(people.values())

    def filtered_rowids(
        self, filters: Filters, extra: str = "", params: list[Any] | None = None
    ) -> np.ndarray:
        """Global keys of every chunk the filters (and an extra condition) allow."""
        parts = [self.key(i, rowids)
                 for i, rowids in self.each("filtered_rowids", filters, extra, params)]
        return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)

    def lexical_search(
        self,
        query: str,
        limit: int,
        filters: Filters,
        extra: str = "",
        extra_params: list[Any] | None = None,
        analyser: str = "en",
        language: str = "",
    ) -> list[tuple[int, float]]:
        """BM25 with the statistics of all shards: (global key, score), best first; the
        ranking `Store.lexical_search` gives over the whole knowledge base."""
        if analyser not in FTS_TABLES:
            raise ValueError(f"unknown analyser {analyser!r}; valid: {', '.join(FTS_TABLES)}")
        if analyser == "en":
            terms = query_terms(query, language or analyser)
            terms = self._without_common_terms(terms) if terms else terms
        else:
            terms = french_query_terms(query)
        if not terms:
            return []
        answered = self.each("lexical_terms", analyser, terms, filters, extra, extra_params)
        scored = global_bm25([found for _, found in answered])
        merged = [
            (int(rowid) * self.count + shard, score)
            for (shard, _), rows in zip(answered, scored, strict=True)
            for rowid, score in rows
        ]
        # Equal scores: the earlier chunk first, as SQLite's ORDER BY leaves FTS5's rows.
        return heapq.nsmallest(limit, merged, key=lambda pair: (-pair[1], pair[0]))

    def _without_common_terms(self, terms: list[str]) -> list[str]:
        """`LexicalSearch._without_common_terms` with the counts of all shards."""
        if len(terms) <= KEEP_RAREST or self.common_term_share >= 1:
            return terms
        total = self._chunk_count()
        if total < PRUNE_FROM_CHUNKS:
            return terms
        df = [0] * len(terms)
        for _, counts in self.each("document_frequencies", terms):
            df = [d + counts.get(t, 0) for d, t in zip(df, terms, strict=True)]
        rarest = set(sorted(range(len(terms)), key=lambda i: df[i])[:KEEP_RAREST])
        limit = self.common_term_share * total
        return [t for i, t in enumerate(terms) if i in rarest or df[i] <= limit]

    def _chunk_count(self) -> int:
        """Chunks in all shards, remembered until the generation changes."""
        generation = self.generation
        if self._chunks is None or self._chunks[0] != generation:
            self._chunks = (generation, sum(count for _, count in self.each("chunk_count")))
        return self._chunks[1]

    def hit_rows(self, keys: list[int]) -> dict[int, dict[str, Any]]:
        """The chunk and document fields of the given chunks, by global key."""
        array = np.asarray(keys, dtype=np.int64)
        wanted = [[int(r) for r in self.local(array, i)] for i in range(self.count)]
        rows: dict[int, dict[str, Any]] = {}
        for shard, found in self.each("hit_rows", per_shard=lambda i: (wanted[i],)):
            for rowid, row in found.items():
                rows[rowid * self.count + shard] = row
        return rows

    # ---- what answering reads -----------------------------------------------------------

    def evidence_of(
        self, document_ids: list[str], filters: Filters | None = None
    ) -> list[dict[str, Any]]:
        """The people and roles on the given documents, in the whole store's order (by
        document id through its index, then as each document's rows are stored)."""
        if not document_ids:
            return []
        rows = [row for _, found in self.each("evidence_of", document_ids, filters)
                for row in found]  # fmt: skip
        return sorted(rows, key=lambda row: row["document_id"])

    def chunks_of(self, document_id: str) -> list[Chunk]:
        """The chunks of a document, in order, from the shard that holds it."""
        found = self.each("chunks_of", document_id, only=shard_of(document_id, self.count))
        return found[0][1] if found else []

    def texts_of(self, document_id: str, most: int) -> list[str] | None:
        """The texts of a document's chunks, in order, from the shard that holds it; None when
        it has more than `most`."""
        found = self.each("texts_of", document_id, most, only=shard_of(document_id, self.count))
        return found[0][1] if found else []

    # ---- what the catalog routes read (documents, people, stats, the question log) --------

    def count_chunks(self) -> int:
        """How many chunks the shards hold together."""
        return sum(found["chunks"] for _, found in self.each("stats", None))

    def stats(self, filters: Filters | None = None) -> dict[str, Any]:
        """Documents (by kind) and chunks summed over the shards; people with evidence on a
        document the filters allow, in any shard."""
        per_shard = [found for _, found in self.each("stats", filters)]
        kinds: dict[str, int] = {}
        for found in per_shard:
            for kind, n in found.get("documents_by_kind", {}).items():
                kinds[kind] = kinds.get(kind, 0) + n
        return {
            "documents": sum(s["documents"] for s in per_shard),
            "documents_by_kind": dict(sorted(kinds.items())),
            "chunks": sum(s["chunks"] for s in per_shard),
            "people": len(self.people_with_counts(filters)),
        }

    def list_documents(
        self, filters: Filters, limit: int, offset: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of documents (newest first, then by title), and the total count."""
        found = self.each("catalog", "list_documents", filters, offset + limit, 0)
        rows = [row for _, (_, page) in found for row in page]
        rows.sort(key=lambda row: row["title"] or "")
        rows.sort(key=lambda row: row["updated"] or row["created"] or "", reverse=True)
        return sum(int(total) for _, (total, _) in found), rows[offset : offset + limit]

    def stale_documents(self, today: str, filters: Filters | None = None) -> list[dict[str, Any]]:
        """Documents whose review date has passed, the oldest date first."""
        rows = [row for _, found in self.each("catalog", "stale_documents", today, filters)
                for row in found]  # fmt: skip
        return sorted(rows, key=lambda row: row["review_by"])

    def document(self, document_id: str, filters: Filters | None = None) -> dict[str, Any] | None:
        """A document's fields from the shard that holds it, or None."""
        found = self.each("catalog", "document", document_id, filters,
                          only=shard_of(document_id, self.count))  # fmt: skip
        return found[0][1] if found else None

    def person(self, person_id: str) -> Person | None:
        """One person (every shard holds them all), or None."""
        return next((p for _, p in self.each("catalog", "person", person_id) if p), None)

    def known_names(self, filters: Filters) -> dict[str, set[str]] | None:
        """By person id, the names readable documents of any shard (or the directory) give."""
        if filters.groups is None:
            return None
        known: dict[str, set[str]] = {}
        for _, found in self.each("catalog", "known_names", filters):
            for person_id, names in (found or {}).items():
                known.setdefault(person_id, set()).update(names)
        return known

    def people_with_counts(self, filters: Filters | None = None) -> list[dict[str, Any]]:
        """People with evidence on readable documents, most documents first: the documents
        of every shard counted, the aliases any shard shows (in the person's own order)."""
        merged: dict[str, dict[str, Any]] = {}
        for _, rows in self.each("catalog", "people_with_counts", filters):
            for row in rows:
                have = merged.get(row["id"])
                if have is None:
                    merged[row["id"]] = dict(row)
                    continue
                have["documents"] += row["documents"]
                have["aliases"] = have["aliases"] + [
                    a for a in row["aliases"] if a not in have["aliases"]]  # fmt: skip
        if filters is not None and filters.groups is not None:
            order = {p.id: p.aliases for p in self.people()}
            for row in merged.values():
                shown = set(row["aliases"])
                row["aliases"] = [a for a in order.get(row["id"], ()) if a in shown]
        rows = sorted(merged.values(), key=lambda row: row["name"])
        return sorted(rows, key=lambda row: row["documents"], reverse=True)

    def evidence_of_person(
        self, person_id: str, filters: Filters | None = None
    ) -> list[dict[str, Any]]:
        """Every document a person has a role on, newest first."""
        rows = [row for _, found in self.each("catalog", "evidence_of_person", person_id, filters)
                for row in found]  # fmt: skip
        # As the SQL orders them: newest first, then by document, role and detail (NULL first).
        rows.sort(key=lambda row: (row["document_id"], row["role"],
                                   row["detail"] is not None, row["detail"] or ""))  # fmt: skip
        return sorted(rows, key=lambda row: row["updated"] or "", reverse=True)

    def question_counts(self, groups: tuple[str, ...] | None = None) -> dict[str, Any]:
        """Questions asked (the log is kept by the first shard)."""
        return self._log("question_counts", groups)

    def knowledge_gaps(
        self, low_score: float, limit: int = 20, groups: tuple[str, ...] | None = None
    ) -> list[dict[str, Any]]:
        """Questions abstained on or answered weakly (from the first shard's log)."""
        return self._log("knowledge_gaps", low_score, limit, groups)

    def feedback_summary(
        self, recent: int = 10, groups: tuple[str, ...] | None = None
    ) -> dict[str, Any]:
        """Ratings of answers (from the first shard's log)."""
        return self._log("feedback_summary", recent, groups)

    def add_feedback(
        self, question: str, helpful: bool, comment: str = "",
        asker_groups: tuple[str, ...] | None = None,
    ) -> None:  # fmt: skip
        """Store a rating in the first shard's log."""
        self._log("add_feedback", question, helpful, comment, asker_groups)

    def _log(self, method: str, *args: Any) -> Any:  # noqa: ANN401
        found = self.each("catalog", method, *args, only=0)
        if not found:
            raise ShardUnavailableError(self.names[0], "it keeps the question log")
        return found[0][1]

    def log_question(
        self, question: str, abstained: bool, best_score: float | None, latency_ms: float,
        answerer: str, asker_groups: tuple[str, ...] | None = None,
    ) -> None:  # fmt: skip
        """Record an asked question in the first shard's log (for the knowledge-gap report);
        not recorded while that shard is missing from a partial answer. A remote shard's
        call is awaited in a thread of its own, so the answer does not wait for the log."""
        args = (question, abstained, best_score, latency_ms, answerer, asker_groups)
        submit = getattr(self.shards[0], "submit", None)
        if submit is None or MISSING_SHARDS.get() is not None:
            self.each("log_question", *args, only=0)
            return
        fetch = submit("log_question", *args)
        with self._lock:
            if self._logger is None:
                self._logger = ThreadPoolExecutor(1, thread_name_prefix="kenning-question-log")
        self._logger.submit(_logged, fetch, self.names[0])


def _logged(fetch: Callable[[], Any], shard: str) -> None:
    try:
        fetch()
    except Exception as exc:  # noqa: BLE001 - a lost log entry must not fail anything else
        logger.warning("the question was not logged in %s: %s", shard, exc)


class _RowidOrderedReads:
    """The one read `index.vocabulary` makes on a store's connection (chunk texts after a
    rowid, `ORDER BY c.rowid LIMIT ?`), made on every shard and merged in rowid order: the
    rows the whole knowledge base gives, as a shard keeps its chunks' rowids."""

    def __init__(self, store: ShardedStore) -> None:
        self.store = store

    def execute(self, sql: str, params: Sequence[Any] = ()) -> _Rows:
        if not LIMITED.search(sql):
            raise KenningError("a sharded store answers reads in rowid order with a LIMIT only")
        rows = [row for _, found in self.store.each("rows", sql, list(params)) for row in found]
        return _Rows(sorted(rows, key=lambda row: row[0])[: int(params[-1])])


class _Rows:
    def __init__(self, rows: list[tuple[Any, ...]]) -> None:
        self.rows = rows

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self.rows


class ShardedVectors:
    """Dense search over every shard's vector index; ids are global keys."""

    def __init__(self, store: ShardedStore) -> None:
        self.store = store

    def search(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> list[tuple[int, float]]:
        """The k nearest chunks of all shards with their scores."""
        local = [None if allowed is None else self.store.local(allowed, i)
                 for i in range(self.store.count)]  # fmt: skip
        asked = [i for i in range(self.store.count) if local[i] is None or len(local[i])]
        merged: list[tuple[int, float]] = []
        found = self.store.each("dense_search", per_shard=lambda i: (vector, k, local[i]))
        for shard, pairs in found:
            if shard not in asked:
                continue
            for rowid, score in pairs:
                merged.append((int(rowid) * self.store.count + shard, score))
        # Equal scores, as FAISS treats them in a flat index: the earliest chunks are kept,
        # and listed latest first.
        kept = heapq.nsmallest(k, merged, key=lambda pair: (-pair[1], pair[0]))
        return sorted(kept, key=lambda pair: (-pair[1], -pair[0]))


class ReadOnlyError(KenningError):
    """A write to shards (they are read-only)."""

    status = 409


class ReadOnlyShards:
    """The writes of a service over shards: none (ingest into the original knowledge base and
    split it again)."""

    REASON = "shards are read-only: ingest into the original knowledge base and split it again"

    def ingest(self, paths: list[str | Path], *, groups: list[str] | None = None) -> IngestReport:
        """Refused."""
        raise ReadOnlyError(self.REASON)

    def delete(self, document_id: str) -> bool:
        """Refused."""
        raise ReadOnlyError(self.REASON)

    def accepts(self, name: str) -> str | None:
        """Nothing is accepted."""
        return self.REASON


def sharded_service(
    store: ShardedStore, settings: Settings, embedder: Callable[[], Embedder]
) -> tuple[Retriever, QAService]:
    """The retriever and the answering service over shards (their reads in `store`)."""
    retriever = Retriever(
        store, ShardedVectors(store), embedder(), settings,  # type: ignore[arg-type]
        query_languages=query_analysers,
    )  # fmt: skip

    def retrieve(query: str, k: int, filters: Filters) -> Retrieval:
        if not query or not query.strip():
            raise InvalidRequest(key="query_empty")
        return retriever.retrieve(query, k, search_filters(filters))

    parts = ServiceParts(settings=settings, store=store, retrieve=retrieve,  # type: ignore[arg-type]
                         embedder=embedder, writer=ReadOnlyShards())  # fmt: skip
    return retriever, QAService(parts)


@contextmanager
def partial_results(allowed: bool) -> Iterator[list[str] | None]:
    """Within it, shards that do not answer are skipped when `allowed` (their names are
    collected in the list it gives), else they fail the request."""
    token = MISSING_SHARDS.set([] if allowed else None)
    try:
        yield MISSING_SHARDS.get()
    finally:
        MISSING_SHARDS.reset(token)


class ShardedKnowledgeBase:
    """The shards of a knowledge base (made by `kenning shard`), searched as one.

    Args:
        folders: the shards' folders, every shard of the split once.
        settings: the settings (the embedding model must be the shards').
        embedder: an embedder to use instead of the one the settings name.
        whole: `folders` is one whole knowledge base (served as a single shard).

    Raises:
        KenningError: a shard is missing, repeated or of another split.
        IndexMismatchError: a shard was built with another embedding model.
    """

    def __init__(
        self,
        folders: Sequence[Path],
        settings: Settings | None = None,
        embedder: Embedder | None = None,
        *,
        whole: bool = False,
    ) -> None:
        settings = settings or load_settings()
        self.shards = [KnowledgeBase(folder, settings, embedder) for folder in folders]
        if not (whole and len(self.shards) == 1):
            _check_split(self.shards)
        first = self.shards[0]
        self.settings = first.settings
        self.store = ShardedStore([ShardReads(kb) for kb in self.shards],
                                  [kb.path.name for kb in self.shards],
                                  self.settings.bm25_common_share)  # fmt: skip
        self.retriever, self.qa = sharded_service(self.store, self.settings,
                                                  lambda: first.embedder)  # fmt: skip

    @classmethod
    def open(
        cls, folder: Path, settings: Settings | None = None, embedder: Embedder | None = None
    ) -> ShardedKnowledgeBase:
        """The shards in `folder` (its `shard-NN` subfolders), or in the current snapshot of
        `folder` when it is a snapshot root (`snapshots.py`)."""
        from kenning.distributed.snapshots import split_folder

        folder = split_folder(Path(folder))
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
            raise InvalidRequest(key="query_empty")
        return self.retriever.retrieve(query, k, search_filters(filters))

    def search(
        self, query: str, k: int = 5, filters: Filters | dict[str, Any] | None = None
    ) -> list[Hit]:
        """The k best passages for a query over all shards (see `KnowledgeBase.search`)."""
        return self.retrieve(query, k, filters).hits

    def ask(
        self,
        question: str,
        k: int = 5,
        filters: Filters | dict[str, Any] | None = None,
        answerer: str | None = None,
        history: list[dict[str, str]] | None = None,
    ) -> AskResponse:
        """An answer with citations and experts, as `KnowledgeBase.ask` gives it."""
        return self.qa.ask(question, k, _filters(filters), answerer, history)

    def experts(
        self, topic: str, k: int = 5, filters: Filters | dict[str, Any] | None = None
    ) -> list[Expert]:
        """The people most likely to know about a topic, as `KnowledgeBase.experts`."""
        return self.qa.experts(topic, k, _filters(filters))

    def stats(self) -> dict[str, Any]:
        """Documents, chunks and people over all shards."""
        per_shard = [kb.stats() for kb in self.shards]
        return {
            "shards": len(per_shard),
            "documents": sum(s["documents"] for s in per_shard),
            "chunks": sum(s["chunks"] for s in per_shard),
            "people": max((s["people"] for s in per_shard), default=0),
        }


def _filters(filters: Filters | dict[str, Any] | None) -> Filters:
    return filters if isinstance(filters, Filters) else Filters.from_dict(filters)


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
