"""The SQLite store: documents, chunks (with their embeddings), people, evidence, FTS5.

All SQL of Kenning lives here, as named statements with `?` parameters. SQLite is the
source of truth; the FAISS index is a cache of the embeddings kept here and can always be
rebuilt from them, which is what makes writes crash-safe.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from kenning.schema import Chunk, Document, Filters, Person

SCHEMA_VERSION = 1
ROWID_CACHE_SIZE = 16

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    kind TEXT NOT NULL,
    created TEXT,
    updated TEXT,
    review_by TEXT,
    last_reviewed TEXT,
    tags TEXT NOT NULL DEFAULT '[]',
    team TEXT,
    groups_ TEXT NOT NULL DEFAULT '[]',
    content_hash TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    rowid INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    text TEXT NOT NULL,
    location TEXT NOT NULL,
    heading TEXT NOT NULL DEFAULT '',
    page INTEGER,
    start REAL,
    "end" REAL,
    speakers TEXT NOT NULL DEFAULT '[]',
    embedding BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS chunks_document ON chunks(document_id);
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts USING fts5(
    text, context, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TABLE IF NOT EXISTS people (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    aliases TEXT NOT NULL DEFAULT '[]',
    teams TEXT NOT NULL DEFAULT '[]',
    directory_aliases TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS evidence (
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    person_id TEXT NOT NULL,
    role TEXT NOT NULL,
    weight REAL NOT NULL,
    share REAL,
    mention TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS evidence_person ON evidence(person_id);
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    asked_at TEXT NOT NULL,
    question TEXT NOT NULL,
    abstained INTEGER NOT NULL,
    best_score REAL,
    latency_ms REAL NOT NULL,
    answerer TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    question TEXT NOT NULL,
    helpful INTEGER NOT NULL,
    comment TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS evidence_document ON evidence(document_id);
"""
# Who asked (their readable groups, JSON; NULL: an unrestricted caller), so that a question or
# a rating is shown only to callers who could read everything its asker could.
ASKER_COLUMNS = ("questions", "feedback")
TABLE_COLUMNS = "SELECT name FROM pragma_table_info(?)"
ADD_ASKER_COLUMN = "ALTER TABLE {table} ADD COLUMN asker_groups TEXT"
# The aliases a people directory file gave a person: shown to every caller. Other aliases
# were learnt from documents and are shown only to callers who may read one that names them.
ADD_DIRECTORY_ALIASES = "ALTER TABLE people ADD COLUMN directory_aliases TEXT NOT NULL DEFAULT '[]'"
SET_DIRECTORY_ALIASES = "UPDATE people SET directory_aliases = ? WHERE id = ?"

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
INSERT_DOCUMENT = """
INSERT INTO documents (id, source, title, kind, created, updated, review_by, last_reviewed,
                       tags, team, groups_, content_hash, meta, ingested_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
CHUNK_ROWIDS_OF_DOCUMENT = "SELECT rowid FROM chunks WHERE document_id = ?"
DELETE_FTS_ROW = "DELETE FROM chunks_fts WHERE rowid = ?"
DELETE_CHUNKS_OF_DOCUMENT = "DELETE FROM chunks WHERE document_id = ?"
DELETE_EVIDENCE_OF_DOCUMENT = "DELETE FROM evidence WHERE document_id = ?"
DELETE_DOCUMENT = "DELETE FROM documents WHERE id = ?"
INSERT_CHUNK = """
INSERT INTO chunks (id, document_id, ord, text, location, heading, page, start, "end",
                    speakers, embedding)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
INSERT_FTS = "INSERT INTO chunks_fts (rowid, text, context) VALUES (?, ?, ?)"
UPSERT_PERSON = """
INSERT INTO people (id, name, aliases, teams) VALUES (?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET aliases = excluded.aliases, teams = excluded.teams
"""
INSERT_EVIDENCE = """
INSERT INTO evidence (document_id, person_id, role, weight, share, mention, detail)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
ALL_PEOPLE = "SELECT id, name, aliases, teams FROM people ORDER BY name"
ALL_EMBEDDINGS = "SELECT rowid, embedding FROM chunks ORDER BY rowid"
COUNT_CHUNKS = "SELECT COUNT(*) FROM chunks"
COUNT_DOCUMENTS = "SELECT COUNT(*) FROM documents"
COUNT_PEOPLE_WITH_EVIDENCE = "SELECT COUNT(DISTINCT person_id) FROM evidence"
DOCUMENTS_BY_KIND = "SELECT kind, COUNT(*) FROM documents GROUP BY kind ORDER BY kind"
HIT_ROWS = """
SELECT c.rowid, c.id, c.document_id, c.text, c.location, c.heading, c.page, c.start, c."end",
       c.speakers, d.title, d.source, d.kind
