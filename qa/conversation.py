"""Conversations: the history a question comes with, and the standalone question to search.

A follow-up ("and who owns it?", "what about Munich?", "when was it decided?") is told from a
standalone question by its shape, parsed with the packaged spaCy model: a leading "and",
"also", "what/how about"; a pronoun with no noun phrase before it in the question ("it",
"they", "he", "there", "that" standing alone); or a lone noun with a bare "the". It is
rewritten by carrying the subject of the earlier turn into it: the main noun phrase of the
previous (already standalone) question, the person named in the last answer for "he"/"she",
the place for "there". A standalone question, a topic switch included, is left as it is.

With an LLM configured, LangChain's condense-question step rewrites instead; its output is
kept only when it passes `sane_rewrite` (not empty, not an answer, every content word found
in the question or the history, most of the question's own words kept), else the
deterministic rewrite stands.

Retrieval for a follow-up also weighs the previous turn's passages (`weigh_previous`).
Parsing a short question takes 3-5 ms on 2 cores; the model loads once (~3 s, on the first
follow-up).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Literal

from kenning.errors import InvalidRequest
from kenning.index.lexical import STOPWORDS
from kenning.index.retriever import Retrieval
from kenning.schema import check_text

Role = Literal["user", "assistant"]
ROLES: tuple[str, ...] = ("user", "assistant")
PREVIOUS_WEIGHT = 0.5  # weight of the previous turn's ranking in a follow-up's retrieval
CHAIN = 3  # user turns rewritten in order, so a chain of follow-ups keeps its subject
CONNECTORS = ("and", "also", "but", "so", "then", "plus")
ABOUT = re.compile(
    r"^\s*(?:(?:and|also|but|so|ok|okay)[\s,]+)?(?:what|how)\s+about\s+(.+?)[\s?.!]*$", re.I
)
AND_NP = re.compile(r"^\s*(?:and|also|plus)[\s,]+(?:the\s+|for\s+(?:the\s+)?)?(.+?)[\s?.!]*$", re.I)
LEADING_CONNECTOR = re.compile(r"^\s*(?:and|also|but|so|then|plus|ok|okay)\b[\s,]*", re.I)
THING_PRONOUNS = frozenset("it its they them their theirs this that these those".split())
PERSON_PRONOUNS = frozenset("he him his she her hers".split())
PREPOSITIONS = frozenset(
    "about above after along among around at before behind below beside between by during "
    "for from in inside into near of off on onto outside over since through throughout till "
    "to towards under until up upon via with within without".split()
)
WH = frozenset("what who whom whose which when where why how".split())
GENERIC = frozenset(
    "way ways step steps thing things people someone anyone one ones lot kind sort part".split()
)
WORD = re.compile(r"[\w'-]+")
# LangChain's condense-question (history-aware retriever) instruction.
CONDENSE_SYSTEM = (
    "Given a chat history and the latest user question which might reference context in the "
    "chat history, formulate a standalone question which can be understood without the chat "
    "history. Do NOT answer the question, just reformulate it if needed and otherwise return "
    "it as is."
)


@dataclass(frozen=True)
class Turn:
    """One earlier message of a conversation."""

    role: Role
    content: str


def check_history(
    history: Sequence[Mapping[str, Any] | Turn] | None, max_turns: int, max_chars: int
) -> tuple[Turn, ...]:
    """The history as turns, checked against the bounds.

    Raises:
        InvalidRequest: a role other than user/assistant, a message that is not text, more
            than `max_turns` messages or more than `max_chars` characters in all.
    """
    if not history:
        return ()
    if len(history) > max_turns:
        raise InvalidRequest(key="history_turns", count=len(history), limit=max_turns)
    turns: list[Turn] = []
    total = 0
    for n, item in enumerate(history):
        role = item.role if isinstance(item, Turn) else item.get("role")
        content = item.content if isinstance(item, Turn) else item.get("content")
        if role not in ROLES:
            raise InvalidRequest(key="history_role", n=n, valid=", ".join(ROLES))
        if not isinstance(content, str):
            raise InvalidRequest(key="history_content", n=n)
        total += len(content)
        turns.append(Turn(role, check_text(content)))  # type: ignore[arg-type]
    if total > max_chars:
        raise InvalidRequest(key="history_chars", count=total, limit=max_chars)
    return tuple(turns)


@lru_cache(maxsize=1)
def _nlp() -> Any:
    import spacy

    from kenning.ingest.spacy_model import spacy_model_path

    return spacy.load(spacy_model_path(), exclude=["ner", "lemmatizer"])


_LOADING = threading.Event()


def load_parser_soon() -> None:
    """Start loading the parser in the background, once per process: it takes seconds
    (spaCy imports thinc and torch), and the first follow-up should not wait for it."""
    if not _LOADING.is_set():
        _LOADING.set()
        threading.Thread(target=_nlp, daemon=True, name="kenning-parser").start()


@lru_cache(maxsize=512)
def _parse(text: str) -> Any:
    """A parse, remembered: a conversation's earlier questions come back with every turn."""
    return _nlp()(text)


