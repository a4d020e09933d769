"""The log of asked questions and of ratings: the knowledge-gap report and feedback counts.

Each entry records its asker's groups, and a viewer sees only entries of askers who could
read nothing the viewer cannot (`filters.asker_clause`).
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from kenning.index.database import now_iso, select
from kenning.index.filters import asker_clause

INSERT_QUESTION = """
INSERT INTO questions (asked_at, question, abstained, best_score, latency_ms, answerer,
                       asker_groups)
VALUES (?, ?, ?, ?, ?, ?, ?)
"""
INSERT_FEEDBACK = """
INSERT INTO feedback (created, question, helpful, comment, asker_groups) VALUES (?, ?, ?, ?, ?)
"""
KNOWLEDGE_GAPS = """
SELECT question, COUNT(*) AS times, MAX(asked_at) AS last_asked, MAX(best_score) AS best_score
FROM questions WHERE (abstained = 1 OR best_score < ?) {where}
GROUP BY lower(question) ORDER BY times DESC, last_asked DESC LIMIT ?
"""
FEEDBACK_SUMMARY = """
SELECT COUNT(*) AS total, COALESCE(SUM(helpful), 0) AS helpful FROM feedback WHERE 1 = 1 {where}
"""
RECENT_FEEDBACK = """
SELECT created, question, helpful, comment FROM feedback WHERE 1 = 1 {where}
ORDER BY id DESC LIMIT ?
"""
QUESTION_COUNTS = """
SELECT COUNT(*) AS asked, COALESCE(SUM(abstained), 0) AS abstained, AVG(latency_ms) AS latency
FROM questions WHERE 1 = 1 {where}
"""


class QuestionLog:
    """Questions and ratings; a part of `Store`, whose connection, lock and log writes it
    uses."""

    conn: sqlite3.Connection
    _lock: threading.RLock

    if TYPE_CHECKING:

        def log_write(self) -> AbstractContextManager[sqlite3.Connection]: ...

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
            sql = KNOWLEDGE_GAPS.format(where=where)
            rows = select(self.conn, sql, [low_score, *params, limit])
        return [dict(row) for row in rows]

    def feedback_summary(
        self, recent: int = 10, groups: tuple[str, ...] | None = None
    ) -> dict[str, Any]:
        """Counts of helpful and unhelpful answers, and the latest comments (as the viewer's
        groups allow)."""
        where, params = asker_clause(groups)
        with self._lock:
            (counts,) = select(self.conn, FEEDBACK_SUMMARY.format(where=where), params)
            rows = select(self.conn, RECENT_FEEDBACK.format(where=where), [*params, recent])
        total, helpful = int(counts["total"]), int(counts["helpful"])
        return {
            "total": total, "helpful": helpful, "unhelpful": total - helpful,
            "recent": [dict(row) | {"helpful": bool(row["helpful"])} for row in rows],
        }  # fmt: skip

    def question_counts(self, groups: tuple[str, ...] | None = None) -> dict[str, Any]:
        """How many questions were asked, abstained on, and their mean latency."""
        where, params = asker_clause(groups)
        with self._lock:
            (row,) = select(self.conn, QUESTION_COUNTS.format(where=where), params)
        return {"asked": int(row["asked"]), "abstained": int(row["abstained"]),
                "mean_latency_ms": round(row["latency"] or 0.0, 1)}  # fmt: skip


def _groups_json(groups: tuple[str, ...] | None) -> str | None:
    return None if groups is None else json.dumps(sorted(groups))
