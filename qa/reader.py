"""What one caller may read of a knowledge base: documents, people, stats, gaps, feedback.

`ScopedReader` is bound to one `Principal`, and every read it offers passes that principal's
groups down to the store's queries: routes and UI tabs read through it and never touch the
store themselves, so none of them can forget the caller's groups.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

from kenning.config import Principal, Settings
from kenning.errors import ForbiddenError, NotFoundError
from kenning.index.catalog import shown_aliases
from kenning.index.store import Store
from kenning.schema import Filters

# The admin-only actions whose refusal has its own phrase in `kenning.errors.MESSAGES`.
ADMIN_ACTIONS = {"adding documents": "admin_to_add", "deleting documents": "admin_to_delete"}

# How far above the abstain threshold an answer still counts as a knowledge gap.
LOW_CONFIDENCE_MARGIN = 0.1
# Whoever uses the Python API or the CLI holds the files: they read everything.
LOCAL = Principal("local", None, admin=True)


class ScopedReader:
    """Reads of one knowledge base, as one principal may see them.

    Args:
        store: the knowledge base's store.
        settings: its settings (the abstain threshold sets what counts as a knowledge gap).
        principal: who is reading; default: a local user who reads everything.
    """

    def __init__(self, store: Store, settings: Settings, principal: Principal = LOCAL) -> None:
        self.store = store
        self.settings = settings
        self.principal = principal

    @property
    def groups(self) -> tuple[str, ...] | None:
        """The principal's readable groups, sorted; None: everything."""
        mine = self.principal.groups
        return None if mine is None else tuple(sorted(mine))

    def scope(self, filters: Filters | None = None) -> Filters:
        """The filters narrowed to what the principal may read. Groups asked for in the
        filters can only narrow the principal's own, never widen them."""
        filters = filters or Filters()
        mine = self.principal.groups
        if mine is None:
            return filters
        asked = mine if filters.groups is None else mine & set(filters.groups)
        return replace(filters, groups=tuple(sorted(asked)))

    def require_admin(self, action: str) -> None:
        """Raise ForbiddenError unless the principal has admin rights."""
        if not self.principal.admin:
            raise ForbiddenError(key=ADMIN_ACTIONS.get(action, "admin_needed"), action=action)

    def documents(
        self, filters: Filters | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of readable documents (newest first) with owners, and their total count."""
        return self.store.list_documents(self.scope(filters), limit, offset)

    def document(self, document_id: str) -> dict[str, Any]:
        """A readable document's metadata, people and chunks.

        Raises:
            NotFoundError: no such document, or one the principal may not read (the same
                answer, so that ids do not reveal what exists).
        """
        found = self.store.document(document_id, self.scope())
        if found is None:
            raise NotFoundError(key="no_document", id=document_id)
        found["people"] = self.store.evidence_of([document_id], self.scope())
        found["chunks"] = [chunk.__dict__ for chunk in self.store.chunks_of(document_id)]
        return found

    def readable(self, document_id: str) -> bool:
        """Whether the principal may read this document (False for unknown ids too)."""
        return self.store.document(document_id, self.scope()) is not None

    def source_path(self, document_id: str) -> Path:
        """The stored source file of a readable document.

        Raises:
            NotFoundError: no such readable document, or its file is gone.
        """
        found = self.store.document(document_id, self.scope())
        path = Path(found["source"]) if found else None
        if path is None or not path.is_file():
            raise NotFoundError(key="no_source_file", id=document_id)
        return path

    def evidence_of(self, document_ids: list[str]) -> list[dict[str, Any]]:
        """The people and roles on the readable ones of these documents."""
        return self.store.evidence_of(document_ids, self.scope())

    def people(self) -> list[dict[str, Any]]:
        """People with a role on a readable document, most documents first."""
        return self.store.people_with_counts(self.scope())

    def person(self, person_id: str) -> dict[str, Any]:
        """A person and their roles on readable documents (newest first); their aliases are
        those the people directory or a readable document gives.

        Raises:
            NotFoundError: no such person, or one known only from unreadable documents.
        """
        found = self.store.person(person_id)
        evidence = self.store.evidence_of_person(person_id, self.scope())
        if found is None or (self.principal.groups is not None and not evidence):
            raise NotFoundError(key="no_person", id=person_id)
        known = self.store.known_names(self.scope())
        shown = None if known is None else known.get(found.id, set())
        return {"id": found.id, "name": found.name,
                "aliases": shown_aliases(found.aliases, shown), "teams": list(found.teams),
                "evidence": evidence}  # fmt: skip

    def knowledge_gaps(self, limit: int = 20) -> list[dict[str, Any]]:
        """Questions abstained on or answered weakly, asked by callers no wider than this one."""
        low = self.settings.abstain_threshold + LOW_CONFIDENCE_MARGIN
        return self.store.knowledge_gaps(low, limit, self.groups)

    def feedback_summary(self, recent: int = 10) -> dict[str, Any]:
        """Ratings of answers, as `knowledge_gaps` scopes questions."""
        return self.store.feedback_summary(recent, self.groups)

    def add_feedback(self, question: str, helpful: bool, comment: str = "") -> None:
        """Store a rating of an answer, with the principal's groups."""
        self.store.add_feedback(question, helpful, comment, self.groups)

    def log_question(
        self, question: str, abstained: bool, best_score: float | None, latency_ms: float,
        answerer: str,
    ) -> None:
        """Record an asked question with the principal's groups (for the knowledge-gap report)."""
        self.store.log_question(question, abstained, best_score, latency_ms, answerer,
                                self.groups)  # fmt: skip

    def counts(self) -> dict[str, Any]:
        """Readable documents (by kind), passages and people."""
        return self.store.stats(self.scope())

    def stats(self) -> dict[str, Any]:
        """Counts, stale documents, questions, knowledge gaps and feedback, all as readable."""
        scope = self.scope()
        return {
            **self.counts(),
            "stale_documents": self.store.stale_documents(date.today().isoformat(), scope),
            "questions": self.store.question_counts(self.groups),
            "knowledge_gaps": self.knowledge_gaps(),
            "feedback": self.feedback_summary(),
        }