@dataclass(frozen=True)
class Rewrite:
    """A question made standalone."""

    question: str  # the standalone question (the question itself when it stands alone)
    follow_up: bool  # the question leaned on the conversation
    previous: str | None  # the previous question, standalone (None: no earlier question)


def rewrite(question: str, history: Sequence[Turn], people: Iterable[str] = ()) -> Rewrite:
    """The question made standalone from the conversation (deterministic).

    Args:
        question: the latest question.
        history: the earlier messages, oldest first.
        people: full names of the knowledge base's people ("he", "she" resolve to them).
    """
    people = tuple(people)
    exchanges = _exchanges(history)[-CHAIN:]
    if not exchanges:
        return Rewrite(question, False, None)
    previous: str | None = None
    previous_answer = ""
    for asked, answered in exchanges:
        previous = _rewrite_one(asked, previous, previous_answer, people) if previous else asked
        previous_answer = answered
    assert previous is not None
    standalone = _rewrite_one(question, previous, previous_answer, people)
    return Rewrite(standalone, standalone != question, previous)


def _exchanges(history: Sequence[Turn]) -> list[tuple[str, str]]:
    """(question, answer) pairs of the history; an answer may be missing ("")."""
    pairs: list[tuple[str, str]] = []
    for turn in history:
        if turn.role == "user" and turn.content.strip():
            pairs.append((turn.content.strip(), ""))
        elif turn.role == "assistant" and pairs and not pairs[-1][1]:
            pairs[-1] = (pairs[-1][0], turn.content)
    return pairs


def _rewrite_one(question: str, previous: str, answer: str, people: tuple[str, ...]) -> str:
    about = ABOUT.match(question)
    if about:
        phrase = about.group(1)
        pronouns = [t for t in _parse(phrase) if _is_anaphor(t)]
        if pronouns:  # "what about its memory use?"
            resolved = _replace_anaphors(phrase, pronouns, previous, answer, people)
            return f"What about {resolved}?"
        return _elliptical(previous, phrase)
    doc = _parse(question)
    tokens = list(doc)
    anaphors = [t for t in tokens if _is_anaphor(t)]
    content = [t for t in tokens if _is_content(t)]
    own_np_before = {
        a.i for a in anaphors for chunk in doc.noun_chunks
        if chunk.end <= a.i and _is_real_np(chunk)
    }  # fmt: skip
    unresolved = [a for a in anaphors if a.i not in own_np_before]
    starts_with_connector = bool(tokens) and tokens[0].lower_ in CONNECTORS
    has_verb = any(t.pos_ in ("VERB", "AUX") for t in tokens)
    if unresolved:
        return _replace_anaphors(question, unresolved, previous, answer, people)
    if starts_with_connector and not has_verb:
        rest = AND_NP.match(question)
        if rest:
            return _elliptical(previous, rest.group(1))
        return _append_subject(LEADING_CONNECTOR.sub("", question), previous)
    if _bare_definite(doc, content):
        return _append_subject(question, previous)
    return question


def _is_anaphor(token: Any) -> bool:
    lower = token.lower_
    if lower in PERSON_PRONOUNS | {"it", "its", "they", "them", "their", "theirs"}:
        return token.tag_ in ("PRP", "PRP$")
    if lower in ("this", "that", "these", "those"):
        return token.dep_ != "det" and token.tag_ in ("DT", "WDT") and token.dep_ not in (
            "mark", "nsubj" if token.head.pos_ == "AUX" and token.i > token.head.i else "_"
        )  # fmt: skip
    if lower == "there":
        return token.tag_ == "RB"
    return False


def _is_content(token: Any) -> bool:
    return (
        token.is_alpha and token.lower_ not in STOPWORDS and token.lower_ not in WH
        and token.pos_ in ("NOUN", "PROPN", "ADJ", "NUM")
    )  # fmt: skip


