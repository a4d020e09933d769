"""Lexical search: user text as a safe FTS5 query, and BM25 over the chunks.

User text reaches FTS5 `MATCH` only through `escape_fts_query()` (or `fts_match()` over
`query_terms()`), so FTS5 syntax in a question is never interpreted.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from typing import TYPE_CHECKING, Any

import numpy as np

from kenning.index.analysers import (
    FRENCH_STOPWORDS,
    FTS_TABLES,
    fold_accents,
    french_query_terms,
)
from kenning.index.filters import filter_clause
from kenning.schema import Filters

# Words that carry no meaning for BM25 in a question; dropped before FTS5 MATCH.
STOPWORDS = frozenset(
    "a an and are as at be but by can could did do does for from had has have how i if in "
    "into is it its me my of on or our so than that the their them then there these they "
    "this to was we were what when where which who whom why will with would you your about "
    "tell say said says discuss discussed talk talked".split()
)
WORD = re.compile(r"\w+", re.U)

# BM25 leaves out query terms found in more than this share of chunks, from this many chunks
# on (see LexicalSearch._without_common_terms); the rarest KEEP_RAREST terms always stay.
# QMSum val with it forced on (1.5k chunks): the hybrid's hit@5 -0.4, MRR@10 +0.4 points (n.s.);
# BM25 alone hit@5 0.877 -> 0.805 (0.835 at 0.1, 0.780 at 0.02).
COMMON_TERM_SHARE = 0.05
PRUNE_FROM_CHUNKS = 20_000
KEEP_RAREST = 2
DF_CACHE_SIZE = 50_000  # words whose document frequency is remembered until the store changes
# Filters allowing at least this share of chunks rank BM25 without the joins, then filter.
WIDE_FILTER_SHARE = 0.2

FTS_SEARCH = """
SELECT f.rowid, bm25({table}, 1.0, 0.5) AS score
FROM {table} f JOIN chunks c ON c.rowid = f.rowid JOIN documents d ON d.id = c.document_id
WHERE {table} MATCH ? {where}
ORDER BY score LIMIT ?
"""
# Without filters the joins are skipped: they cost more than BM25 itself when a question's
# words match most chunks (2.4x the time at 100k chunks).
FTS_SEARCH_ALL = """
SELECT rowid, bm25({table}, 1.0, 0.5) AS score FROM {table}
WHERE {table} MATCH ? ORDER BY score LIMIT ?
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
CLEAR_QUERY_WORDS = "DELETE FROM temp.query_words"
INSERT_QUERY_WORD = "INSERT INTO temp.query_words(rowid, word) VALUES (?, ?)"
QUERY_WORD_STEMS = "SELECT doc, term FROM temp.query_words_vocab"
STEM_FREQUENCIES = "SELECT term, doc FROM temp.chunks_vocab WHERE term IN ({placeholders})"


def query_terms(text: str, language: str = "en") -> list[str]:
    """The distinct lower-cased words of user text, stopwords dropped (unless that is all).

    `language` is the question's: a French question searched with the English analyser also
    drops French stopwords ("la", "des" would otherwise match every French passage)."""
    words = [w.lower() for w in WORD.findall(text)]
    terms = [w for w in words if w not in STOPWORDS] or words
    if language == "fr":
        terms = [w for w in terms if fold_accents(w) not in FRENCH_STOPWORDS] or terms
    return list(dict.fromkeys(terms))


def escape_fts_query(text: str) -> str:
    """User text as a safe FTS5 query: quoted terms joined by OR, stopwords dropped.

    FTS5 syntax (quotes, `NEAR`, `*`, column filters) in user text is never interpreted.
    """
    return fts_match(query_terms(text))


def fts_match(terms: list[str]) -> str:
    """Words (from `query_terms`: letters and digits only) as an FTS5 OR query."""
    return " OR ".join(f'"{w}"' for w in terms)


class LexicalSearch:
    """BM25 over the chunks' FTS5 table; a part of `Store`, whose connection, lock,
    generation, chunk count and rowid cache it uses."""

    conn: sqlite3.Connection
    _lock: threading.RLock

    if TYPE_CHECKING:

        @property
        def generation(self) -> int: ...

        def count_chunks(self) -> int: ...

        def filtered_rowids(
            self, filters: Filters, extra: str = "", params: list[Any] | None = None
        ) -> np.ndarray: ...

    def __init__(self) -> None:
        super().__init__()
        self.common_term_share = COMMON_TERM_SHARE  # set from Settings.bm25_common_share
        self._counted = (-1, 0)  # (generation, chunks) for _chunk_count
        self._query_tables = False  # the TEMP tables of _without_common_terms exist
        self._df_cache: tuple[int, dict[str, int]] = (-1, {})  # (generation, word -> chunks)

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
        """BM25 over FTS5: (chunk rowid, score) best first; higher scores are better.

        `extra` is a further condition on chunks `c` (such as `filters.PERSON_CHUNKS`) with
        its parameters in `extra_params`. `analyser` is the language whose analyser and FTS5
        table are used (one of `analysers.ANALYSERS`); `language` is the question's (the
        analyser's when empty).
        """
        if analyser not in FTS_TABLES:
            raise ValueError(f"unknown analyser {analyser!r}; valid: {', '.join(FTS_TABLES)}")
        table = FTS_TABLES[analyser]
        if analyser == "en":
            terms = query_terms(query, language or analyser)
            terms = self._without_common_terms(terms) if terms else terms
        else:
            terms = french_query_terms(query)
        if not terms:
            return []
        match = fts_match(terms)
        where, params = filter_clause(filters, chunk_level=True)
        if where and not extra:
            wide = self._lexical_wide_filter(match, limit, filters, table)
            if wide is not None:
                return wide
        sql = (FTS_SEARCH if where or extra else FTS_SEARCH_ALL).format(
            table=table, where=where + extra
        )
        with self._lock:
            values = [match, *params, *(extra_params or []), limit]
            rows = self.conn.execute(sql, values).fetchall()
        return [(int(r[0]), -float(r[1])) for r in rows]

    def _lexical_wide_filter(
        self, match: str, limit: int, filters: Filters, table: str = "chunks_fts"
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
            rows = self.conn.execute(FTS_SEARCH_ALL.format(table=table), [match, fetch]).fetchall()
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
            self.conn.execute(CLEAR_QUERY_WORDS)
            self.conn.executemany(INSERT_QUERY_WORD, enumerate(words))
        stem_of = dict(self.conn.execute(QUERY_WORD_STEMS).fetchall())
        stems = sorted(set(stem_of.values()))
        sql = STEM_FREQUENCIES.format(placeholders=",".join("?" * len(stems)))
        frequency = dict(self.conn.execute(sql, stems).fetchall())
        return {w: int(frequency.get(stem_of.get(i, ""), 0)) for i, w in enumerate(words)}

    def _chunk_count(self) -> int:
        """Chunks in the store, remembered until the store changes."""
        generation = self.generation
        if self._counted[0] != generation:
            self._counted = (generation, self.count_chunks())
        return self._counted[1]
