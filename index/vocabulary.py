"""The words of the knowledge base as one caller may read them: the text of every readable
chunk with its heading path (a title or heading is read as much as the text) and its
language, read once per generation by the question's spelling correction and acronym
learning (`kenning.qa.lexicon`)."""

from __future__ import annotations

from collections.abc import Iterator

from kenning.index.filters import filter_clause
from kenning.index.store import Store
from kenning.schema import Filters

CHUNK_TEXTS = """
SELECT c.rowid, c.text || char(10) || c.location, c.lang
FROM chunks c JOIN documents d ON d.id = c.document_id
WHERE c.rowid > ? {where} ORDER BY c.rowid LIMIT ?
"""
BATCH = 2000


def readable_chunk_texts(store: Store, filters: Filters) -> Iterator[tuple[str, str]]:
    """The text and heading path of every chunk the filters (a caller's groups) allow, with
    its language ("" when unknown), in batches so that the store's lock is not held for the
    whole read."""
    where, params = filter_clause(filters)
    sql = CHUNK_TEXTS.format(where=where)
    last = -1
    while True:
        with store._lock:
            rows = store.conn.execute(sql, [last, *params, BATCH]).fetchall()
        for row in rows:
            yield str(row[1] or ""), str(row[2] or "")
        if len(rows) < BATCH:
            return
        last = int(rows[-1][0])