def _is_real_np(chunk: Any) -> bool:
    root = chunk.root
    return root.pos_ in ("NOUN", "PROPN") and root.lower_ not in GENERIC and not any(
        t.lower_ in WH or t.tag_ in ("WDT", "WP", "WP$") for t in [*chunk, *root.children]
    )


def _bare_definite(doc: Any, content: list[Any]) -> bool:
    """A lone common noun with a bare "the" ("when is the deadline?")."""
    if len(content) != 1 or content[0].pos_ != "NOUN":
        return False
    noun = content[0]
    modifiers = [c for c in noun.children if c.dep_ in ("compound", "amod", "poss", "nummod")]
    has_the = any(c.lower_ == "the" and c.dep_ == "det" for c in noun.children)
    return has_the and not modifiers and not any(t.pos_ == "PROPN" for t in doc)


@dataclass(frozen=True)
class _Subject:
    phrase: str  # the main noun phrase of the previous question
    person: str | None  # the person the previous turn named
    place: str | None  # a place the previous question named


def _subject(previous: str, answer: str, people: tuple[str, ...]) -> _Subject:
    doc = _parse(previous)
    chunks = [c for c in doc.noun_chunks if _is_real_np(c)]
    subjects = [c for c in chunks if c.root.dep_ in ("nsubj", "nsubjpass")]
    # The grammatical subject, else the most specific phrase (most content words, earliest).
    best = subjects[0] if subjects else max(
        chunks, key=lambda c: (sum(_is_content(t) for t in c), -c.start), default=None
    )  # fmt: skip
    # The answer's own names were tried as the subject of "which X" questions, but an answer
    # that misses names the wrong thing ("Head" of "Head of Platform"); the previous turn's
    # passages, weighed in retrieval, carry that context instead.
    phrase = _strip_wh(best.text) if best is not None else _content_text(doc)
    person = _first_person(answer, people, previous) or _first_person(previous, people, "")
    place = next(
        (t.text for t in doc if t.pos_ == "PROPN" and t.head.lower_ in ("in", "at", "to", "from")),
        None,
    )
    return _Subject(phrase, person, place)


def _first_person(text: str, people: tuple[str, ...], asked: str) -> str | None:
    """The person a text names first, preferring one named right after a word of the
    question ("who owns it?" ... "Runbook owner: Jonas Becker")."""
    lower = text.lower()
    stems = {_stem(w) for w in _words(asked)}
    found: list[tuple[int, int, str]] = []
    for name in people:
        at = lower.find(name.lower())
        if at >= 0:
            before = {_stem(w) for w in WORD.findall(lower[max(0, at - 40) : at])}
            found.append((0 if stems & before else 1, at, name))
    return min(found)[2] if found else None


