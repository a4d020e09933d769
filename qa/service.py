"""Answering a question: retrieve, answer (extractive or LLM), rank experts, log.

`QAService` is the Python API the HTTP routes and the UI call.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal, Protocol

from kenning.config import Settings
from kenning.index.embeddings import Embedder
from kenning.index.retriever import Retrieval
from kenning.index.store import Store
from kenning.qa import llm as llm_answerer
from kenning.qa.citations import check_answer, renumber
from kenning.qa.experts import rank_experts
from kenning.qa.extractive import choose_sentences
from kenning.schema import AskResponse, Citation, Expert, Filters, Hit, IngestReport

Answerer = Literal["extractive", "llm"]
ABSTAIN_MESSAGE = (
    "I could not find a confident answer to that in the knowledge base."
)


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


class QAService:
    """Answers questions over one knowledge base."""

    def __init__(self, kb: KnowledgeBaseLike) -> None:
        self.kb = kb
        self.settings = kb.settings
        self._chat_model: Any = None

    @property
    def chat_model(self) -> Any:
        """The configured LLM, created on first use."""
        if self._chat_model is None:
            self._chat_model = llm_answerer.create_chat_model(self.settings)
        return self._chat_model

    def validate_question(self, question: str) -> str:
        """The question stripped, or a ValueError saying what is wrong with it."""
        question = (question or "").strip()
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
        retrieval = self.kb.retrieve(topic, k=10, filters=filters)
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
        retrieval = self.kb.retrieve(question, k=k, filters=filters)
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
        self.kb.store.log_question(question, abstained, round(best, 4), timings["total"], chosen)
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
