"""The systems an evaluation runs, each answering one golden question at a time.

`kenning` is the knowledge base as a user gets it (search, then `ask`, then its experts);
`kenning-search` its retrieval alone (quick sweeps); `kenning-dense` and `kenning-bm25` its
retrieval with the other ranking switched off;
`langchain`, `langchain-sentence` and `bm25` are the common pipelines in `eval/baselines.py`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from kenning import KnowledgeBase
from kenning.eval.baselines import (
    BaselineIndex,
    best_sentence,
    lead_sentences,
    most_frequent_speakers,
)

SYSTEMS = ("kenning", "kenning-search", "kenning-dense", "kenning-bm25", "langchain",
           "langchain-sentence", "bm25")  # fmt: skip
BASELINES = ("langchain", "langchain-sentence", "bm25")
SENTENCE_FROM = 3  # `langchain-sentence` picks its sentence from this many top chunks
DEPTH = 10  # passages ranked per question (mrr@10, ndcg@10)
ANSWER_K = 5  # passages an answer is built from
KEPT_SENTENCE = re.compile(r"(?:\s\[\d+\])+(?=\s|$)")


@dataclass
class Passage:
    """A ranked passage as the report keeps it."""

    source: str
    text: str
    location: str = ""
    start: float | None = None
    end: float | None = None


@dataclass
class Outcome:
    """What one system did with one question."""

    passages: list[Passage]
    answer: str | None = None
    citations: list[Passage] = field(default_factory=list)
    experts: list[str] = field(default_factory=list)
    abstained: bool = False
    latency_ms: float = 0.0
    groundedness: float | None = None


class System(Protocol):
    """Something that answers golden questions."""

    name: str
    answers: bool  # produces answers (not retrieval only)
    can_abstain: bool

    def run(self, question: str, filters: dict[str, Any]) -> Outcome:
        """Rank passages (and answer) for one question."""
        ...


class KenningSystem:
    """Kenning through its public API; `weights` (dense, lexical) select a single ranking."""

    def __init__(
        self, kb: KnowledgeBase, name: str = "kenning", weights: tuple[float, float] | None = None,
        answerer: str | None = None, answers: bool = True,
    ) -> None:  # fmt: skip
        self.kb, self.name, self.weights, self.answerer = kb, name, weights, answerer
        self.answers = self.can_abstain = answers and weights is None

    def run(self, question: str, filters: dict[str, Any]) -> Outcome:
        """For the full system, ask (timed first, so it pays for embedding the question) and
        check the answer; then search the top 10 for the ranking metrics."""
        response = None
        if self.answers:
            response = self.kb.ask(question, k=ANSWER_K, filters=filters, answerer=self.answerer)
        settings = self.kb.settings
        saved = settings.dense_weight, settings.lexical_weight
        started = time.perf_counter()
        try:
            if self.weights is not None:
                settings.dense_weight, settings.lexical_weight = self.weights
            hits = self.kb.search(question, k=DEPTH, filters=filters)
        finally:
            settings.dense_weight, settings.lexical_weight = saved
        outcome = Outcome([_passage(h) for h in hits],
                          latency_ms=(time.perf_counter() - started) * 1000)  # fmt: skip
        if response is None:
            return outcome
        citations = sorted(response.citations, key=lambda c: c.n)
        outcome.answer = response.answer
        outcome.citations = [_passage(c) for c in citations]
        outcome.experts = [e.name for e in response.experts]
        outcome.abstained = response.abstained
        outcome.latency_ms = response.timings_ms.get("total", outcome.latency_ms)
        if citations and not response.abstained:
            outcome.groundedness = groundedness(self.kb, response.answer, citations)
        return outcome


def groundedness(kb: KnowledgeBase, answer: str, citations: list[Any]) -> float | None:
    """The share of the answer's sentences that the passages they cite support.

    Uses `KnowledgeBase.check_answer`, the check LLM answers pass before they are shown.
    """
    checked = kb.check_answer(answer, citations)
    kept = len(KEPT_SENTENCE.findall(checked.text))
    total = kept + len(checked.dropped)
    return kept / total if total else None


def _passage(hit: Any) -> Passage:  # noqa: ANN401 - a Hit or a Citation
    return Passage(hit.source, hit.text, hit.location, hit.start, hit.end)


class BaselineSystem:
    """A common pipeline (`langchain` or `bm25`) over the same files."""

    answers = True
    can_abstain = False

    def __init__(self, index: BaselineIndex, name: str) -> None:
        self.index, self.name = index, name

    def run(self, question: str, filters: dict[str, Any]) -> Outcome:
        """Rank chunks; answer with the top chunk's first sentences (`langchain-sentence`:
        with the best sentence of the top three)."""
        started = time.perf_counter()
        found = self.index.search(self.name, question, DEPTH, filters.get("source_prefix"))
        passages = [Passage(p.source, p.text) for p in found]
        answer, cited = (lead_sentences(found[0].text), 0) if found else ("", -1)
        if self.name == "langchain-sentence":
            answer, cited = best_sentence(question, [p.text for p in found[:SENTENCE_FROM]],
                                          self.index.embedder)  # fmt: skip
        elapsed = (time.perf_counter() - started) * 1000
        return Outcome(
            passages, answer=answer, citations=passages[cited : cited + 1] if cited >= 0 else [],
            experts=most_frequent_speakers([p.text for p in found[:5]]), latency_ms=elapsed,
        )  # fmt: skip
