"""Answering a question: retrieve, answer (extractive or LLM), rank experts, log.

`QAService` is what the HTTP routes, the UI and the Python API call. Each instance is bound to
one `Principal`: its `reader` (a `ScopedReader`) offers every read as that principal may see
it, and retrieval, experts and answers pass the same groups down to the store's queries.
The service is built from the knowledge base's parts (`ServiceParts`); writes go through a
`KnowledgeWriter`, so answering never holds the knowledge base itself.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import IO, Any, Literal, Protocol

from kenning.config import Principal, Settings
from kenning.errors import InvalidRequest, KenningError, NotFoundError
from kenning.index.embeddings import Embedder, answer_embedder
from kenning.index.retriever import Retrieval
from kenning.index.store import Store
from kenning.ingest.language import DEFAULT_LANGUAGE, detect_language
from kenning.qa import llm as llm_answerer
from kenning.qa.abstention import (
    crosses_languages,
    features_of_answer,
    model_for,
    should_abstain,
)
from kenning.qa.citations import check_answer, renumber
from kenning.qa.conversation import (
    PREVIOUS_WEIGHT,
    Turn,
    check_history,
    load_parser_soon,
    weigh_previous,
)
from kenning.qa.experts import EXPERT_HITS, experts_for_abstention, rank_experts
from kenning.qa.extractive import Sentence, choose_sentences
from kenning.qa.lexicon import LexiconCache
from kenning.qa.messages import abstain_text
from kenning.qa.preparation import PreparedQuestion, prepare_question
from kenning.qa.question import QuestionType, analyse, content_terms, stems_of
from kenning.qa.reader import LOCAL, ScopedReader
from kenning.qa.spelling import english_words
from kenning.qa.units import holds_steps
from kenning.qa.uploads import save_uploads
from kenning.schema import (
    AskResponse,
    Citation,
    Expert,
    FileReport,
    Filters,
    Hit,
    IngestReport,
    check_text,
)

Answerer = Literal["extractive", "llm"]
MIN_NAMED_HEADING_WORDS = 2  # a one-word heading ("Steps") is named by too many questions
MORE_STEPS = 2
ANSWER_WINDOW = 10  # the passages an answer may reach down to (experts read more)
ANSWERERS: tuple[str, ...] = ("extractive", "llm")


class KnowledgeWriter(Protocol):
    """The writes an admin may make (`kenning.KnowledgeBase` provides them)."""

    def ingest(self, paths: list[str | Path], *, groups: list[str] | None = None,
               lang: str = DEFAULT_LANGUAGE) -> IngestReport:  # fmt: skip
        """Ingest files, readable by `groups` when given; the report's advice in `lang`."""
        ...

    def delete(self, document_id: str) -> bool:
        """Delete a document; False when there is none."""
        ...

    def accepts(self, name: str) -> str | None:
        """None when a file of this name can be ingested, else the reason it cannot."""
        ...


@dataclass(frozen=True)
class ServiceParts:
    """What answering is built from: one knowledge base's settings, store, retrieval, embedding
    model (made on first use) and writes."""

    settings: Settings
    store: Store
    retrieve: Callable[[str, int, Filters], Retrieval]
    embedder: Callable[[], Embedder]
    writer: KnowledgeWriter


def _citation(hit: Hit, n: int, highlights: list[str] | None = None) -> Citation:
    return Citation(**{**asdict(hit), "n": n, "highlights": list(highlights or [])})


def _quoted_spans(unit: Sentence, passage: str) -> list[str]:
    """The spans of a passage an answer unit was made from, exactly as the passage has them
    (its lines may wrap where the unit's do not): the unit's raw text whole, else its clean
    text, else each raw line found (a list's items, a table's rows)."""
    for candidate in (unit.raw, unit.plain):
        found = _find_wrapped(candidate, passage)
        if found:
            return [found]
    spans = (_find_wrapped(line, passage) for line in unit.raw.splitlines())
    return [span for span in spans if span]