def _stem(word: str) -> str:
    for suffix in ("ership", "ers", "er", "ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _strip_wh(text: str) -> str:
    words = text.split()
    while words and words[0].lower() in WH:
        words = words[1:]
    return " ".join(words)


def _content_text(doc: Any) -> str:
    return " ".join(t.text for t in doc if _is_content(t))


def _replace_anaphors(
    question: str, anaphors: list[Any], previous: str, answer: str, people: tuple[str, ...]
) -> str:
    subject = _subject(previous, answer, people)
    out = question
    for token in sorted(anaphors, key=lambda t: t.idx, reverse=True):
        lower = token.lower_
        if lower in PERSON_PRONOUNS:
            name = subject.person or subject.phrase
            text = f"{name}'s" if lower in ("his", "hers") or token.tag_ == "PRP$" else name
        elif lower == "there":
            text = f"in {subject.place}" if subject.place else f"in {subject.phrase}"
        else:
            text = f"{subject.phrase}'s" if token.tag_ == "PRP$" else subject.phrase
        out = out[: token.idx] + text + out[token.idx + len(token.text) :]
    return LEADING_CONNECTOR.sub("", out).strip()


def _elliptical(previous: str, phrase: str) -> str:
    """The previous question completed by an elliptical phrase: "by when", "during the
    freeze" extend it; a noun phrase ("Munich", "invoice records") replaces its subject."""
    words = [w.lower() for w in WORD.findall(phrase)]
    if not words:
        return previous
    if words[0] in WH or words[0] in PREPOSITIONS:
        joiner = ", and " if words[0] in WH or words[-1] in WH else " "
        return f"{previous.rstrip(' ?.!')}{joiner}{phrase.strip()}?"
    return _substitute(previous, phrase)


def _substitute(previous: str, new: str) -> str:
    """The previous question about `new` instead ("what about Munich?")."""
    new = new.strip()
    doc = _parse(previous)
    new_doc = _parse(new)
    proper = all(t.pos_ == "PROPN" or not t.is_alpha for t in new_doc) and len(new_doc) <= 3
    if proper:
        names = [t for t in doc if t.pos_ == "PROPN"]
        if names:
            last = names[-1]
            return previous[: last.idx] + new + previous[last.idx + len(last.text) :]
    chunks = [c for c in doc.noun_chunks if _is_real_np(c)]
    if chunks:
        best = max(chunks, key=lambda c: (sum(_is_content(t) for t in c), -c.start))
        start = best.start_char
        words = best.text.split()
        while words and words[0].lower() in WH:
            start += len(words[0]) + 1
            words = words[1:]
        return previous[:start] + new + previous[best.end_char :]
    return f"{previous.rstrip(' ?.!')} — {new}?"


def _append_subject(question: str, previous: str) -> str:
    phrase = _subject(previous, "", ()).phrase
    if not phrase or phrase.lower() in question.lower():
        return question
    return f"{question.rstrip(' ?.!')} for {phrase}?"


# ---- with an LLM ---------------------------------------------------------------------------


def condense(chat_model: Any, question: str, history: Sequence[Turn]) -> str | None:
    """LangChain's condense-question step: the question made standalone by the LLM (None
    when the model fails)."""
    from langchain_core.messages import AIMessage, HumanMessage
    from langchain_core.prompts import ChatPromptTemplate, MessagesPlaceholder

    prompt = ChatPromptTemplate.from_messages(
        [("system", CONDENSE_SYSTEM), MessagesPlaceholder("chat_history"), ("human", "{input}")]
    )
    messages = [
        HumanMessage(t.content) if t.role == "user" else AIMessage(t.content[:1000])
        for t in history[-2 * CHAIN :]
    ]
    try:
        reply = (prompt | chat_model).invoke({"chat_history": messages, "input": question})
    except Exception:  # an LLM that fails must not fail the question: fall back
        return None
    text = getattr(reply, "content", reply)
    return text.strip() if isinstance(text, str) else None


def sane_rewrite(candidate: str | None, question: str, history: Sequence[Turn]) -> bool:
    """Whether an LLM's rewrite can be searched: not empty, not an answer, no longer than
    the question and the history allow, every content word from the question or the history,
    and most of the question's own content words kept."""
    if not candidate or "[" in candidate or len(candidate) > 2 * len(question) + 200:
        return False
    allowed = _words(question) | set().union(*(_words(t.content) for t in history))
    words = _words(candidate)
    own = _words(question)
    if not words or not words <= allowed:
        return False
    return len(own & words) * 2 >= len(own)


def _words(text: str) -> set[str]:
    return {w for w in (m.lower() for m in WORD.findall(text)) if w not in STOPWORDS
            and w not in WH and len(w) > 2}  # fmt: skip


# ---- retrieval --------------------------------------------------------------------------------


def weigh_previous(current: Retrieval, previous: Retrieval, k: int, weight: float) -> Retrieval:
    """The follow-up's passages, those the previous turn also found raised by `weight` times
    their reciprocal rank there; passages of the previous turn alone may follow."""
    scores: dict[int, float] = {}
    hits: dict[int, Any] = {}
    for rank, (rowid, hit) in enumerate(zip(current.rowids, current.hits, strict=True), 1):
        scores[rowid] = 1.0 / (rank + 1)
        hits[rowid] = hit
    for rank, (rowid, hit) in enumerate(zip(previous.rowids, previous.hits, strict=True), 1):
        scores[rowid] = scores.get(rowid, 0.0) + weight / (rank + 1)
        hits.setdefault(rowid, hit)
    order = sorted(scores, key=lambda r: scores[r], reverse=True)[:k]
    dense = dict(current.dense_scores)  # confidence stays the follow-up's own
    ranked = [replace(hits[r], rank=n, score=round(scores[r], 6)) for n, r in enumerate(order, 1)]
    people = list(dict.fromkeys([*current.people, *previous.people]))
    return Retrieval(hits=ranked, people=people, dense_scores=dense, rowids=order)
