"""The extractive answerer: the answer units of the retrieved passages that answer, each cited.

Passages are split into answer units along their structure (`qa/units.py`: a procedure's
steps, a table row with its headers, a sentence, a speaker's turn, a decision or action item,
a post-mortem section). Units are scored against the question: similarity, coverage of its
terms, whether a unit holds the expected answer type (`qa/question.py`), whether its heading
matches the question, and a unit shape the question type calls for. The best unit leads (answer
first); at most two more follow if they score close to it and the answer stays short. Nothing
is said that a passage does not say: every unit is copied from a passage (cleaned of markup)
and followed by that passage's `[n]` marker. A question someone asked is never an answer.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from dataclasses import dataclass, field, replace

import numpy as np

from kenning.index.embeddings import Embedder, calibrated
from kenning.qa.question import (
    AnswerType,
    QuestionAnalysis,
    QuestionType,
    analyse,
    content_terms,
    coverage,
    holds_answer_type,
    joined_terms,
    stems_of,
    term_weights,
)
from kenning.qa.units import SENTENCE_END, Unit, UnitKind, split_units
from kenning.schema import Hit

SPEAKER_LINE = re.compile(r"^(?P<speaker>[^:\n]{1,60}):\s+(?P<text>.+)$")
MARKUP = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#{1,6}|>)\s*(?:\[[ xX]\]\s*)?|\*\*|__|`")
BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|#{1,6}\s|\||>)")
WORD = re.compile(r"\w+")
NUMBERING = re.compile(r"^\s*\d{1,3}(?:\.\d{1,3})*[.)]?\s+")
MIN_WORDS = 3
MAX_WORDS = 60  # a sentence of `split_sentences` is cut past this many words


@dataclass(frozen=True)
class Sentence:
    """A candidate answer unit (a sentence, a procedure, a table row...) and where it comes from."""

    text: str  # as shown in the answer
    plain: str  # as embedded and compared
    hit_index: int
    order: int  # position in its passage
    speaker: str | None = None
    kind: str = "sentence"  # a UnitKind
    raw: str = ""  # the passage text it was made from (to highlight it there)
    heading: str = ""  # the heading it sits under inside its passage


def logical_lines(text: str) -> list[str]:
    """Lines of prose re-joined where a source wrapped them; list items and rows stay apart."""
    lines: list[str] = []
    for raw in text.splitlines():
        if not raw.strip():
            lines.append("")
        elif lines and lines[-1] and not BLOCK_START.match(raw) and not lines[-1].startswith("|"):
            lines[-1] = f"{lines[-1]} {raw.strip()}"
        else:
            lines.append(raw.strip())
    return [line for line in lines if line]


def split_sentences(hit: Hit, hit_index: int) -> list[Sentence]:
    """The sentences of a passage; transcript lines keep their speaker."""
    out: list[Sentence] = []
    order = 0
    lines = hit.text.splitlines() if hit.kind == "transcript" else logical_lines(hit.text)
    for line in lines:
        line = line.strip()
        if not line or line.startswith("|"):  # table rows do not read as prose
            continue
        speaker = None
        match = SPEAKER_LINE.match(line) if hit.kind == "transcript" else None
        if match:
            speaker, line = match.group("speaker").strip(), match.group("text")
        for piece in SENTENCE_END.split(line):
            plain = " ".join(MARKUP.sub("", piece).split())
            words = len(plain.split())
            if words < MIN_WORDS:
                continue
            if words > MAX_WORDS:
                plain = " ".join(plain.split()[:MAX_WORDS]) + " …"
            shown = f"{speaker}: “{plain}”" if speaker else plain
            out.append(Sentence(shown, plain, hit_index, order, speaker))
            order += 1
    return out


@dataclass
class Extract:
    """Chosen units with the hits they cite (indexes into the hit list), best first.

    Attributes:
        sentences: the chosen units, the one most likely to hold the answer first.
        best_score: the best unit's score.
        best_cosine: the best similarity of a unit to the question.
        analysis: what question analysis found.
        type_found: the expected answer type is in a unit of the top passages (True for
            types without a form of their own).
        candidates: every candidate unit of the passages (`candidate_units`), before any
            was set aside for the question's shape; abstention reads them.
    """

    sentences: list[Sentence]
    best_score: float
    best_cosine: float = 0.0
    analysis: QuestionAnalysis | None = None
    type_found: bool = True
    candidates: list[Sentence] = field(default_factory=list)


# Unit score = cosine similarity + RANK_PRIOR / (1 + passage rank) + OVERLAP_WEIGHT * coverage
# of the question's terms (IDF over the passages; a unit's headings count for steps, rows and
# items) + CONTEXT_WEIGHT * the same with the sentence before + TYPE_WEIGHT if it holds the
# expected answer type + HEADING_WEIGHT * coverage by its headings + a bonus for the unit shape
# the question calls for. Set on SQuAD (two articles, checked on the other two) and QMSum train.
RANK_PRIOR = 0.05
OVERLAP_WEIGHT = 0.8
KEEP_RATIO = 0.8  # a further unit must score at least this share of the best one
# Only this many units, ranked by the cheap part of the score (everything but similarity), are
# embedded, and each by its first EMBED_WORDS words: embedding costs the most ask time.
EMBED_CANDIDATES = 12  # with 8, the unit that answers was sometimes not embedded (demo)
EMBED_WORDS = 40
UNIT_CACHE_SIZE = 8192  # unit vectors kept (~12 MB at 384 dimensions)
TYPE_WEIGHT = 0.2
CONTEXT_WEIGHT = 0.2
HEADING_WEIGHT = 0.1
ANSWER_WORDS = 60  # further units are added only while the answer stays this short
LEAD_WORDS = 25  # a leading sentence longer than this starts where the answer most likely is
LEAD_TERMS_WORDS = 20
CLAUSE_WORD = re.compile(r"(?:which|where|who|whose|when|while|whereas|although|but|with|"
                         r"including|because|after|before)$", re.I)  # fmt: skip
# A sentence that opens with its condition ("Lorsque vos revenus dépassent ces plafonds, vous
# pourrez conserver votre LEP si…", "If the replica lags, …") says nothing true without it:
# it is never shown from a later clause.
CONDITION_FIRST = re.compile(r"(?i)^(?:if|unless|when|whenever|once|as long as|in case|si|s'il|"
                             r"s'ils|lorsque|lorsqu['’]|quand|dès que|sauf si|tant que|en cas)\b")
UNIT_WORDS = 80  # a longer unit is cut at a sentence (a whole turn, a long list)
KIND_BONUS: dict[QuestionType, dict[UnitKind, float]] = {
    QuestionType.procedure: {UnitKind.procedure: 0.2, UnitKind.list: 0.08,
                             UnitKind.paragraph: 0.1, UnitKind.turn: 0.1},
    QuestionType.cause: {UnitKind.section: 0.12},
    QuestionType.quantity: {UnitKind.table_row: 0.04},
}
STRUCTURED = {UnitKind.procedure, UnitKind.list, UnitKind.item, UnitKind.table_row,
              UnitKind.section, UnitKind.decision, UnitKind.action_item,
              UnitKind.paragraph}  # fmt: skip
# A whole list answers a procedure question or one asking for several things; otherwise the
# item that answers reads better (and the list's words, pooled over items, overstate it).
LIST_QUESTION = re.compile(r"(?i)\b(?:what|which) (?:are|were)\b|\blist\b|\ball (?:the )?\w+s\b"
                           r"|\bitems\b|\bsteps\b")  # fmt: skip
# A section about what comes after a task ("After the failover", "Once deployed",
# "Follow-up") does not say how to do the task: its list is no procedure for the question.
AFTERMATH_HEADING = re.compile(r"(?i)^(?:\d+[.)]?\s*)?(?:after(?:wards)?|once|post[- ]|"
                               r"follow[- ]?ups?|clean[- ]?up|wrap[- ]?up)\b")  # fmt: skip
CAUSE_HEADING = re.compile(r"(?i)\b(?:causes?|why|contributing|trigger|cause racine)\b")
SPEAKER_BONUS = 0.3  # for the turns of a speaker the question names
# Answer types a following sentence may supply when the best sentence lacks them.
# (Not names: any two capitalised words look like one.)
FOLLOWED_TYPES = {AnswerType.number, AnswerType.percent, AnswerType.money, AnswerType.date,
                  AnswerType.duration, AnswerType.time}  # fmt: skip
# A sentence about the document itself ("This runbook describes how to fail over paydb")
# describes the answer instead of giving it: it leads only when nothing else comes close.
ABOUT_DOCUMENT = re.compile(
    r"(?i)^(?:this|the present|the following) (?:guide|runbook|document|doc|page|policy|"
    r"section|article|faq|note|notes|plan|handbook|manual|readme|report|review|playbook|"
    r"procedure|process|proposal|memo|checklist|template|wiki)\b.{0,40}\b(?:describes?|"
    r"explains?|covers?|walks?|sets? out|outlines?|summari[sz]es?|documents?|lists?|"
    r"is (?:for|about|meant|intended)|tells?|shows?|contains?|gives?|provides?)\b"
)
ABOUT_DOCUMENT_PENALTY = 0.3
PROCEDURE_MARGIN = 0.9  # a procedure this close to the best one may lead if it comes first
# For the units of a section whose heading (of two words or more) the question names in full:
# "What was the root cause …" and a "Root cause" section, "What went well?".
NAMED_HEADING_BONUS = 0.4
# "Summarise the discussion about...", "what did X say about...": a longer answer, from units
# scoring further from the best (set on QMSum train).
SUMMARY_WORDS = 100
SUMMARY_KEEP_RATIO = 0.6
SUMMARY = re.compile(
    r"(?i)\b(?:summari[sz]e|summary|discuss\w*|talk(?:ed)? about|overview"
    r"|what did .{1,40} (?:say|think|suggest|propose|mention|explain))\b"
)
ROLE_WORDS = {"manager", "designer", "expert", "lead", "grad", "professor", "phd", "student",
              "chair", "member", "speaker", "assistant", "director", "officer", "minister",
              "marketing", "industrial", "interface", "user", "project"}  # fmt: skip
DECISION_WORDS = re.compile(r"(?i)\b(?:decid\w*|decision\w*|agree\w*|conclu\w*)\b")
ACTION_WORDS = re.compile(r"(?i)\b(?:action items?|follow[- ]?ups?|next steps|to do|todo|"
                          r"who (?:will|is going to|has to|must|should))\b")  # fmt: skip


def candidate_units(hits: list[Hit]) -> list[Sentence]:
    """Every unit of the passages that could answer: no questions, nothing under 3 words
    unless it is a table row or list item."""
    out: list[Sentence] = []
    for i, hit in enumerate(hits):
        for unit in split_units(hit.text, hit.kind, hit.location):
            if unit.question or (len(unit.text.split()) < MIN_WORDS and unit.kind not in (
                    UnitKind.table_row, UnitKind.item)):  # fmt: skip
                continue
            out.append(_as_sentence(unit, i))
    return out


def _as_sentence(unit: Unit, hit_index: int) -> Sentence:
    plain = _shorten(unit.text)
    shown = f"{unit.speaker}: “{plain}”" if unit.speaker else plain
    return Sentence(shown, plain, hit_index, unit.order, unit.speaker, str(unit.kind), unit.raw,
                    unit.heading)  # fmt: skip


def _shorten(text: str) -> str:
    """A unit of at most UNIT_WORDS words: whole sentences (or steps) while they fit."""
    if len(text.split()) <= UNIT_WORDS:
        return text
    kept: list[str] = []
    for piece in re.split(r"(?<=[.!?])\s+|\n", text):
        if kept and len(" ".join(kept).split()) + len(piece.split()) > UNIT_WORDS:
            break
        kept.append(piece)
    shown = ("\n" if "\n" in text else " ").join(kept)
    if len(shown.split()) > UNIT_WORDS:
        shown = " ".join(shown.split()[:UNIT_WORDS])
    return shown + " …"


def named_speakers(question: str, speakers: set[str]) -> set[str]:
    """The speakers a question names: by full name, or by a last word that is not a role
    ("Grad D" by "D", "Kirsty Williams" by "Williams"; "Project Manager" only in full)."""
    words = set(WORD.findall(question))
    lowered = question.lower()
    named = set()
    for speaker in speakers:
        last = speaker.split()[-1]
        if speaker.lower() in lowered or (last in words and last.lower() not in ROLE_WORDS):
            named.add(speaker)
    return named


def _aftermath(analysis: QuestionAnalysis, heading: str) -> bool:
    """A procedure question meets a unit under a heading about what follows the task."""
    return (analysis.type is QuestionType.procedure and bool(AFTERMATH_HEADING.search(heading))
            and not AFTERMATH_HEADING.search(analysis.question.split(maxsplit=1)[-1]))  # fmt: skip


def _kind_bonus(analysis: QuestionAnalysis, kind: str, heading: str) -> float:
    if _aftermath(analysis, heading):
        return 0.0
    if kind == UnitKind.section and analysis.type is QuestionType.cause:
        # A root cause section answers "why", a summary or timeline does not.
        return KIND_BONUS[QuestionType.cause][UnitKind.section] if CAUSE_HEADING.search(
            heading) else 0.0  # fmt: skip
    bonus = KIND_BONUS.get(analysis.type, {}).get(UnitKind(kind), 0.0)
    if kind == UnitKind.decision and DECISION_WORDS.search(analysis.question):
        bonus += 0.1
    if kind == UnitKind.action_item and ACTION_WORDS.search(analysis.question):
        bonus += 0.1
    return bonus


def _contains(a: Sentence, b: Sentence) -> bool:
    """One unit holds the other (a step inside its procedure, a sentence inside its turn)."""
    if a.hit_index != b.hit_index:
        return False
    x, y = " ".join(a.plain.split()), " ".join(b.plain.split())
    return x.rstrip(" …") in y or y.rstrip(" …") in x


def lead_window(sentence: Sentence, weights: dict[str, float], answer_type: AnswerType,
                question: str = "") -> Sentence:  # fmt: skip
    """A long leading sentence from the clause where the answer most likely is: the start (at a
    clause boundary) whose next LEAD_WORDS words hold the most of the question's terms and the
    expected answer type, shown as "… rest of the sentence". Short sentences and other units
    are left whole."""
    words = sentence.plain.split()
    if sentence.kind not in (UnitKind.sentence, UnitKind.turn) or len(words) <= LEAD_WORDS:
        return sentence
    if sentence.kind == UnitKind.sentence and CONDITION_FIRST.match(sentence.plain):
        return sentence
    starts = [0] + [i for i in range(1, len(words) - 3)
                    if words[i - 1][-1] in ",;:–—" or CLAUSE_WORD.match(words[i])]  # fmt: skip

    def value(start: int) -> float:
        # The question's words should come early in the window: the answer tends to follow.
        terms = " ".join(words[start : start + LEAD_TERMS_WORDS])
        window = " ".join(words[start : start + LEAD_WORDS])
        return coverage(weights, stems_of(terms)) + TYPE_WEIGHT * holds_answer_type(
            window, answer_type, question)  # fmt: skip

    best = max(starts, key=lambda i: (value(i), -i))
    if best == 0 or value(best) <= value(0):
        return sentence
    plain = "… " + " ".join(words[best:])
    shown = f"{sentence.speaker}: “{plain}”" if sentence.speaker else plain
    return replace(sentence, text=shown, plain=plain)


class UnitVectors:
    """Unit vectors by (model, text), the most recent kept: the same passages come back for
    a follow-up, a rephrased question or a popular topic, and embedding their units is most of
    an extractive answer's time. Only a text the caller retrieved is looked up, and only its
    vector is kept."""

    def __init__(self, size: int = UNIT_CACHE_SIZE) -> None:
        self.size = size
        self._vectors: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed(self, embedder: Embedder, texts: list[str]) -> np.ndarray:
        """The vectors of `texts`, embedding only those not kept."""
        name = getattr(embedder, "name", type(embedder).__name__)
        with self._lock:
            found = [self._vectors.get((name, t)) for t in texts]
            for text, vector in zip(texts, found, strict=True):
                if vector is not None:
                    self._vectors.move_to_end((name, text))
        missing = [i for i, v in enumerate(found) if v is None]
        if missing:
            fresh = embedder.embed_documents([texts[i] for i in missing])
            with self._lock:
                for i, vector in zip(missing, fresh, strict=True):
                    found[i] = vector
                    self._vectors[(name, texts[i])] = vector
                while len(self._vectors) > self.size:
                    self._vectors.popitem(last=False)
        if not texts:
            return embedder.embed_documents([])
        return np.stack(found)


UNIT_VECTORS = UnitVectors()


def choose_units(
    analysis: QuestionAnalysis, hits: list[Hit], embedder: Embedder, max_units: int = 3,
    positions: list[int] | None = None, units: Embedder | None = None,
) -> Extract:  # fmt: skip
    """The units that answer, best first: the best one, then up to `max_units - 1` more that
    score close to it, are not redundant with it and keep the answer short.

    The question is embedded by `embedder` (its vector is the one retrieval made), the units
    by `units` (default: the same model; `answer_embedder` gives its faster int8 weights).

    `positions` (each hit's place in the knowledge base, e.g. its chunk rowid: a document's
    passages are stored in order) lets a how-to answer start where the document starts: of
    the procedures of the best one's document that score close to it, the first one leads
    (a runbook's "Before you start" before its variants)."""
    every = candidate_units(hits)
    candidates = every
    if analysis.type is not QuestionType.procedure and not LIST_QUESTION.search(analysis.question):
        candidates = [c for c in candidates if c.kind not in (UnitKind.list, UnitKind.procedure,
                                                              UnitKind.paragraph)]
    if not candidates:
        return Extract([], 0.0, analysis=analysis, type_found=False, candidates=every)
    passages = [stems_of(hit.text) for hit in hits]
    vocabulary = frozenset().union(*passages, *(stems_of(hit.location) for hit in hits))
    weights = term_weights(joined_terms(analysis.question, analysis.terms, vocabulary), passages)
    # A turn's speaker counts as its words ("what did the Project Manager say about...").
    stems = [stems_of(f"{c.plain} {c.speaker or ''}") for c in candidates]
    # A sentence that goes on from the one before ("This section is 86 km long") borrows a
    # share of its words.
    context = [stems[i - 1] if i and candidates[i - 1].hit_index == c.hit_index
               and c.kind == candidates[i - 1].kind == UnitKind.sentence else frozenset()
               for i, c in enumerate(candidates)]  # fmt: skip
    typed = [holds_answer_type(c.plain, analysis.answer_type, analysis.question)
             and not _aftermath(analysis, c.heading) for c in candidates]  # fmt: skip
    named = named_speakers(analysis.question, {c.speaker for c in candidates if c.speaker})
    headings = [stems_of(_heading(hits[c.hit_index], c)) for c in candidates]
    asked = stems_of(analysis.question)
    # A step, a row or an item is read with the headings above it ("Hotels", "Before you
    # start"): they count as its words.
    stems = [s | h if c.kind in STRUCTURED else s
             for c, s, h in zip(candidates, stems, headings, strict=True)]  # fmt: skip
    cheap = np.array([
        RANK_PRIOR / (1 + c.hit_index) + OVERLAP_WEIGHT * coverage(weights, s)
        + CONTEXT_WEIGHT * coverage(weights, s | x) + TYPE_WEIGHT * t
        + _kind_bonus(analysis, c.kind, c.heading) + SPEAKER_BONUS * (c.speaker in named)
        + HEADING_WEIGHT * coverage(weights, h)
        + NAMED_HEADING_BONUS * _names_heading(asked, hits[c.hit_index], c)
        - ABOUT_DOCUMENT_PENALTY * bool(ABOUT_DOCUMENT.search(c.plain))
        for c, s, x, t, h in zip(candidates, stems, context, typed, headings, strict=True)
    ])  # fmt: skip
    keep = sorted(np.argsort(-cheap, kind="stable")[:EMBED_CANDIDATES].tolist())
    pool = candidates
    candidates = [candidates[i] for i in keep]
    cheap = cheap[keep]
    vectors = UNIT_VECTORS.embed(units or embedder, [_embedded(analysis, hits[c.hit_index], c)
                                                     for c in candidates])  # fmt: skip
    cosines = calibrated(embedder, vectors @ embedder.embed_query(analysis.question))
    scores = cosines + cheap
    order = [int(i) for i in np.argsort(-scores, kind="stable")]
    best = order[0]
    if positions is not None and analysis.type is QuestionType.procedure:
        best = _first_procedure(candidates, scores, best, hits, positions)
        order = [best, *(i for i in order if i != best)]
    chosen = [best]
    words = len(candidates[best].plain.split())
    summary = bool(SUMMARY.search(analysis.question))
    budget, ratio = (SUMMARY_WORDS, SUMMARY_KEEP_RATIO) if summary else (ANSWER_WORDS, KEEP_RATIO)
    for i in order[1:]:
        if len(chosen) >= max_units or scores[i] < ratio * scores[best]:
            break
        size = len(candidates[i].plain.split())
        redundant = any(_contains(candidates[i], candidates[j])
                        or float(vectors[i] @ vectors[j]) > 0.9 for j in chosen)  # fmt: skip
        if not redundant and words + size <= budget:
            chosen.append(i)
            words += size
    units = [candidates[i] for i in chosen]
    follower = _typed_follower(analysis, pool, units[0])
    if follower is not None:
        units = [follower, *(u for u in units if not _contains(u, follower))]
        while len(units) > 2 and sum(len(u.plain.split()) for u in units) > budget:
            units.pop()
    units[0] = lead_window(units[0], weights, analysis.answer_type, analysis.question)
    return Extract(
        units, float(scores[best]), float(cosines.max()), analysis,
        analysis.answer_type in (AnswerType.description, AnswerType.entity, AnswerType.boolean)
        or any(typed), every,
    )  # fmt: skip


def _first_procedure(candidates: list[Sentence], scores: np.ndarray, best: int,
                     hits: list[Hit], positions: list[int]) -> int:  # fmt: skip
    """Of the procedures of the best unit's document scoring within PROCEDURE_MARGIN of the
    best one, the one that comes first in the document (the best one when none is close)."""
    if candidates[best].kind != UnitKind.procedure:
        return best
    document = hits[candidates[best].hit_index].document_id
    close = [i for i, c in enumerate(candidates)
             if c.kind == UnitKind.procedure and hits[c.hit_index].document_id == document
             and scores[i] >= PROCEDURE_MARGIN * scores[best]
             and not AFTERMATH_HEADING.search(c.heading)]  # fmt: skip
    return min(close, key=lambda i: (positions[candidates[i].hit_index], candidates[i].order),
               default=best)  # fmt: skip


def _typed_follower(analysis: QuestionAnalysis, pool: list[Sentence], best: Sentence
                    ) -> Sentence | None:  # fmt: skip
    """The sentence right after the best one when the question expects a typed answer (a
    number, an amount, a date...) that the best sentence lacks and that sentence holds: "The
    last attempt, the Pico Act of 1859, was passed …" names what the question asks about,
    "It was approved by nearly 75% of voters" answers it. It leads, the best one follows."""
    if analysis.answer_type not in FOLLOWED_TYPES or best.kind != UnitKind.sentence:
        return None
    if holds_answer_type(best.plain, analysis.answer_type, analysis.question):
        return None
    after = [c for c in pool if c.hit_index == best.hit_index and c.order > best.order
             and c.kind == UnitKind.sentence and c.speaker == best.speaker]  # fmt: skip
    follower = min(after, key=lambda c: c.order, default=None)
    if follower is None or follower.heading != best.heading or not holds_answer_type(
            follower.plain, analysis.answer_type, analysis.question):  # fmt: skip
        return None
    return follower


def _embedded(analysis: QuestionAnalysis, hit: Hit, candidate: Sentence) -> str:
    """The text a unit is embedded as: its first EMBED_WORDS words; for a procedure question,
    after the headings it sits under, which name the task its steps or sentences do ("Rolling
    back: Revert the image tag…"), as a passage is embedded with its heading path."""
    text = " ".join(candidate.plain.split()[:EMBED_WORDS])
    if analysis.type is not QuestionType.procedure or hit.kind == "transcript":
        return text
    path, heading = hit.location.strip(), candidate.heading.strip()
    if heading and not path.endswith(heading):
        path = f"{path} > {heading}" if path else heading
    return f"{path}: {text}" if path else text


def _names_heading(asked: frozenset[str], hit: Hit, candidate: Sentence) -> bool:
    """Whether the question names the unit's own section heading in full (two words or
    more: a one-word heading such as "Steps" is named by too many questions)."""
    if hit.kind == "transcript":
        return False
    heading = candidate.heading or hit.location.rsplit(" > ", 1)[-1]
    heading = NUMBERING.sub("", heading)  # "3. A customer was charged twice."
    named = stems_of(" ".join(content_terms(heading)))
    return len(named) >= 2 and named <= asked


def _heading(hit: Hit, candidate: Sentence) -> str:
    """The headings a unit sits under: its passage's location and its own heading."""
    return "" if hit.kind == "transcript" else f"{hit.location} {candidate.heading}"


def choose_sentences(
    question: str, hits: list[Hit], embedder: Embedder, max_sentences: int = 4,
    positions: list[int] | None = None, units: Embedder | None = None,
) -> Extract:  # fmt: skip
    """The answer units for a question, best first (see `choose_units`).

    Args:
        question: the question as asked.
        hits: the retrieved passages, best first.
        embedder: the knowledge base's embedding model.
        max_sentences: the most units in the answer.
        positions: each hit's place in the knowledge base (see `choose_units`).
        units: the model answer units are embedded with (default: `embedder`).
    """
    return choose_units(analyse(question), hits, embedder, min(max_sentences, 3), positions,
                        units)