def _find_wrapped(text: str, passage: str) -> str | None:
    """`text` in the passage, whatever whitespace separates its words there."""
    words = text.split()
    found = re.search(r"\s+".join(map(re.escape, words)), passage) if words else None
    return found.group(0) if found else None


def _first(retrieval: Retrieval, k: int) -> Retrieval:
    """The first k hits of a retrieval (fusion ranks the same whatever k asks for)."""
    return replace(retrieval, hits=retrieval.hits[:k], rowids=retrieval.rowids[:k])


def _answer_passages(wide: Retrieval, k: int, question: str) -> Retrieval:
    """The first k hits, then lower-ranked ones that hold what the question asks for: the
    first whose own section heading the question names in full ("What was the root cause of
    …" and a "Root cause" section that ranked 6th), and for a how-to question up to
    `MORE_STEPS` sections of the best document that hold steps (a runbook's "Before you
    start" and "Unplanned failover" rank below its introduction, which names the task)."""
    first = _first(wide, k)
    hits, rowids = list(first.hits), list(first.rowids)
    asked = stems_of(question)
    procedure = analyse(question).type is QuestionType.procedure
    top = wide.hits[0].document_id if wide.hits else None
    named_found, steps_found = False, 0
    for hit, rowid in zip(wide.hits[k:], wide.rowids[k:], strict=True):
        heading = hit.location.rsplit(" > ", 1)[-1] if " > " in hit.location else ""
        named = stems_of(" ".join(content_terms(heading)))
        if not named_found and len(named) >= MIN_NAMED_HEADING_WORDS and named <= asked:
            named_found = True
        elif not (procedure and steps_found < MORE_STEPS and hit.document_id == top
                  and holds_steps(hit.text)):  # fmt: skip
            continue
        else:
            steps_found += 1
        hits.append(replace(hit, rank=len(hits) + 1))
        rowids.append(rowid)
    return replace(first, hits=hits, rowids=rowids)


def asked_language(question: object) -> str | None:
    """The language a question is written in, when it has letters enough to tell."""
    if not isinstance(question, str):
        return None
    guess = detect_language(question.encode("utf-8", "replace").decode("utf-8"))
    return guess.lang if guess.confidence > 0 else None


def _abstain_text(experts: list[Expert], question: str) -> str:
    """The abstain message and who knows neighbouring topics, in the question's language."""
    return abstain_text(question, [e.name for e in experts_for_abstention(experts,
                                                                          question=question)])


class _Shared:
    """What every principal's service shares: the LLM, created on first use."""

    def __init__(self) -> None:
        self.chat_model: Any = None
        self.lexicons = LexiconCache()  # vocabulary and acronyms, per generation


