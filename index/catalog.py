"""What the API and the UI list: documents, their chunks, people and their evidence, counts.

Every view takes the caller's filters (their groups above all) and shows only what they
allow, down to the names a person is shown under (`known_names`, `shown_aliases`).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Sequence
from typing import Any

from kenning.index.database import select
from kenning.index.filters import filter_clause
from kenning.schema import Chunk, Filters, Person

COUNT_CHUNKS = "SELECT COUNT(*) FROM chunks"
COUNT_DOCUMENTS = "SELECT COUNT(*) FROM documents"
COUNT_PEOPLE_WITH_EVIDENCE = "SELECT COUNT(DISTINCT person_id) FROM evidence"
DOCUMENTS_BY_KIND = "SELECT kind, COUNT(*) FROM documents GROUP BY kind ORDER BY kind"
CHUNKS_BY_LANGUAGE = "SELECT lang, COUNT(*) FROM chunks GROUP BY lang ORDER BY lang"
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
       d.groups_ AS "groups",
       (SELECT COUNT(*) FROM chunks c WHERE c.document_id = d.id) AS chunks,
       (SELECT group_concat(DISTINCT p.name) FROM evidence e JOIN people p ON p.id = e.person_id
        WHERE e.document_id = d.id AND e.role = 'owner') AS owners
FROM documents d WHERE 1 = 1 {where}
ORDER BY COALESCE(d.updated, d.created) DESC, d.title
LIMIT ? OFFSET ?
"""
COUNT_DOCUMENTS_FILTERED = "SELECT COUNT(*) FROM documents d WHERE 1 = 1 {where}"
DOCUMENT_BY_ID = "SELECT * FROM documents d WHERE d.id = ? {where}"
CHUNKS_OF_DOCUMENT = """
SELECT id, document_id, ord, text, location, heading, page, start, "end", speakers
FROM chunks WHERE document_id = ? ORDER BY ord
"""
CHUNK_TEXTS_OF_DOCUMENT = "SELECT text FROM chunks WHERE document_id = ? ORDER BY ord LIMIT ?"
ALL_PEOPLE = "SELECT id, name, aliases, teams FROM people ORDER BY name"
PERSON_BY_ID = "SELECT id, name, aliases, teams FROM people WHERE id = ?"
PEOPLE_WITH_COUNTS = """
SELECT p.id, p.name, p.aliases, p.teams, COUNT(DISTINCT e.document_id) AS documents
FROM people p JOIN evidence e ON e.person_id = p.id
JOIN documents d ON d.id = e.document_id
WHERE 1 = 1 {where}
GROUP BY p.id ORDER BY documents DESC, p.name
"""
EVIDENCE_OF_DOCUMENTS = """
SELECT e.document_id, e.person_id, p.name, e.role, e.weight, e.share, e.mention, e.detail
FROM evidence e JOIN people p ON p.id = e.person_id JOIN documents d ON d.id = e.document_id
WHERE e.document_id IN ({placeholders}) {where}
"""
EVIDENCE_OF_PERSON = """
SELECT d.id AS document_id, d.title, d.kind, d.source, d.updated, d.tags, e.role, e.share,
       e.detail
FROM evidence e JOIN documents d ON d.id = e.document_id
WHERE e.person_id = ? {where}
ORDER BY COALESCE(d.updated, d.created) DESC, d.id, e.role, e.detail
"""
DIRECTORY_ALIASES = "SELECT id, directory_aliases FROM people"
# How readable documents name people ({where} from filter_clause): what a caller may learn of
# a person's other names.
READABLE_MENTIONS = """
SELECT DISTINCT e.person_id, e.mention FROM evidence e JOIN documents d ON d.id = e.document_id
WHERE e.mention != '' {where}
"""

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


def _person(row: sqlite3.Row) -> Person:
    return Person(id=row["id"], name=row["name"], aliases=tuple(json.loads(row["aliases"])),
                  teams=tuple(json.loads(row["teams"])))  # fmt: skip


