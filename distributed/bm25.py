"""BM25 over shards with the statistics of the whole knowledge base.

FTS5's `bm25()` takes its statistics from one table: the row count, the average row length
and, per query term, the rows holding it. Over shards each would be a shard's own, so the
same chunk would score differently in a shard than in the whole knowledge base. Here the
statistics are summed over the shards and every matching chunk is scored with them, by
FTS5's own formula (fts5_aux.c, `fts5Bm25Function`) evaluated in the same order, so that
the scores are the whole knowledge base's to the last bit and the merged ranking is its
ranking.

What a shard's FTS5 table gives: the rows matching a term with their one-term `bm25()`,
from which the weighted term frequency is recovered exactly (it is a multiple of the
smallest column weight); each row's length (the `_docsize` shadow table); the row count and
total length (the `_data` table's averages record).
"""

from __future__ import annotations

import math
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from kenning.index.lexical import fts_match

K1 = 1.2  # FTS5's bm25 constants
B = 0.75
# The column weights `index/lexical.py` ranks with: bm25(table, 1.0, 0.5). Weighted term
# frequencies are sums of these, so multiples of FREQUENCY_STEP.
COLUMN_WEIGHTS = (1.0, 0.5)
FREQUENCY_STEP = 0.5
IDF_FLOOR = 1e-6  # FTS5's IDF for terms in more than half the rows

TERM_SCORES = "SELECT rowid, bm25({table}, 1.0, 0.5) FROM {table} WHERE {table} MATCH ?"
AVERAGES = "SELECT block FROM {table}_data WHERE id = 1"
ROW_SIZES = "SELECT id, sz FROM {table}_docsize WHERE id IN ({placeholders})"
SQL_VARIABLES = 900


def idf(rows: int, hits: int) -> float:
    """FTS5's IDF of a term held by `hits` of `rows` rows."""
    value = math.log((rows - hits + 0.5) / (hits + 0.5))
    return value if value > 0.0 else IDF_FLOOR


def varints(blob: bytes) -> list[int]:
    """The SQLite varints of a blob (FTS5's records are made of them)."""
    values: list[int] = []
    i = 0
    while i < len(blob):
        value = 0
        for n in range(9):
            byte = blob[i]
            i += 1
            if n == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        values.append(value)
    return values


@dataclass
class TableTotals:
    """What a table's averages record holds: its row count and its length in tokens."""

    rows: int
    tokens: int

    @property
    def average_length(self) -> float:
        return self.tokens / self.rows if self.rows else 0.0


@dataclass
class Postings:
    """The rows of one shard holding one query term that may be returned, with the term's
    weighted frequency and each row's length; `holders` counts every row holding the term
    (the IDF counts them all, whatever the caller may read)."""

    rowids: np.ndarray  # int64
    frequencies: np.ndarray  # float64, weighted by column
    lengths: np.ndarray  # float64, tokens in the row (all columns)
    holders: int


@dataclass
class ShardTerms:
    """What one shard tells the merge about a query: its table's totals and, per query term
    in query order, its postings. Plain data, so a shard may compute it in another process."""

    totals: TableTotals
    postings: list[Postings]


class ShardTable:
    """One FTS5 table of one shard, read through its connection and lock."""

    def __init__(self, conn: sqlite3.Connection, lock: threading.RLock, table: str) -> None:
        self.conn = conn
        self.lock = lock
        self.table = table

    def totals(self) -> TableTotals:
        """The row count and total length of the table."""
        with self.lock:
            row = self.conn.execute(AVERAGES.format(table=self.table)).fetchone()
        values = varints(row[0]) if row and row[0] else []
        return TableTotals(values[0], sum(values[1:])) if values else TableTotals(0, 0)

    def terms(self, terms: list[str], allowed: np.ndarray | None = None) -> ShardTerms:
        """The totals and the postings of every term, keeping the `allowed` rows (None:
        all)."""
        totals = self.totals()
        return ShardTerms(totals, [self.postings(term, totals, allowed) for term in terms])

    def postings(
        self, term: str, totals: TableTotals, allowed: np.ndarray | None = None
    ) -> Postings:
        """The rows holding `term` (a word of `query_terms`, matched as FTS5 matches it), of
        them the `allowed` ones (None: all)."""
        with self.lock:
            rows = self.conn.execute(
                TERM_SCORES.format(table=self.table), [fts_match([term])]
            ).fetchall()
        holders = len(rows)
        rowids = np.array([r[0] for r in rows], dtype=np.int64)
        scores = np.array([r[1] for r in rows], dtype=np.float64)
        if allowed is not None and holders:
            keep = np.isin(rowids, allowed)
            rowids, scores = rowids[keep], scores[keep]
        if not len(rowids):
            empty = np.zeros(0)
            return Postings(np.zeros(0, dtype=np.int64), empty, empty, holders)
        lengths = self.lengths(rowids)
        # bm25 of a one-term query: -idf * f (k1 + 1) / (f + k1 L); solved for f.
        saturation = -scores / idf(totals.rows, holders)
        norm = 1 - B + B * lengths / totals.average_length
        frequencies = saturation * K1 * norm / (K1 + 1.0 - saturation)
        frequencies = np.round(frequencies / FREQUENCY_STEP) * FREQUENCY_STEP
        return Postings(rowids, frequencies, lengths, holders)

    def lengths(self, rowids: np.ndarray) -> np.ndarray:
        """Each row's length in tokens, all columns together."""
        sizes: dict[int, int] = {}
        ids = [int(r) for r in rowids]
        for start in range(0, len(ids), SQL_VARIABLES):
            part = ids[start : start + SQL_VARIABLES]
            sql = ROW_SIZES.format(table=self.table, placeholders=",".join("?" * len(part)))
            with self.lock:
                for rowid, blob in self.conn.execute(sql, part):
                    sizes[int(rowid)] = sum(varints(blob))
        return np.array([sizes.get(r, 0) for r in ids], dtype=np.float64)


def global_bm25(shards: Sequence[ShardTerms]) -> list[list[tuple[int, float]]]:
    """Every shard's returnable rows matching any term, scored with the statistics of all
    shards.

    Args:
        shards: per shard, its totals and postings (`ShardTable.terms`), the terms in query
            order (the order FTS5 sums them in).

    Returns:
        Per shard, (rowid, score) of its allowed matching rows, higher scores better; the
        score is the one FTS5 gives the row in a table holding every shard's rows.
    """
    rows = sum(s.totals.rows for s in shards)
    average = sum(s.totals.tokens for s in shards) / rows if rows else 0.0
    terms = len(shards[0].postings) if shards else 0
    idfs = [idf(rows, sum(s.postings[i].holders for s in shards)) for i in range(terms)]
    results: list[list[tuple[int, float]]] = []
    for shard in shards:
        shard_postings = shard.postings
        matched = (np.unique(np.concatenate([p.rowids for p in shard_postings]))
                   if shard_postings else np.zeros(0, dtype=np.int64))  # fmt: skip
        if not len(matched):
            results.append([])
            continue
        score = np.zeros(len(matched))
        lengths = np.zeros(len(matched))
        frequencies = []
        for posting in shard_postings:
            f = np.zeros(len(matched))
            at = np.searchsorted(matched, posting.rowids)
            f[at] = posting.frequencies
            lengths[at] = posting.lengths
            frequencies.append(f)
        for term_idf, f in zip(idfs, frequencies, strict=True):  # as fts5Bm25Function sums
            score += term_idf * ((f * (K1 + 1.0)) / (f + K1 * (1 - B + B * lengths / average)))
        results.append(list(zip(matched.tolist(), score.tolist(), strict=True)))
    return results