class QAService:
    """Answers questions over one knowledge base, showing one principal what they may read.

    Args:
        parts: the knowledge base's parts.
        principal: who is asking; default: a local user who reads everything.
    """

    def __init__(
        self, parts: ServiceParts, principal: Principal = LOCAL, shared: _Shared | None = None
    ) -> None:
        self.parts = parts
        self.settings = parts.settings
        self.principal = principal
        self.reader = ScopedReader(parts.store, parts.settings, principal)
        self._shared = shared or _Shared()

    def for_principal(self, principal: Principal) -> QAService:
        """The same service, seen by another principal."""
        return QAService(self.parts, principal, self._shared)

    def warm(self, models: bool = True) -> None:
        """Load what the first question would: the spelling word list, the language
        classifier, the principal's lexicon of the knowledge base and, with `models`, the
        answer units' model (the embedding model itself loads with retrieval)."""
        english_words()
        if models:
            answer_embedder(self.parts.embedder(), self.settings)
        detect_language("Which language is this question written in?")
        self._shared.lexicons.get(self.parts.store, self.reader.scope(Filters()).groups)

    @property
    def chat_model(self) -> Any:
        """The configured LLM, created on first use."""
        if self._shared.chat_model is None:
            self._shared.chat_model = llm_answerer.create_chat_model(self.settings)
        return self._shared.chat_model

    @chat_model.setter
    def chat_model(self, model: Any) -> None:  # tests hand in a model loaded once
        self._shared.chat_model = model

    # ---- writes (admins only) -----------------------------------------------------------

    def require_admin(self, action: str) -> None:
        """Raise ForbiddenError unless the principal has admin rights."""
        self.reader.require_admin(action)

    def delete(self, document_id: str) -> None:
        """Delete a readable document (admins only).

        Raises:
            ForbiddenError: the principal is not an admin.
            NotFoundError: no such readable document.
        """
        self.require_admin("deleting documents")
        if not self.reader.readable(document_id) or not self.parts.writer.delete(document_id):
            raise NotFoundError(key="no_document", id=document_id)

    def ingest(self, paths: list[Path], groups: list[str] | None = None,
               lang: str = DEFAULT_LANGUAGE) -> IngestReport:  # fmt: skip
        """Ingest files (admins only), readable by `groups` when given; the report's advice
        (a better embedding model) in `lang`."""
        self.require_admin("adding documents")
        return self.parts.writer.ingest(list(paths), groups=groups, lang=lang)

    def ingest_uploads(
        self, files: Iterable[tuple[str, IO[bytes]]], groups: list[str] | None = None,
        lang: str = DEFAULT_LANGUAGE,
    ) -> IngestReport:  # fmt: skip
        """Store uploaded files in the knowledge base's upload folder and ingest them (admins
        only); files refused (a bad name or type, over the size limit) are reported first.

        Raises:
            ForbiddenError: the principal is not an admin.
            InvalidRequest: more files than `max_upload_files`.
        """
        self.require_admin("adding documents")
        files = list(files)
        if len(files) > self.settings.max_upload_files:
            raise InvalidRequest(key="too_many_files", count=len(files),
                                 limit=self.settings.max_upload_files)  # fmt: skip
        saved, refused = save_uploads(
            Path(self.settings.home), files, int(self.settings.max_file_mb * 1048576),
            self.parts.writer.accepts,
        )  # fmt: skip
        report = self.ingest(saved, groups, lang) if saved else IngestReport()
        report.files = [FileReport(name, "failed", reason) for name, reason in refused] + list(
            report.files
        )
        return report

    # ---- answers ------------------------------------------------------------------------

    def validate_question(self, question: str) -> str:
        """The question stripped.

        Raises:
            InvalidRequest: empty, over `max_question_chars`, or not valid Unicode.
        """
        question = check_text(question or "").strip()
        if not question:
            raise InvalidRequest(key="question_empty")
        if len(question) > self.settings.max_question_chars:
            raise InvalidRequest(key="question_too_long", length=len(question),
                                 limit=self.settings.max_question_chars)  # fmt: skip
        return question

    def pick_answerer(self, answerer: str | None) -> Answerer:
        """The answerer to run: the one asked for, else the LLM when one is configured.

        Raises:
            InvalidRequest: an unknown answerer, or `llm` with no LLM configured.
        """
        if answerer is None:
            return "llm" if self.settings.llm else "extractive"
        if answerer not in ANSWERERS:
            raise InvalidRequest(key="answerer_unknown", answerer=answerer,
                                 valid=", ".join(ANSWERERS))  # fmt: skip
        if answerer == "llm" and not self.settings.llm:
            raise InvalidRequest(key="llm_missing")
        return answerer  # type: ignore[return-value]

    def retrieve(self, query: str, k: int = 5, filters: Filters | None = None) -> Retrieval:
        """Hybrid retrieval over the readable documents.

        Raises:
            InvalidRequest: the query is empty, too long, or not valid Unicode.
        """
        return self._retrieve(self.validate_question(query), k, filters)

    def _retrieve(self, query: str, k: int, filters: Filters | None) -> Retrieval:
        return self.parts.retrieve(query, k, self.reader.scope(filters))

    def _prepare(
        self, question: str, history: Sequence[Turn], filters: Filters | None, chosen: Answerer
    ) -> PreparedQuestion:
        """The question as searched: standalone, corrected, acronyms expanded."""
        groups = self.reader.scope(filters).groups
        lexicon = self._shared.lexicons.get(self.parts.store, groups)
        model = self.chat_model if history and chosen == "llm" else None
        return prepare_question(question, history, lexicon, model, self.settings.correct_typos)

    def _retrieve_prepared(
        self, prepared: PreparedQuestion, k: int, filters: Filters | None
    ) -> Retrieval:
        """Retrieval for a prepared question; a follow-up's also weighs the previous turn's
        passages."""
        retrieval = self._retrieve(prepared.search, k, filters)
        if prepared.previous is None:
            return retrieval
        previous = self._retrieve(prepared.previous, k, filters)
        return weigh_previous(retrieval, previous, k, PREVIOUS_WEIGHT)

    def experts(self, topic: str, k: int = 5, filters: Filters | None = None) -> list[Expert]:
        """The people most likely to know about a topic.

        Raises:
            InvalidRequest: the topic is empty or too long.
        """
        topic = self.validate_question(topic)
        retrieval = self._retrieve(topic, EXPERT_HITS, filters)
        return rank_experts(retrieval, self.parts.store, k, question=topic)

    def ask(
        self,
        question: str,
        k: int = 5,
        filters: Filters | None = None,
        answerer: str | None = None,
        history: Sequence[Mapping[str, Any] | Turn] | None = None,
    ) -> AskResponse:
        """Answer a question with citations and experts; logs it for the knowledge-gap report.

        `history` holds the earlier messages of the conversation (`{"role": "user" |
        "assistant", "content": ...}`, oldest first); a follow-up is searched as a
        standalone question (`rewritten_question` in the response).

        Raises:
            InvalidRequest: the question, the history or the answerer cannot be used.
        """
        response: AskResponse | None = None
        for event, data in self.ask_events(question, k, filters, answerer, history):
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
        history: Sequence[Mapping[str, Any] | Turn] | None = None,
    ) -> Iterator[tuple[str, Any]]:
        """Answer step by step: ("token", text) pieces as they come, then ("answer", response).

        The question, the history and the answerer are checked now, before the first event,
        so a stream is only started for a request that can be answered.

        Raises:
            InvalidRequest: the question, the history or the answerer cannot be used.
        """
        try:
            turns = check_history(history, self.settings.max_history_turns,
                                  self.settings.max_history_chars)  # fmt: skip
            return self._events(self.validate_question(question), k, filters,
                                self.pick_answerer(answerer), turns)  # fmt: skip
        except KenningError as exc:  # said in the question's language ("la question fait…")
            exc.language = exc.language or asked_language(question)
            raise

    def _events(
        self,
        question: str,
        k: int,
        filters: Filters | None,
        chosen: Answerer,
        history: tuple[Turn, ...] = (),
    ) -> Iterator[tuple[str, Any]]:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        prepared = self._prepare(question, history, filters, chosen)
        # Experts read more passages than the answer does; the answer reads the first k (and a
        # section further down that the question names).
        wide = self._retrieve_prepared(prepared, max(k, EXPERT_HITS), filters)
        retrieval = _answer_passages(_first(wide, max(k, ANSWER_WINDOW)), k, prepared.standalone)
        timings.update(prepared.timings_ms)
        question = prepared.standalone  # answering reads the standalone, corrected question
        timings["retrieve"] = _ms(started)
        mark = time.perf_counter()
        experts = rank_experts(wide, self.parts.store, 5, question=question)
        timings["experts"] = _ms(mark)
        best = retrieval.best_dense_score()
        floor = self.settings.abstain_threshold
        if self.settings.abstain_model and crosses_languages(
                question, [h.lang for h in retrieval.hits]):  # fmt: skip
            # A cosine across languages runs low: the question language's model decides.
            floor = 0.0
        mark = time.perf_counter()
        unknown = prepared.unknown_share
        if not retrieval.hits or best < floor:
            text, citations, abstained = _abstain_text(experts, question), [], True
            yield "token", text
        elif chosen == "llm":
            text, citations = yield from self._answer_llm(question, retrieval.hits)
            if not citations:  # the reply failed the citation check: the extractive answer
                text, citations = self._answer_extractive(question, retrieval, unknown)
                yield "token", "\n\n" + (text or _abstain_text(experts, question))
            abstained = not citations
            if abstained:
                text = _abstain_text(experts, question)
        else:
            text, citations = self._answer_extractive(question, retrieval, unknown)
            abstained = not citations
            if abstained:
                text = _abstain_text(experts, question)
            yield "token", text
        if abstained:  # who knows neighbouring topics, labelled so, never "strong"
            experts = experts_for_abstention(experts, question=question)
        timings["answer"] = _ms(mark)
        timings["total"] = _ms(started)
        self.reader.log_question(question, abstained, round(best, 4), timings["total"], chosen)
        # A follow-up may come next: its parser loads while the answer is read (not before the
        # answer, which it would slow down).
        load_parser_soon()
        yield "answer", AskResponse(
            answer=text, citations=citations, experts=experts, abstained=abstained,
            timings_ms=timings, answerer=chosen, rewritten_question=prepared.rewritten,
            corrected_question=prepared.corrected,
        )  # fmt: skip

    def _answer_extractive(
        self, question: str, retrieval: Retrieval, unknown_share: float = 0.0
    ) -> tuple[str, list[Citation]]:
        """The answer units that answer the question, each with its `[n]`; nothing (no text,
        no citations) when the abstention model judges that the passages do not answer
        (`unknown_share`: of the question's words, the share no readable passage uses)."""
        hits = retrieval.hits
        embedder = self.parts.embedder()
        extract = choose_sentences(
            question, hits, embedder, self.settings.answer_sentences, retrieval.rowids,
            answer_embedder(embedder, self.settings),
        )  # fmt: skip
        if extract.analysis is not None and self.settings.abstain_model:
            scores = [retrieval.dense_scores.get(r, 0.0) for r in retrieval.rowids]
            features = features_of_answer(extract.analysis, hits, scores, extract)
            # The embedder's own name: a new knowledge base may choose its model at its first
            # ingest, after this service was made.
            model = model_for(features.language, embedder.name)
            if should_abstain(features, model, unknown_share):
                return "", []
        numbers: dict[int, int] = {}
        spans: dict[int, list[str]] = {}
        parts: list[str] = []
        for sentence in extract.sentences:
            n = numbers.setdefault(sentence.hit_index, len(numbers) + 1)
            quoted = spans.setdefault(sentence.hit_index, [])
            passage = hits[sentence.hit_index].text
            quoted += [s for s in _quoted_spans(sentence, passage) if s not in quoted]
            text = sentence.text.rstrip()
            if not text.endswith((".", "!", "?", "”", "…", ":")):
                text += "."
            parts.append(f"{text} [{n}]")
        citations = [_citation(hits[i], n, spans[i]) for i, n in numbers.items()]
        return " ".join(parts), citations

    def _answer_llm(self, question: str, hits: list[Hit]) -> Iterator[tuple[str, Any]]:
        pieces: list[str] = []
        for piece in llm_answerer.stream(self.chat_model, question, hits):
            pieces.append(piece)
            yield "token", piece
        checked = check_answer(
            "".join(pieces), hits, self.parts.embedder(), self.settings.support_threshold
        )
        text = renumber(checked.text, checked.cited)
        citations = [_citation(hits[old - 1], new) for new, old in enumerate(checked.cited, 1)]
        return text, citations


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 1)