class CatalogViews:
    """Listings of documents and people; a part of `Store`, whose connection and lock it
    uses."""

    conn: sqlite3.Connection
    _lock: threading.RLock

    def count_chunks(self) -> int:
        """How many chunks are stored."""
        with self._lock:
            return int(self.conn.execute(COUNT_CHUNKS).fetchone()[0])

    def chunks_by_language(self) -> dict[str, int]:
        """How many chunks are in each detected language ("" for undetected)."""
        with self._lock:
            return dict(self.conn.execute(CHUNKS_BY_LANGUAGE).fetchall())

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

    def list_documents(
        self, filters: Filters, limit: int, offset: int
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of documents (newest first) with their owners, and the total count."""
        where, params = filter_clause(filters)
        with self._lock:
            total = self.conn.execute(
                COUNT_DOCUMENTS_FILTERED.format(where=where), params
            ).fetchone()[0]
            rows = select(self.conn, LIST_DOCUMENTS.format(where=where), [*params, limit, offset])
        out = []
        for row in rows:
            item = dict(row)
            item["tags"] = json.loads(item["tags"])
            item["groups"] = json.loads(item["groups"])
            item["owners"] = sorted((item["owners"] or "").split(",")) if item["owners"] else []
            out.append(item)
        return int(total), out

    def stale_documents(self, today: str, filters: Filters | None = None) -> list[dict[str, Any]]:
        """Documents whose review date has passed."""
        where, params = filter_clause(filters or Filters())
        with self._lock:
            rows = select(self.conn, STALE_DOCUMENTS.format(where=where), [today, *params])
        return [dict(row) for row in rows]

    def document(
        self, document_id: str, filters: Filters | None = None
    ) -> dict[str, Any] | None:
        """A document's fields, or None (also when the filters, e.g. groups, exclude it)."""
        where, params = filter_clause(filters or Filters())
        with self._lock:
            rows = select(self.conn, DOCUMENT_BY_ID.format(where=where), [document_id, *params])
        if not rows:
            return None
        item = dict(rows[0])
        item["groups"] = json.loads(item.pop("groups_"))
        item["tags"] = json.loads(item["tags"])
        item["meta"] = json.loads(item["meta"])
        return item

    def chunks_of(self, document_id: str) -> list[Chunk]:
        """The chunks of a document, in order."""
        with self._lock:
            rows = select(self.conn, CHUNKS_OF_DOCUMENT, (document_id,))
        return [Chunk(**(dict(row) | {"speakers": tuple(json.loads(row["speakers"]))}))
                for row in rows]  # fmt: skip

    def texts_of(self, document_id: str, most: int) -> list[str] | None:
        """The texts of a document's chunks, in order; None when it has more than `most`."""
        with self._lock:
            rows = self.conn.execute(CHUNK_TEXTS_OF_DOCUMENT, (document_id, most + 1)).fetchall()
        return None if len(rows) > most else [row[0] for row in rows]

    def people(self) -> list[Person]:
        """Everyone stored."""
        with self._lock:
            rows = select(self.conn, ALL_PEOPLE)
        return [_person(row) for row in rows]

    def person(self, person_id: str) -> Person | None:
        """One person, or None."""
        with self._lock:
            rows = select(self.conn, PERSON_BY_ID, (person_id,))
        return _person(rows[0]) if rows else None

    def people_with_counts(self, filters: Filters | None = None) -> list[dict[str, Any]]:
        """People who have evidence on readable documents, most documents first."""
        filters = filters or Filters()
        where, params = filter_clause(filters)
        with self._lock:
            rows = select(self.conn, PEOPLE_WITH_COUNTS.format(where=where), params)
        known = self.known_names(filters)
        return [
            {"id": row["id"], "name": row["name"],
             "aliases": shown_aliases(json.loads(row["aliases"]), None if known is None
                                      else known.get(row["id"], set())),
             "teams": json.loads(row["teams"]), "documents": int(row["documents"])}
            for row in rows
        ]  # fmt: skip

    def known_names(self, filters: Filters) -> dict[str, set[str]] | None:
        """By person id, the names a caller may learn of each person: those the people
        directory gives and those readable documents use. None for an unrestricted caller."""
        if filters.groups is None:
            return None
        where, params = filter_clause(filters)
        with self._lock:
            listed = select(self.conn, DIRECTORY_ALIASES)
            mentions = select(self.conn, READABLE_MENTIONS.format(where=where), params)
        known: dict[str, set[str]] = {}
        for row in listed:
            names = json.loads(row["directory_aliases"])
            known.setdefault(row["id"], set()).update(name_key(n) for n in names)
        for row in mentions:
            known.setdefault(row["person_id"], set()).update(mention_keys(row["mention"]))
        return known

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
        with self._lock:
            rows = select(self.conn, sql, [*document_ids, *params])
        return [dict(row) for row in rows]

    def evidence_of_person(
        self, person_id: str, filters: Filters | None = None
    ) -> list[dict[str, Any]]:
        """Every document a person has a role on, newest first."""
        where, params = filter_clause(filters or Filters())
        with self._lock:
            rows = select(self.conn, EVIDENCE_OF_PERSON.format(where=where), [person_id, *params])
        return [dict(row) | {"tags": json.loads(row["tags"])} for row in rows]
