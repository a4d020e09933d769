"""The SQLite file: its schema, the migrations of older files, opening it, reading rows.

SQLite is the source of truth; the FAISS index is a cache of the embeddings kept here and
can always be rebuilt from them, which is what makes writes crash-safe.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kenning.index.analysers import french_text

SCHEMA_VERSION = 1

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
    embedding BLOB NOT NULL,
    lang TEXT NOT NULL DEFAULT ''
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
TABLE_COLUMNS = "SELECT name FROM pragma_table_info(?)"
# Who asked (their readable groups, JSON; NULL: an unrestricted caller), so that a question or
# a rating is shown only to callers who could read everything its asker could.
ASKER_COLUMNS = ("questions", "feedback")
ADD_ASKER_COLUMN = "ALTER TABLE {table} ADD COLUMN asker_groups TEXT"
# The aliases a people directory file gave a person: shown to every caller. Other aliases
# were learnt from documents and are shown only to callers who may read one that names them.
ADD_DIRECTORY_ALIASES = "ALTER TABLE people ADD COLUMN directory_aliases TEXT NOT NULL DEFAULT '[]'"
# Each chunk's detected language ("" for chunks stored before languages were detected).
ADD_CHUNK_LANG = "ALTER TABLE chunks ADD COLUMN lang TEXT NOT NULL DEFAULT ''"
# The chunks analysed in French (see analysers.py); filled from the chunks when it is created.
TABLE_EXISTS = "SELECT 1 FROM sqlite_master WHERE name = ?"
CREATE_FRENCH_FTS = """
CREATE VIRTUAL TABLE IF NOT EXISTS chunks_fts_fr USING fts5(text, context, tokenize = 'unicode61')
"""
CHUNKS_WITH_CONTEXT = """
SELECT c.rowid, c.text, d.title || ' ' || c.heading
FROM chunks c JOIN documents d ON d.id = c.document_id
"""
INSERT_FRENCH_FTS = "INSERT INTO chunks_fts_fr (rowid, text, context) VALUES (?, ?, ?)"
SET_SCHEMA_VERSION = "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', ?)"


def connect(path: Path) -> sqlite3.Connection:
    """Open (or create) a knowledge base's SQLite file, migrated to the current schema.

    The connection may be used from any thread; callers serialise its use with a lock.
    """
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    migrate(conn)
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    """Create what is missing: the tables of a new file, the columns later versions added."""
    with conn:
        conn.executescript(SCHEMA)
        for table in ASKER_COLUMNS:  # knowledge bases made before access control
            if "asker_groups" not in _columns(conn, table):
                conn.execute(ADD_ASKER_COLUMN.format(table=table))
        if "directory_aliases" not in _columns(conn, "people"):
            conn.execute(ADD_DIRECTORY_ALIASES)
        if "lang" not in _columns(conn, "chunks"):  # made before languages were detected
            conn.execute(ADD_CHUNK_LANG)
        if not conn.execute(TABLE_EXISTS, ("chunks_fts_fr",)).fetchone():
            conn.execute(CREATE_FRENCH_FTS)
            rows = conn.execute(CHUNKS_WITH_CONTEXT).fetchall()
            conn.executemany(
                INSERT_FRENCH_FTS, [(r, french_text(t), french_text(c)) for r, t, c in rows]
            )
    with conn:
        conn.execute(SET_SCHEMA_VERSION, (str(SCHEMA_VERSION),))


def _columns(conn: sqlite3.Connection, table: str) -> set[str]:
    return {r[0] for r in conn.execute(TABLE_COLUMNS, (table,))}


def select(conn: sqlite3.Connection, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
    """The rows of a query, read by column name.

    Hot paths (BM25, rowid lists) read plain tuples instead: `sqlite3.Row` doubles the time
    of reading 200k rowids.
    """
    cursor = conn.cursor()
    cursor.row_factory = sqlite3.Row
    return cursor.execute(sql, params).fetchall()


def now_iso() -> str:
    """The current UTC time as an ISO string."""
    return datetime.now(UTC).replace(microsecond=0).isoformat()
