"""Answering a question: retrieve, answer (extractive or LLM), rank experts, log.

`QAService` is the Python API the HTTP routes and the UI call. Each instance is bound to one
`Principal`, and every read it offers (retrieval, documents, people, stats, gaps, feedback)
passes that principal's groups down to the store's queries: routes and UI tabs never touch
the store themselves, so none of them can forget the caller's groups.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict, replace
from datetime import date
from pathlib import Path
from typing import Any, Literal, Protocol

from kenning.config import Principal, Settings
from kenning.errors import ForbiddenError, NotFoundError
from kenning.index.embeddings import Embedder
from kenning.index.retriever import Retrieval
from kenning.index.store import Store, shown_aliases
from kenning.qa import llm as llm_answerer
from kenning.qa.citations import check_answer, renumber
from kenning.qa.experts import rank_experts
from kenning.qa.extractive import choose_sentences
from kenning.schema import (
    AskResponse,
    Citation,
    Expert,
    Filters,
    Hit,
    IngestReport,
    check_text,
)

Answerer = Literal["extractive", "llm"]
ABSTAIN_MESSAGE = (
    "I could not find a confident answer to that in the knowledge base."
)
# How far above the abstain threshold an answer still counts as a knowledge gap.
LOW_CONFIDENCE_MARGIN = 0.1
# Whoever uses the Python API or the CLI holds the files: they read everything.
LOCAL = Principal("local", None, admin=True)
OWNED_ROLES = ("owner", "author", "reviewer")


class KnowledgeBaseLike(Protocol):
    """What answering needs from a knowledge base (`kenning.KnowledgeBase` provides it)."""

    settings: Settings
    store: Store

    @property
    def embedder(self) -> Embedder:
        """The embedding model."""
        ...

    def retrieve(self, query: str, k: int = 5, filters: Filters | None = None) -> Retrieval:
        """Hits plus scores."""
        ...

    def ingest(self, paths: list[str | Path], **kwargs: Any) -> IngestReport:
        """Ingest files."""
        ...

    def delete(self, document_id: str) -> bool:
        """Delete a document."""
        ...


def _citation(hit: Hit, n: int) -> Citation:
    return Citation(**{**asdict(hit), "n": n})


def _abstain_text(experts: list[Expert]) -> str:
    if not experts:
        return ABSTAIN_MESSAGE
    names = ", ".join(e.name for e in experts[:3])
    return f"{ABSTAIN_MESSAGE} The people most likely to know: {names}."


class _Shared:
    """What every principal's service shares: the LLM, created on first use."""

    def __init__(self) -> None:
        self.chat_model: Any = None