FROM chunks c JOIN documents d ON d.id = c.document_id
WHERE c.rowid IN ({placeholders})
"""
FTS_SEARCH = """
SELECT f.rowid, bm25(chunks_fts, 1.0, 0.5) AS score
FROM chunks_fts f JOIN chunks c ON c.rowid = f.rowid JOIN documents d ON d.id = c.document_id
WHERE chunks_fts MATCH ? {where}
ORDER BY score LIMIT ?
"""
# Without filters the joins are skipped: they cost more than BM25 itself when a question's
# words match most chunks (2.4x the time at 100k chunks).
FTS_SEARCH_ALL = """
SELECT rowid, bm25(chunks_fts, 1.0, 0.5) AS score FROM chunks_fts
WHERE chunks_fts MATCH ? ORDER BY score LIMIT ?
"""
# Per connection, in TEMP: the chunk vocabulary with document frequencies, and a scratch FTS5
# table with the chunks' tokenizer that stems a query's words (see _without_common_terms).
QUERY_TERM_TABLES = """
CREATE VIRTUAL TABLE IF NOT EXISTS temp.chunks_vocab USING fts5vocab(main, 'chunks_fts', 'row');
CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_words USING fts5(
    word, tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE VIRTUAL TABLE IF NOT EXISTS temp.query_words_vocab
    USING fts5vocab(temp, 'query_words', 'instance');
"""
# BM25 leaves out query terms found in more than this share of chunks, from this many chunks
# on (see Store._without_common_terms); the rarest KEEP_RAREST terms always stay.
# QMSum val with it forced on (1.5k chunks): the hybrid's hit@5 -0.4, MRR@10 +0.4 points (n.s.);
# BM25 alone hit@5 0.877 -> 0.805 (0.835 at 0.1, 0.780 at 0.02).
COMMON_TERM_SHARE = 0.05
PRUNE_FROM_CHUNKS = 20_000
KEEP_RAREST = 2
DF_CACHE_SIZE = 50_000  # words whose document frequency is remembered until the store changes
# Filters allowing at least this share of chunks rank BM25 without the joins, then filter.
WIDE_FILTER_SHARE = 0.2
FILTERED_ROWIDS = """
SELECT c.rowid FROM chunks c JOIN documents d ON d.id = c.document_id WHERE 1 = 1 {where}
"""
EVIDENCE_OF_DOCUMENTS = """
SELECT e.document_id, e.person_id, p.name, e.role, e.weight, e.share, e.mention, e.detail
FROM evidence e JOIN people p ON p.id = e.person_id JOIN documents d ON d.id = e.document_id
WHERE e.document_id IN ({placeholders}) {where}
"""
# Chunks where a person speaks, or of documents where they have any other role.
PERSON_CHUNKS = """
 AND (c.document_id IN (SELECT document_id FROM evidence WHERE person_id = ? AND role != 'speaker')
      OR EXISTS (SELECT 1 FROM evidence e, json_each(c.speakers) s
                 WHERE e.document_id = c.document_id AND e.person_id = ?
                   AND e.role = 'speaker' AND s.value = e.mention))
"""
INSERT_QUESTION = """
INSERT INTO questions (asked_at, question, abstained, best_score, latency_ms, answerer,
                       asker_groups)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
INSERT_FEEDBACK = """
INSERT INTO feedback (created, question, helpful, comment, asker_groups) VALUES (?, ?, ?, ?, ?)
"""
KNOWLEDGE_GAPS = """
SELECT question, COUNT(*) AS times, MAX(asked_at) AS last_asked, MAX(best_score) AS best
FROM questions WHERE (abstained = 1 OR best_score < ?) {where}
GROUP BY lower(question) ORDER BY times DESC, last_asked DESC LIMIT ?
"""
FEEDBACK_SUMMARY = """
SELECT COUNT(*), COALESCE(SUM(helpful), 0) FROM feedback WHERE 1 = 1 {where}
"""
RECENT_FEEDBACK = """
SELECT created, question, helpful, comment FROM feedback WHERE 1 = 1 {where}
ORDER BY id DESC LIMIT ?
"""
QUESTION_COUNTS = """
SELECT COUNT(*), COALESCE(SUM(abstained), 0), AVG(latency_ms) FROM questions WHERE 1 = 1 {where}
"""
# Counts over the documents a caller may read ({where} from filter_clause).
READABLE_DOCUMENTS_BY_KIND = """
SELECT d.kind, COUNT(*) FROM documents d WHERE 1 = 1 {where} GROUP BY d.kind ORDER BY d.kind
"""
READABLE_CHUNK_COUNT = """
SELECT COUNT(*) FROM chunks c JOIN documents d ON d.id = c.document_id WHERE 1 = 1 {where}
"""
READABLE_PEOPLE_COUNT = """
SELECT COUNT(DISTINCT e.person_id) FROM evidence e JOIN documents d ON d.id = e.document_id
WHERE 1 = 1 {where}
"""
STALE_DOCUMENTS = """
SELECT d.id, d.title, d.source, d.review_by FROM documents d
WHERE d.review_by IS NOT NULL AND d.review_by < ? {where}
ORDER BY d.review_by
"""
LIST_DOCUMENTS = """
SELECT d.id, d.title, d.source, d.kind, d.created, d.updated, d.review_by, d.tags, d.team,
       d.groups_,
       (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id) AS chunks,
       (SELECT group_concat(DISTINCT p.name) FROM evidence e JOIN people p ON p.id = e.person_id
        WHERE e.document_id = d.id AND e.role = 'owner') AS owners
FROM documents d WHERE 1 = 1 {where}
ORDER BY COALESCE(d.updated, d.created) DESC, d.title
LIMIT ? OFFSET ?
"""
COUNT_DOCUMENTS_FILTERED = "SELECT COUNT(*) FROM documents d WHERE 1 = 1 {where}"
PEOPLE_WITH_COUNTS = """
SELECT p.id, p.name, p.aliases, p.teams, COUNT(DISTINCT e.document_id) AS documents
FROM people p JOIN evidence e ON e.person_id = p.id
JOIN documents d ON d.id = e.document_id
WHERE 1 = 1 {where}
GROUP BY p.id ORDER BY documents DESC, p.name
"""
PERSON_BY_ID = "SELECT id, name, aliases, teams FROM people WHERE id = ?"
DIRECTORY_ALIASES = "SELECT id, directory_aliases FROM people"
# How readable documents name people ({where} from filter_clause): what a caller may learn of
# a person's other names.
READABLE_MENTIONS = """
SELECT DISTINCT e.person_id, e.mention FROM evidence e JOIN documents d ON d.id = e.document_id
WHERE e.mention != '' {where}
"""
EVIDENCE_OF_PERSON = """
SELECT d.id, d.title, d.kind, d.source, d.updated, d.tags, e.role, e.share, e.detail
FROM evidence e JOIN documents d ON d.id = e.document_id
WHERE e.person_id = ? {where}
ORDER BY COALESCE(d.updated, d.created) DESC
"""
DOCUMENT_BY_ID = "SELECT * FROM documents d WHERE d.id = ? {where}"
CHUNKS_OF_DOCUMENT = """
SELECT id, document_id, ord, text, location, heading, page, start, "end", speakers
FROM chunks WHERE document_id = ? ORDER BY ord
"""

# Words that carry no meaning for BM25 in a question; dropped before FTS5 MATCH.
STOPWORDS = frozenset(
    "a an and are as at be but by can could did do does for from had has have how i if in "
    "into is it its me my of on or our so than that the their them then there these they "
    "this to was we were what when where which who whom why will with would you your about "
    "tell say said says discuss discussed talk talked".split()
)
WORD = re.compile(r"\w+", re.U)


def query_terms(text: str) -> list[str]:
    """The distinct lower-cased words of user text, stopwords dropped (unless that is all)."""
    words = [w.lower() for w in WORD.findall(text)]
    terms = [w for w in words if w not in STOPWORDS] or words
    return list(dict.fromkeys(terms))


def escape_fts_query(text: str) -> str:
    """User text as a safe FTS5 query: quoted terms joined by OR, stopwords dropped.

    FTS5 syntax (quotes, `NEAR`, `*`, column filters) in user text is never interpreted.
    """
    return fts_match(query_terms(text))


def fts_match(terms: list[str]) -> str:
    """Words (from `query_terms`: letters and digits only) as an FTS5 OR query."""
    return " OR ".join(f'"{w}"' for w in terms)


def now_iso() -> str:
    """The current UTC time as an ISO string."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def filter_clause(filters: Filters) -> tuple[str, list[Any]]:
    """The SQL condition (starting with AND) and parameters for a set of filters."""
    clauses: list[str] = []
    params: list[Any] = []
    if filters.kind:
        clauses.append(f"d.kind IN ({','.join('?' * len(filters.kind))})")
        params.extend(filters.kind)
    if filters.tags:
        marks = ",".join("?" * len(filters.tags))
        clauses.append(
            f"EXISTS (SELECT 1 FROM json_each(d.tags) WHERE lower(value) IN ({marks}))"
        )
        params.extend(t.lower() for t in filters.tags)
    if filters.team:
        clauses.append("d.team = ? COLLATE NOCASE")
        params.append(filters.team)
    if filters.person:
        clauses.append(
            "d.id IN (SELECT document_id FROM evidence e JOIN people p ON p.id = e.person_id "
            "WHERE e.person_id = ? OR p.name = ? COLLATE NOCASE)"
        )
        params.extend([filters.person, filters.person])
    if filters.date_from:
        clauses.append("COALESCE(d.updated, d.created) >= ?")
        params.append(filters.date_from)
    if filters.date_to:
        clauses.append("COALESCE(d.updated, d.created) <= ?")
        params.append(filters.date_to)
    if filters.source_prefix:
        escaped = (
            filters.source_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        )
        clauses.append("d.source LIKE ? ESCAPE '\\'")
        params.append(escaped + "%")
    if filters.groups == ():
        clauses.append("d.groups_ = '[]'")  # no groups: public documents only
    elif filters.groups is not None:
        marks = ",".join("?" * len(filters.groups))
        clauses.append(
            f"(d.groups_ = '[]' OR EXISTS (SELECT 1 FROM json_each(d.groups_) "
            f"WHERE value IN ({marks})))"
        )
        params.extend(filters.groups)
    return "".join(f" AND {c}" for c in clauses), params


def asker_clause(groups: tuple[str, ...] | None) -> tuple[str, list[Any]]:
    """The condition (starting with AND) for logged questions and ratings a caller may see.

    A caller who reads everything (`groups` None) sees all; others see what was asked by
    callers whose groups are all among theirs (so no question reveals a group's business).
    """
    if groups is None:
        return "", []
    # `value NOT IN (NULL)` is NULL, never true: a caller with no groups would see every
    # question. With no groups, only questions of askers with no groups qualify.
    inside = f"WHERE value NOT IN ({','.join('?' * len(groups))})" if groups else ""
    return (
        " AND asker_groups IS NOT NULL AND NOT EXISTS "
        f"(SELECT 1 FROM json_each(asker_groups) {inside})",
        list(groups),
    )


NAME_WITH_EMAIL = re.compile(r"^(?P<name>[^<]+?)\s*<(?P<email>[^>]+)>$")


def name_key(name: str) -> str:
    """How names, handles and e-mails are compared: lower case, no `@` prefix, single spaces."""
    return " ".join(name.strip().lstrip("@").lower().split())


def mention_keys(mention: str) -> set[str]:
    """The names a mention shows (`Jane Doe <jane@corp.example>` shows both parts)."""
    match = NAME_WITH_EMAIL.match(mention.strip())
    parts = [match.group("name"), match.group("email")] if match else [mention]
    return {name_key(part) for part in parts}


def shown_aliases(aliases: Sequence[str], known: set[str] | None) -> list[str]:
    """The aliases a caller may see: all of them (`known` None: an unrestricted caller), or
    those in `known` (names from the people directory or from documents the caller reads)."""
    if known is None:
        return list(aliases)
    return [alias for alias in aliases if name_key(alias) in known]


def _groups_json(groups: tuple[str, ...] | None) -> str | None:
    return None if groups is None else json.dumps(sorted(groups))


class Store:
    """The knowledge base's SQLite file. One connection, guarded by a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.RLock()
        # (sql, parameters) -> (generation, rowids) of recent filters; see filtered_rowids.
        self._rowid_cache: dict[tuple[str, str], tuple[int, np.ndarray]] = {}
        self.last_write_generation = 0
        self._counted = (-1, 0)  # (generation, chunks) for _chunk_count
        self._query_tables = False  # the TEMP tables of _without_common_terms exist
        self.common_term_share = COMMON_TERM_SHARE  # set from Settings.bm25_common_share
        self._df_cache: tuple[int, dict[str, int]] = (-1, {})  # (generation, word -> chunks)
        self.conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        with self.conn:
            self.conn.executescript(SCHEMA)
            for table in ASKER_COLUMNS:  # knowledge bases made before access control
                columns = {r[0] for r in self.conn.execute(TABLE_COLUMNS, (table,))}
                if "asker_groups" not in columns:
                    self.conn.execute(ADD_ASKER_COLUMN.format(table=table))
            if "directory_aliases" not in {r[0] for r in self.conn.execute(TABLE_COLUMNS,
                                                                            ("people",))}:
                self.conn.execute(ADD_DIRECTORY_ALIASES)
        version = self.get_meta("schema_version")
        if version is None:
            self.set_meta("schema_version", str(SCHEMA_VERSION))

    def close(self) -> None:
        """Close the connection."""
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
            for (old_id,) in conn.execute(
                "SELECT id FROM documents WHERE id = ? OR source = ?",
                (document.id, document.source),
            ).fetchall():
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
                        np.asarray(vector, dtype=np.float32).tobytes(),
                    ),
                )  # fmt: skip
                rowid = int(cursor.lastrowid or 0)
                conn.execute(INSERT_FTS, (rowid, chunk.text, f"{context} {chunk.heading}"))
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
            known = dict(conn.execute(DIRECTORY_ALIASES).fetchall())
            for person in listed:
                before = json.loads(known.get(person.id) or "[]")
                names = list(dict.fromkeys([*before, person.name, *person.aliases]))
                conn.execute(SET_DIRECTORY_ALIASES, (json.dumps(names), person.id))

    def people(self) -> list[Person]:
        """Everyone stored."""
        with self._lock:
            rows = self.conn.execute(ALL_PEOPLE).fetchall()
        return [
            Person(id=r[0], name=r[1], aliases=tuple(json.loads(r[2])),
                   teams=tuple(json.loads(r[3])))
            for r in rows
        ]  # fmt: skip

    def all_embeddings(self, dimension: int) -> tuple[np.ndarray, np.ndarray]:
        """(rowids, vectors) of every chunk, for rebuilding the vector index."""
        with self._lock:
            rows = self.conn.execute(ALL_EMBEDDINGS).fetchall()
        ids = np.array([r[0] for r in rows], dtype=np.int64)
        if not rows:
            return ids, np.zeros((0, dimension), dtype=np.float32)
        vectors = np.frombuffer(b"".join(r[1] for r in rows), dtype=np.float32)
        return ids, vectors.reshape(len(rows), dimension)

    def count_chunks(self) -> int:
        """How many chunks are stored."""
        with self._lock:
            return int(self.conn.execute(COUNT_CHUNKS).fetchone()[0])

    def stats(self, filters: Filters | None = None) -> dict[str, Any]:
        """Counts of documents (by kind), chunks and people with evidence.

        With filters (a caller's groups), only what they allow is counted.
        """
        if filters is not None and not filters.is_empty():
            return self._readable_stats(filters)
        with self._lock:
            by_kind = dict(self.conn.execute(DOCUMENTS_BY_KIND).fetchall())
            return {
                "documents": int(self.conn.execute(COUNT_DOCUMENTS).fetchone()[0]),
                "documents_by_kind": by_kind,
                "chunks": int(self.conn.execute(COUNT_CHUNKS).fetchone()[0]),
                "people": int(self.conn.execute(COUNT_PEOPLE_WITH_EVIDENCE).fetchone()[0]),
            }

    def _readable_stats(self, filters: Filters) -> dict[str, Any]:
        where, params = filter_clause(filters)
        with self._lock:
            by_kind = dict(
                self.conn.execute(READABLE_DOCUMENTS_BY_KIND.format(where=where), params)
            )
            chunks = self.conn.execute(READABLE_CHUNK_COUNT.format(where=where), params)
            chunk_count = int(chunks.fetchone()[0])
            people = self.conn.execute(READABLE_PEOPLE_COUNT.format(where=where), params)
            people_count = int(people.fetchone()[0])
        return {"documents": sum(by_kind.values()), "documents_by_kind": by_kind,
                "chunks": chunk_count, "people": people_count}  # fmt: skip

    def lexical_search(
        self,
        query: str,
        limit: int,
        filters: Filters,
        extra: str = "",
        extra_params: list[Any] | None = None,
    ) -> list[tuple[int, float]]:
        """BM25 over FTS5: (chunk rowid, score) best first; higher scores are better."""
        terms = query_terms(query)
        if not terms:
            return []
        match = fts_match(self._without_common_terms(terms))
        where, params = filter_clause(filters)
        if where and not extra:
            wide = self._lexical_wide_filter(match, limit, filters)
            if wide is not None:
                return wide
        sql = FTS_SEARCH.format(where=where + extra) if where or extra else FTS_SEARCH_ALL
        with self._lock:
            values = [match, *params, *(extra_params or []), limit]
            rows = self.conn.execute(sql, values).fetchall()
        return [(int(r[0]), -float(r[1])) for r in rows]

    def _lexical_wide_filter(
        self, match: str, limit: int, filters: Filters
    ) -> list[tuple[int, float]] | None:
        """A filter that allows most chunks: rank without the joins and keep the allowed.

        BM25 scores do not depend on the filter, so the first `limit` allowed rows of the
        unfiltered ranking are exactly the filtered answer. Over-fetching `2 / share` times
        the limit almost always holds them; None (use the joins) when it does not, or when
        the filter is narrow (then the joins are cheap). At 100k chunks a one-kind filter
        allowing 60% of them took 42 ms through the joins.
        """
        allowed = self.filtered_rowids(filters)
        total = self._chunk_count()
        share = len(allowed) / total if total else 0.0
        if share < WIDE_FILTER_SHARE:
            return None
        fetch = int(limit * 2 / share) + 1
        with self._lock:
            rows = self.conn.execute(FTS_SEARCH_ALL, [match, fetch]).fetchall()
        keep = np.isin(np.array([r[0] for r in rows], dtype=np.int64), allowed)
        picked = [(int(r[0]), -float(r[1])) for r, ok in zip(rows, keep, strict=True) if ok]
        if len(picked) < limit and len(rows) == fetch:
            return None  # the allowed rows may lie further down: ask SQLite with the joins
        return picked[:limit]

    def _without_common_terms(self, terms: list[str]) -> list[str]:
        """The query terms minus those in more than `common_term_share` of the chunks, once
        the store holds `PRUNE_FROM_CHUNKS`; the `KEEP_RAREST` rarest always stay.

        FTS5 scores every chunk that holds any query term and cannot stop early: at 100k
        chunks a question's everyday words ("team", "discuss") matched most chunks and BM25
        took 30 ms, though such words weigh little (low IDF). Document frequencies come from
        an fts5vocab table; the query's words are stemmed by FTS5 itself (a one-row-per-word
        temporary FTS5 table with the same tokenizer), so they match the vocabulary exactly.
        """
        with self._lock:
            total = self._chunk_count()
            small = total < PRUNE_FROM_CHUNKS or len(terms) <= KEEP_RAREST
            # In a transaction the scratch table's commit below would commit someone else's.
            if small or self.common_term_share >= 1.0 or self.conn.in_transaction:
                return terms
            if self._df_cache[0] != self._counted[0] or len(self._df_cache[1]) > DF_CACHE_SIZE:
                self._df_cache = (self._counted[0], {})
            known = self._df_cache[1]
            unknown = [t for t in terms if t not in known]
            if unknown:
                known.update(self._document_frequencies(unknown))
        df = [known.get(t, 0) for t in terms]
        rarest = set(sorted(range(len(terms)), key=lambda i: df[i])[:KEEP_RAREST])
        limit = self.common_term_share * total
        return [t for i, t in enumerate(terms) if i in rarest or df[i] <= limit]

    def _document_frequencies(self, words: list[str]) -> dict[str, int]:
        """Chunks holding each word, as FTS5 stems it; call with the lock held."""
        if not self._query_tables:
            self.conn.executescript(QUERY_TERM_TABLES)
            self._query_tables = True
        with self.conn:  # commits at once: an open transaction would pin a stale snapshot
            self.conn.execute("DELETE FROM temp.query_words")
            self.conn.executemany(
                "INSERT INTO temp.query_words(rowid, word) VALUES (?, ?)", enumerate(words)
            )
        stem_of = dict(self.conn.execute("SELECT doc, term FROM temp.query_words_vocab"))
        stems = sorted(set(stem_of.values()))
        marks = ",".join("?" * len(stems))
        sql = f"SELECT term, doc FROM temp.chunks_vocab WHERE term IN ({marks})"
        frequency = dict(self.conn.execute(sql, stems).fetchall())
        return {w: int(frequency.get(stem_of.get(i, ""), 0)) for i, w in enumerate(words)}

    def _chunk_count(self) -> int:
        """Chunks in the store, remembered until the store changes."""
        generation = self.generation
        if self._counted[0] != generation:
            self._counted = (generation, self.count_chunks())
        return self._counted[1]

    def filtered_rowids(
        self, filters: Filters, extra: str = "", params: list[Any] | None = None
    ) -> np.ndarray:
        """The rowids of every chunk the filters (and an extra condition) allow.

        Cached until the store's generation changes: a caller restricted to some groups sends
        the same filter with every question, and listing 200k rowids takes ~0.2-0.4 s. The
        array is shared between callers; do not modify it.
        """
        where, base = filter_clause(filters)
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
            rows = self.conn.execute(sql, rowids).fetchall()
        keys = ("rowid", "chunk_id", "document_id", "text", "location", "heading", "page",
                "start", "end", "speakers", "title", "source", "kind")  # fmt: skip
        out: dict[int, dict[str, Any]] = {}
        for row in rows:
            item = dict(zip(keys, row, strict=True))
            item["speakers"] = json.loads(item["speakers"])
            out[int(row[0])] = item
        return out

    def evidence_of(
        self, document_ids: list[str], filters: Filters | None = None
    ) -> list[dict[str, Any]]:
        """The people and roles on the given documents (those the filters allow)."""
        if not document_ids:
            return []
        where, params = filter_clause(filters or Filters())
        sql = EVIDENCE_OF_DOCUMENTS.format(
            placeholders=",".join("?" * len(document_ids)), where=where
        )
        keys = ("document_id", "person_id", "name", "role", "weight", "share", "mention", "detail")
        with self._lock:
            rows = self.conn.execute(sql, [*document_ids, *params]).fetchall()
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def document(
        self, document_id: str, filters: Filters | None = None
    ) -> dict[str, Any] | None:
        """A document's fields, or None (also when the filters, e.g. groups, exclude it)."""
        where, params = filter_clause(filters or Filters())
        with self._lock:
            cursor = self.conn.execute(DOCUMENT_BY_ID.format(where=where), [document_id, *params])
            row = cursor.fetchone()
            if row is None:
                return None
            names = [d[0] for d in cursor.description]
        item = dict(zip(names, row, strict=True))
        item["groups"] = json.loads(item.pop("groups_"))
        item["tags"] = json.loads(item["tags"])
        item["meta"] = json.loads(item["meta"])
        return item

    def chunks_of(self, document_id: str) -> list[Chunk]:
        """The chunks of a document, in order."""
        with self._lock:
            rows = self.conn.execute(CHUNKS_OF_DOCUMENT, (document_id,)).fetchall()
        return [
            Chunk(id=r[0], document_id=r[1], ord=r[2], text=r[3], location=r[4], heading=r[5],
                  page=r[6], start=r[7], end=r[8], speakers=tuple(json.loads(r[9])))
            for r in rows
        ]  # fmt: skip

    # ---- questions, feedback, listings (the HTTP API and the UI) ---------------------------

    def log_question(
        self, question: str, abstained: bool, best_score: float | None, latency_ms: float,
        answerer: str, asker_groups: tuple[str, ...] | None = None,
    ) -> None:
        """Record an asked question (and the asker's groups) for the knowledge-gap report."""
        with self.log_write() as conn:
            conn.execute(
                INSERT_QUESTION,
                (now_iso(), question, int(abstained), best_score, latency_ms, answerer,
                 _groups_json(asker_groups)),
            )  # fmt: skip

    def add_feedback(
        self, question: str, helpful: bool, comment: str = "",
        asker_groups: tuple[str, ...] | None = None,
    ) -> None:
        """Store a thumbs up or down on an answer, with the groups of whoever gave it."""
        with self.log_write() as conn:
            conn.execute(INSERT_FEEDBACK, (now_iso(), question, int(helpful), comment,
                                           _groups_json(asker_groups)))  # fmt: skip

    def knowledge_gaps(
        self, low_score: float, limit: int = 20, groups: tuple[str, ...] | None = None
    ) -> list[dict[str, Any]]:
        """Questions that were abstained on or answered with low confidence, most asked first.

        `groups`: the viewer's groups (None: sees every question; see `asker_clause`).
        """
        where, params = asker_clause(groups)
        with self._lock:
            rows = self.conn.execute(
                KNOWLEDGE_GAPS.format(where=where), [low_score, *params, limit]
            ).fetchall()
        keys = ("question", "times", "last_asked", "best_score")
        return [dict(zip(keys, r, strict=True)) for r in rows]

    def feedback_summary(
        self, recent: int = 10, groups: tuple[str, ...] | None = None
    ) -> dict[str, Any]:
        """Counts of helpful and unhelpful answers, and the latest comments (as the viewer's
        groups allow)."""
        where, params = asker_clause(groups)
        with self._lock:
            total, helpful = self.conn.execute(
                FEEDBACK_SUMMARY.format(where=where), params
            ).fetchone()
            rows = self.conn.execute(
                RECENT_FEEDBACK.format(where=where), [*params, recent]
            ).fetchall()
        keys = ("created", "question", "helpful", "comment")
        return {
            "total": int(total), "helpful": int(helpful), "unhelpful": int(total) - int(helpful),
            "recent": [dict(zip(keys, r, strict=True)) | {"helpful": bool(r[2])} for r in rows],
        }  # fmt: skip

    def question_counts(self, groups: tuple[str, ...] | None = None) -> dict[str, Any]:
        """How many questions were asked, abstained on, and their mean latency."""
        where, params = asker_clause(groups)
        with self._lock:
            total, abstained, latency = self.conn.execute(
                QUESTION_COUNTS.format(where=where), params
            ).fetchone()
        return {"asked": int(total), "abstained": int(abstained),
                "mean_latency_ms": round(latency or 0.0, 1)}  # fmt: skip

    def stale_documents(self, today: str, filters: Filters | None = None) -> list[dict[str, Any]]:
        """Documents whose review date has passed."""
        where, params = filter_clause(filters or Filters())
        with self._lock:
            rows = self.conn.execute(STALE_DOCUMENTS.format(where=where), [today, *params])
            keys = ("id", "title", "source", "review_by")
            return [dict(zip(keys, r, strict=True)) for r in rows.fetchall()]

    def list_documents(
        self, filters: Filters, limit: int, offset: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of documents (newest first) with their owners, and the total count."""
        where, params = filter_clause(filters)
        with self._lock:
            total = self.conn.execute(
                COUNT_DOCUMENTS_FILTERED.format(where=where), params
            ).fetchone()[0]
            rows = self.conn.execute(
                LIST_DOCUMENTS.format(where=where), [*params, limit, offset]
            ).fetchall()
        keys = ("id", "title", "source", "kind", "created", "updated", "review_by", "tags",
                "team", "groups", "chunks", "owners")  # fmt: skip
        out = []
        for row in rows:
            item = dict(zip(keys, row, strict=True))
            item["tags"] = json.loads(item["tags"])
            item["groups"] = json.loads(item["groups"])
            item["owners"] = sorted((item["owners"] or "").split(",")) if item["owners"] else []
            out.append(item)
        return int(total), out

    def people_with_counts(self, filters: Filters | None = None) -> list[dict[str, Any]]:
        """People who have evidence on readable documents, most documents first."""
        filters = filters or Filters()
        where, params = filter_clause(filters)
        with self._lock:
            rows = self.conn.execute(PEOPLE_WITH_COUNTS.format(where=where), params).fetchall()
        known = self.known_names(filters)
        return [
            {"id": r[0], "name": r[1],
             "aliases": shown_aliases(json.loads(r[2]), None if known is None
                                      else known.get(r[0], set())),
             "teams": json.loads(r[3]), "documents": int(r[4])}
            for r in rows
        ]  # fmt: skip

    def known_names(self, filters: Filters) -> dict[str, set[str]] | None:
        """By person id, the names a caller may learn of each person: those the people
        directory gives and those readable documents use. None for an unrestricted caller."""
        if filters.groups is None:
            return None
        where, params = filter_clause(filters)
        with self._lock:
            listed = self.conn.execute(DIRECTORY_ALIASES).fetchall()
            mentions = self.conn.execute(READABLE_MENTIONS.format(where=where), params).fetchall()
        known: dict[str, set[str]] = {}
        for person_id, names in listed:
            known.setdefault(person_id, set()).update(name_key(n) for n in json.loads(names))
        for person_id, mention in mentions:
            known.setdefault(person_id, set()).update(mention_keys(mention))
        return known

    def person(self, person_id: str) -> Person | None:
        """One person, or None."""
        with self._lock:
            r = self.conn.execute(PERSON_BY_ID, (person_id,)).fetchone()
        if r is None:
            return None
        return Person(id=r[0], name=r[1], aliases=tuple(json.loads(r[2])),
                      teams=tuple(json.loads(r[3])))  # fmt: skip

    def evidence_of_person(
        self, person_id: str, filters: Filters | None = None
    ) -> list[dict[str, Any]]:
        """Every document a person has a role on, newest first."""
        where, params = filter_clause(filters or Filters())
        with self._lock:
            rows = self.conn.execute(
                EVIDENCE_OF_PERSON.format(where=where), [person_id, *params]
            ).fetchall()
        keys = ("document_id", "title", "kind", "source", "updated", "tags", "role", "share",
                "detail")  # fmt: skip
        out = []
        for row in rows:
            item = dict(zip(keys, row, strict=True))
            item["tags"] = json.loads(item["tags"])
            out.append(item)
        return out
