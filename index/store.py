"""The knowledge base's SQLite store: one connection, its lock, the generation, and writes.

`Store` is composed of one part per job, each in its own module: BM25 search
(`lexical.py`), listings for the API and the UI (`catalog.py`) and the question log
(`question_log.py`); the schema is in `database.py` and the filters' SQL in `filters.py`.
Writes are atomic and bump the store's generation, which the FAISS index (a rebuildable
cache of the embeddings kept here) records to know whether it is current.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from kenning.index.analysers import french_text
from kenning.index.catalog import DIRECTORY_ALIASES, CatalogViews
from kenning.index.database import connect, now_iso, select
from kenning.index.filters import filter_clause
from kenning.index.lexical import LexicalSearch
from kenning.index.question_log import QuestionLog
from kenning.schema import Chunk, Document, Filters, Person

ROWID_CACHE_SIZE = 16

GET_META = "SELECT value FROM meta WHERE key = ?"
SET_META = """
INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value
"""
BUMP_GENERATION = """
INSERT INTO meta (key, value) VALUES ('generation', '1')
ON CONFLICT(key) DO UPDATE SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)
"""
DOCUMENT_HASH_BY_SOURCE = "SELECT id, content_hash FROM documents WHERE source = ?"
DOCUMENT_SOURCES = "SELECT id, source FROM documents"
DOCUMENTS_WITH_ID_OR_SOURCE = "SELECT id FROM documents WHERE id = ? OR source = ?"
INSERT_DOCUMENT = """
INSERT INTO documents (id, source, title, kind, created, updated, review_by, last_reviewed,
                       tags, team, groups_, content_hash, meta, ingested_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
CHUNK_ROWIDS_OF_DOCUMENT = "SELECT rowid FROM chunks WHERE document_id = ?"
DELETE_FTS_ROW = "DELETE FROM chunks_fts WHERE rowid = ?"
DELETE_FRENCH_FTS_ROW = "DELETE FROM chunks_fts_fr WHERE rowid = ?"
DELETE_CHUNKS_OF_DOCUMENT = "DELETE FROM chunks WHERE document_id = ?"
DELETE_EVIDENCE_OF_DOCUMENT = "DELETE FROM evidence WHERE document_id = ?"
DELETE_DOCUMENT = "DELETE FROM documents WHERE id = ?"
INSERT_CHUNK = """
INSERT INTO chunks (id, document_id, ord, text, location, heading, page, start, "end",
                    speakers, embedding, lang)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_FTS = "INSERT INTO chunks_fts (rowid, text, context) VALUES (?, ?, ?)"
INSERT_FRENCH_FTS = "INSERT INTO chunks_fts_fr (rowid, text, context) VALUES (?, ?, ?)"
UPSERT_PERSON = """
INSERT INTO people (id, name, aliases, teams) VALUES (?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET aliases = excluded.aliases, teams = excluded.teams
"""
SET_DIRECTORY_ALIASES = "UPDATE people SET directory_aliases = ? WHERE id = ?"
INSERT_EVIDENCE = """
INSERT INTO evidence (document_id, person_id, role, weight, share, mention, detail)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
ALL_EMBEDDINGS = "SELECT rowid, embedding FROM chunks ORDER BY rowid"
FILTERED_ROWIDS = """
SELECT c.rowid FROM chunks c JOIN documents d ON d.id = c.document_id WHERE 1 = 1 {where}
"""
HIT_ROWS = """
SELECT c.rowid AS rowid, c.id AS chunk_id, c.document_id, c.text, c.location, c.heading, c.page,
       c.start, c."end", c.speakers, c.lang, d.title, d.source, d.kind
FROM chunks c JOIN documents d ON d.id = c.document_id
WHERE c.rowid IN ({placeholders})
"""


class Store(LexicalSearch, CatalogViews, QuestionLog):
    """The knowledge base's SQLite file. One connection, guarded by a lock."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self._lock = threading.RLock()
        # (sql, parameters) -> (generation, rowids) of recent filters; see filtered_rowids.
        self._rowid_cache: dict[tuple[str, str], tuple[int, np.ndarray]] = {}
        self.last_write_generation = 0
        self.conn = connect(path)

    def close(self) -> None:
        """Close the connection, once no other thread is reading it (closing it under a read
        of a background thread, such as a lexicon build, crashed the process)."""
        with self._lock:
            self.conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that also bumps the store's generation.

        The bump comes first, so the transaction holds the write lock from its first
        statement; `last_write_generation` is the generation this transaction wrote (it is
        one more than the one before it, because no other writer can commit in between).
        """
        with self._lock, self.conn:
            self.conn.execute(BUMP_GENERATION)
            row = self.conn.execute(GET_META, ("generation",)).fetchone()
            self.last_write_generation = int(row[0])
            yield self.conn

    @contextmanager
    def log_write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction for logs (questions, feedback): the generation is not bumped,
        so the vector index on disk stays valid while people ask questions."""
        with self._lock, self.conn:
            yield self.conn

    def get_meta(self, key: str) -> str | None:
        """A value of the meta table."""
        with self._lock:
            row = self.conn.execute(GET_META, (key,)).fetchone()
        return row[0] if row else None

    def set_meta(self, key: str, value: str) -> None:
        """Set a value of the meta table."""
        with self._lock, self.conn:
            self.conn.execute(SET_META, (key, value))

    @property
    def generation(self) -> int:
        """A counter bumped by every write; the vector index records the one it matches."""
        return int(self.get_meta("generation") or 0)

    # ---- documents and people: writes, and what ingest reads to decide them ---------------

    def content_hash(self, source: str) -> tuple[str, str] | None:
        """(document id, content hash) of the document with this source, if stored."""
        with self._lock:
            row = self.conn.execute(DOCUMENT_HASH_BY_SOURCE, (source,)).fetchone()
        return (row[0], row[1]) if row else None

    def sources(self) -> dict[str, str]:
        """Every stored document's source, by id."""
        with self._lock:
            return dict(self.conn.execute(DOCUMENT_SOURCES).fetchall())

    def _delete_document(self, conn: sqlite3.Connection, document_id: str) -> list[int]:
        rowids = [r[0] for r in conn.execute(CHUNK_ROWIDS_OF_DOCUMENT, (document_id,))]
        conn.executemany(DELETE_FTS_ROW, [(r,) for r in rowids])
        conn.executemany(DELETE_FRENCH_FTS_ROW, [(r,) for r in rowids])
        conn.execute(DELETE_CHUNKS_OF_DOCUMENT, (document_id,))
        conn.execute(DELETE_EVIDENCE_OF_DOCUMENT, (document_id,))
        conn.execute(DELETE_DOCUMENT, (document_id,))
        return rowids

    def delete_document(self, document_id: str) -> list[int]:
        """Delete a document with its chunks and evidence; returns the removed chunk rowids."""
        with self.transaction() as conn:
            return self._delete_document(conn, document_id)

    def replace_document(
        self,
        document: Document,
        chunks: list[Chunk],
        embeddings: np.ndarray,
        people: list[Person],
    ) -> tuple[list[int], list[int]]:
        """Store a document, replacing any earlier version of the same source, atomically.

        Returns:
            The chunk rowids removed and the rowids added (the ids of their vectors).
        """
        with self.transaction() as conn:
            removed: list[int] = []
            earlier = conn.execute(DOCUMENTS_WITH_ID_OR_SOURCE, (document.id, document.source))
            for (old_id,) in earlier.fetchall():
                removed += self._delete_document(conn, old_id)
            conn.execute(
                INSERT_DOCUMENT,
                (
                    document.id, document.source, document.title, document.kind,
                    document.created, document.updated, document.review_by,
                    document.last_reviewed, json.dumps(list(document.tags)), document.team,
                    json.dumps(list(document.groups)), document.content_hash,
                    json.dumps(document.meta, default=str), now_iso(),
                ),
            )  # fmt: skip
            added: list[int] = []
            context = document.title
            for chunk, vector in zip(chunks, embeddings, strict=True):
                cursor = conn.execute(
                    INSERT_CHUNK,
                    (
                        chunk.id, chunk.document_id, chunk.ord, chunk.text, chunk.location,
                        chunk.heading, chunk.page, chunk.start, chunk.end,
                        json.dumps(list(chunk.speakers)),
                        np.asarray(vector, dtype=np.float32).tobytes(), chunk.lang,
                    ),
                )  # fmt: skip
                rowid = int(cursor.lastrowid or 0)
                heading = f"{context} {chunk.heading}"
                conn.execute(INSERT_FTS, (rowid, chunk.text, heading))
                conn.execute(
                    INSERT_FRENCH_FTS, (rowid, french_text(chunk.text), french_text(heading))
                )
                added.append(rowid)
            self._save_people(conn, people)
            conn.executemany(
                INSERT_EVIDENCE,
                [
                    (document.id, e.person_id, e.role, e.weight, e.share, e.mention, e.detail)
                    for e in document.evidence
                ],
            )  # fmt: skip
        return removed, added

    def _save_people(self, conn: sqlite3.Connection, people: list[Person]) -> None:
        conn.executemany(
            UPSERT_PERSON,
            [
                (p.id, p.name, json.dumps(list(p.aliases)), json.dumps(list(p.teams)))
                for p in people
            ],
        )

    def save_people(self, people: list[Person], listed: Sequence[Person] = ()) -> None:
        """Insert or update people; `listed` are the entries of a people directory file, whose
        names and aliases every caller may see."""
        with self.transaction() as conn:
            self._save_people(conn, people)
            known = {row["id"]: row["directory_aliases"] for row in select(conn, DIRECTORY_ALIASES)}
            for person in listed:
                before = json.loads(known.get(person.id) or "[]")
                names = list(dict.fromkeys([*before, person.name, *person.aliases]))
                conn.execute(SET_DIRECTORY_ALIASES, (json.dumps(names), person.id))

    # ---- what retrieval reads: embeddings, allowed rowids, hit rows ------------------------

    def all_embeddings(self, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        """(rowids, vectors) of every chunk, for rebuilding the vector index."""
        with self._lock:
            rows = self.conn.execute(ALL_EMBEDDINGS).fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        if not rows:
            return ids, np.zeros((0, dimension), dtype=np.float32)
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
        return ids, vectors.reshape(len(rows), dimension)

    def embeddings_snapshot(self, dimension: int) -> tuple[int, np.ndarray, np.ndarray]:
        """(generation, rowids, vectors) read in one transaction, so they agree."""
        with self._lock:
            self.conn.execute("BEGIN")
            try:
                generation = int(self.get_meta("generation") or 0)
                ids, vectors = self.all_embeddings(dimension)
            finally:
                self.conn.execute("COMMIT")
        return generation, ids, vectors

    def filtered_rowids(
        self, filters: Filters, extra: str = "", params: list[Any] | None = None
    ) -> np.ndarray:
        """The rowids of every chunk the filters (and an extra condition) allow.

        Cached until the store's generation changes: a caller restricted to some groups sends
        the same filter with every question, and listing 200k rowids takes ~0.2-0.4 s. The
        array is shared between callers; do not modify it.
        """
        where, base = filter_clause(filters, chunk_level=True)
        sql = FILTERED_ROWIDS.format(where=where + extra)
        values = [*base, *(params or [])]
        key = (sql, json.dumps(values, default=str))
        with self._lock:
            generation = self.generation
            cached = self._rowid_cache.get(key)
            if cached is not None and cached[0] == generation:
                return cached[1]
            rows = self.conn.execute(sql, values).fetchall()
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            if len(self._rowid_cache) >= ROWID_CACHE_SIZE:
                self._rowid_cache.pop(next(iter(self._rowid_cache)))
            self._rowid_cache[key] = (generation, ids)
        return ids

    def hit_rows(self, rowids: list[int]) -> dict[int, dict[str, Any]]:
        """The chunk and document fields of the given chunks, by rowid."""
        if not rowids:
            return {}
        sql = HIT_ROWS.format(placeholders=",".join("?" * len(rowids)))
        with self._lock:
            rows = select(self.conn, sql, rowids)
        return {
            int(row["rowid"]): dict(row) | {"speakers": json.loads(row["speakers"])}
            for row in rows
        }