class QAService:
    """Answers questions over one knowledge base, showing one principal what they may read.

    Args:
        kb: the knowledge base.
        principal: who is asking; default: a local user who reads everything.
    """

    def __init__(
        self, kb: KnowledgeBaseLike, principal: Principal = LOCAL, shared: _Shared | None = None
    ) -> None:
        self.kb = kb
        self.settings = kb.settings
        self.principal = principal
        self._shared = shared or _Shared()

    def for_principal(self, principal: Principal) -> QAService:
        """The same service, seen by another principal."""
        return QAService(self.kb, principal, self._shared)

    @property
    def chat_model(self) -> Any:
        """The configured LLM, created on first use."""
        if self._chat_model is None:
            self._chat_model = llm_answerer.create_chat_model(self.settings)
        return self._chat_model

    @property
    def _chat_model(self) -> Any:
        return self._shared.chat_model

    @_chat_model.setter
    def _chat_model(self, model: Any) -> None:  # tests hand in a model loaded once
        self._shared.chat_model = model

    # ---- access -------------------------------------------------------------------------

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
            raise ForbiddenError(f"{action} needs an admin API key")

    def retrieve(self, query: str, k: int = 5, filters: Filters | None = None) -> Retrieval:
        """Hybrid retrieval over the readable documents."""
        return self.kb.retrieve(query, k=k, filters=self.scope(filters))

    def documents(
        self, filters: Filters | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[int, list[dict[str, Any]]]:
        """A page of readable documents (newest first) with owners, and their total count."""
        return self.kb.store.list_documents(self.scope(filters), limit, offset)

    def document(self, document_id: str) -> dict[str, Any]:
        """A readable document's metadata, people and chunks.

        Raises:
            NotFoundError: no such document, or one the principal may not read (the same
                answer, so that ids do not reveal what exists).
        """
        found = self.kb.store.document(document_id, self.scope())
        if found is None:
            raise NotFoundError(f"no document with id {document_id!r}")
        found["people"] = self.kb.store.evidence_of([document_id], self.scope())
        found["chunks"] = [chunk.__dict__ for chunk in self.kb.store.chunks_of(document_id)]
        return found

    def source_path(self, document_id: str) -> Path:
        """The stored source file of a readable document.

        Raises:
            NotFoundError: no such readable document, or its file is gone.
        """
        found = self.kb.store.document(document_id, self.scope())
        path = Path(found["source"]) if found else None
        if path is None or not path.is_file():
            raise NotFoundError(f"no source file for document {document_id!r}")
        return path

    def evidence_of(self, document_ids: list[str]) -> list[dict[str, Any]]:
        """The people and roles on the readable ones of these documents."""
        return self.kb.store.evidence_of(document_ids, self.scope())

    def people(self) -> list[dict[str, Any]]:
        """People with a role on a readable document, most documents first."""
        return self.kb.store.people_with_counts(self.scope())

    def person(self, person_id: str) -> dict[str, Any]:
        """A person and their roles on readable documents (newest first).

        Raises:
            NotFoundError: no such person, or one known only from unreadable documents.
        """
        found = self.kb.store.person(person_id)
        evidence = self.kb.store.evidence_of_person(person_id, self.scope())
        if found is None or (self.principal.groups is not None and not evidence):
            raise NotFoundError(f"no person with id {person_id!r}")
        known = self.kb.store.known_names(self.scope())
        shown = None if known is None else known.get(found.id, set())
        aliases = shown_aliases(found.aliases, shown)
        return {"id": found.id, "name": found.name, "aliases": aliases,
                "teams": list(found.teams), "evidence": evidence}  # fmt: skip

    def knowledge_gaps(self, limit: int = 20) -> list[dict[str, Any]]:
        """Questions abstained on or answered weakly, asked by callers no wider than this one."""
        low = self.settings.abstain_threshold + LOW_CONFIDENCE_MARGIN
        return self.kb.store.knowledge_gaps(low, limit, self.groups)

    def feedback_summary(self, recent: int = 10) -> dict[str, Any]:
        """Ratings of answers, as `knowledge_gaps` scopes questions."""
        return self.kb.store.feedback_summary(recent, self.groups)

    def add_feedback(self, question: str, helpful: bool, comment: str = "") -> None:
        """Store a rating of an answer, with the principal's groups."""
        self.kb.store.add_feedback(question, helpful, comment, self.groups)

    def counts(self) -> dict[str, Any]:
        """Readable documents (by kind), passages and people."""
        return self.kb.store.stats(self.scope())

    def stats(self) -> dict[str, Any]:
        """Counts, stale documents, questions, knowledge gaps and feedback, all as readable."""
        scope = self.scope()
        return {
            **self.counts(),
            "stale_documents": self.kb.store.stale_documents(date.today().isoformat(), scope),
            "questions": self.kb.store.question_counts(self.groups),
            "knowledge_gaps": self.knowledge_gaps(),
            "feedback": self.feedback_summary(),
        }

    def delete(self, document_id: str) -> None:
        """Delete a readable document (admins only).

        Raises:
            ForbiddenError: the principal is not an admin.
            NotFoundError: no such readable document.
        """
        self.require_admin("deleting documents")
        if self.kb.store.document(document_id, self.scope()) is None:
            raise NotFoundError(f"no document with id {document_id!r}")
        if not self.kb.delete(document_id):
            raise NotFoundError(f"no document with id {document_id!r}")

    def ingest(self, paths: list[Path], groups: list[str] | None = None) -> IngestReport:
        """Ingest files (admins only), readable by `groups` when given."""
        self.require_admin("adding documents")
        return self.kb.ingest(list(paths), groups=groups)

    # ---- answers ------------------------------------------------------------------------

    def validate_question(self, question: str) -> str:
        """The question stripped, or a ValueError saying what is wrong with it."""
        question = check_text(question or "").strip()
        if not question:
            raise ValueError("question is empty")
        if len(question) > self.settings.max_question_chars:
            raise ValueError(
                f"question is {len(question)} characters; the limit is "
                f"{self.settings.max_question_chars} (KENNING_MAX_QUESTION_CHARS)"
            )
        return question

    def pick_answerer(self, answerer: str | None) -> Answerer:
        """The answerer to run: the one asked for, else the LLM when one is configured."""
        if answerer is None:
            return "llm" if self.settings.llm else "extractive"
        if answerer not in ("extractive", "llm"):
            raise ValueError(f"unknown answerer {answerer!r}; valid: extractive, llm")
        if answerer == "llm" and not self.settings.llm:
            raise ValueError("answerer 'llm' needs an LLM configured (KENNING_LLM)")
        return answerer  # type: ignore[return-value]

    def best_score(self, retrieval: Retrieval) -> float:
        """The best cosine similarity between the question and a retrieved passage."""
        scores = [retrieval.dense_scores.get(r, 0.0) for r in retrieval.rowids]
        return max(scores, default=0.0)

    def experts(self, topic: str, k: int = 5, filters: Filters | None = None) -> list[Expert]:
        """The people most likely to know about a topic."""
        topic = self.validate_question(topic)
        retrieval = self.retrieve(topic, k=10, filters=filters)
        return rank_experts(retrieval, self.kb.store, k)

    def ask(
        self,
        question: str,
        k: int = 5,
        filters: Filters | None = None,
        answerer: str | None = None,
    ) -> AskResponse:
        """Answer a question with citations and experts; logs it for the knowledge-gap report."""
        response: AskResponse | None = None
        for event, data in self.ask_events(question, k, filters, answerer):
            if event == "answer":
                response = data
        assert response is not None
        return response

    def ask_events(
        self,
        question: str,
        k: int = 5,
        filters: Filters | None = None,
        answerer: str | None = None,
    ) -> Iterator[tuple[str, Any]]:
        """Answer step by step: ("token", text) pieces as they come, then ("answer", response)."""
        started = time.perf_counter()
        question = self.validate_question(question)
        chosen = self.pick_answerer(answerer)
        timings: dict[str, float] = {}
        retrieval = self.retrieve(question, k=k, filters=filters)
        timings["retrieve"] = _ms(started)
        mark = time.perf_counter()
        experts = rank_experts(retrieval, self.kb.store, 5)
        timings["experts"] = _ms(mark)
        best = self.best_score(retrieval)
        mark = time.perf_counter()
        if not retrieval.hits or best < self.settings.abstain_threshold:
            text, citations, abstained = _abstain_text(experts), [], True
            yield "token", text
        elif chosen == "llm":
            text, citations = yield from self._answer_llm(question, retrieval.hits)
            abstained = not citations
            if abstained:
                text = _abstain_text(experts)
        else:
            text, citations = self._answer_extractive(question, retrieval.hits)
            abstained = not citations
            if abstained:
                text = _abstain_text(experts)
            yield "token", text
        timings["answer"] = _ms(mark)
        timings["total"] = _ms(started)
        self.kb.store.log_question(
            question, abstained, round(best, 4), timings["total"], chosen, self.groups
        )
        yield "answer", AskResponse(
            answer=text, citations=citations, experts=experts, abstained=abstained,
            timings_ms=timings, answerer=chosen,
        )  # fmt: skip

    def _answer_extractive(self, question: str, hits: list[Hit]) -> tuple[str, list[Citation]]:
        extract = choose_sentences(
            question, hits, self.kb.embedder, self.settings.answer_sentences
        )
        numbers: dict[int, int] = {}
        parts: list[str] = []
        for sentence in extract.sentences:
            n = numbers.setdefault(sentence.hit_index, len(numbers) + 1)
            text = sentence.text.rstrip()
            if not text.endswith((".", "!", "?", "”", "…")):
                text += "."
            parts.append(f"{text} [{n}]")
        citations = [_citation(hits[i], n) for i, n in numbers.items()]
        return " ".join(parts), citations

    def _answer_llm(
        self, question: str, hits: list[Hit]
    ) -> Iterator[tuple[str, Any]]:
        pieces: list[str] = []
        for piece in llm_answerer.stream(self.chat_model, question, hits):
            pieces.append(piece)
            yield "token", piece
        checked = check_answer(
            "".join(pieces), hits, self.kb.embedder, self.settings.support_threshold
        )
        text = renumber(checked.text, checked.cited)
        citations = [_citation(hits[old - 1], new) for new, old in enumerate(checked.cited, 1)]
        return text, citations


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
