"""The SQLite file (index/database.py): schema, migrations of older files, reading rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from kenning.index.database import SCHEMA_VERSION, connect, select
from kenning.index.store import Store


def columns(conn: sqlite3.Connection, table: str) -> list[str]:
    return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]


def test_a_new_file_has_every_table_and_the_schema_version(tmp_path: Path) -> None:
    conn = connect(tmp_path / "kenning.sqlite")
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    assert {"meta", "documents", "chunks", "chunks_fts", "people", "evidence", "questions",
            "feedback"} <= tables  # fmt: skip
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert select(conn, "SELECT value FROM meta WHERE key = 'schema_version'")[0]["value"] == str(
        SCHEMA_VERSION
    )


def test_a_file_from_before_access_control_is_migrated_and_keeps_its_data(
    tmp_path: Path,
) -> None:
    path = tmp_path / "kenning.sqlite"
    Store(path).close()
    legacy = sqlite3.connect(path)
    for table in ("questions", "feedback"):
        legacy.execute(f"ALTER TABLE {table} DROP COLUMN asker_groups")
    legacy.execute("ALTER TABLE people DROP COLUMN directory_aliases")
    legacy.execute("INSERT INTO people (id, name) VALUES ('p1', 'Ada')")
    legacy.execute("INSERT INTO questions (asked_at, question, abstained, latency_ms, answerer) "
                   "VALUES ('2024-01-01', 'old question', 1, 5.0, 'extractive')")  # fmt: skip
    legacy.execute("DELETE FROM meta")
    legacy.commit()
    legacy.close()
    store = Store(path)
    assert "asker_groups" in columns(store.conn, "questions")
    assert "asker_groups" in columns(store.conn, "feedback")
    assert "directory_aliases" in columns(store.conn, "people")
    assert store.person("p1") is not None and store.get_meta("schema_version") == "1"
    # A question logged before access control had no asker: only unrestricted viewers see it.
    assert [g["question"] for g in store.knowledge_gaps(0.5)] == ["old question"]
    assert store.knowledge_gaps(0.5, groups=()) == []
    store.close()
    Store(path).close()  # migrating twice changes nothing


def test_rows_are_read_by_column_name(tmp_path: Path) -> None:
    conn = connect(tmp_path / "kenning.sqlite")
    (row,) = select(conn, "SELECT 1 AS one, 'two' AS two")
    assert dict(row) == {"one": 1, "two": "two"}
