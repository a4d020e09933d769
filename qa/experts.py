"""Who knows: people ranked by what they said, wrote or own in the retrieved passages.

The "document model" of expertise retrieval (Balog et al. 2006) and Macdonald & Ounis' voting
model, weighted by evidence rather than presence:

- what a person *said*: their share of the words of each retrieved passage and of the
  passages around it in a transcript (a discussion runs longer than one passage), each turn
  weighted by how much of the question it shares (`TURN_FLOOR` + idf overlap);
- what they *own or wrote*: document owners and authors (front matter, CODEOWNERS, git), and
  the owners, shepherds and liaisons of the agenda item a passage holds (`SCOPED_ROLES`,
  credited only when the passage holds their item);
- being named in the passage counts a little, attendance least of all: a person who only
  attended never ranks above one who said, wrote or owns what was retrieved.

People the question names ("what did Priya say about ...") are boosted. Each expert carries a
calibrated `confidence` (a logistic model over the ranking's own features, fitted on QMSum val,
KEPs and the rust-lang minutes: `bench/fit_expert_confidence.py`) and a `level`; the service
shows only those above `MIN_CONFIDENCE`, and none is a valid answer.
"""

from __future__ import annotations

import math
import re
import threading
import weakref
from collections import Counter, OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from functools import lru_cache

from kenning.index.retriever import Retrieval
from kenning.index.store import Store
from kenning.ingest.language import DEFAULT_LANGUAGE, language_of
from kenning.qa.messages import message
from kenning.schema import SCOPED_ROLES, Expert, ExpertEvidence, Hit, anchor_text

# Passages the ranking reads: the service retrieves this many for experts (answers use their
# own k). Notes need depth: an agenda item's owner is named in one passage of one meeting among
# many that discussed the topic, and BM25's best passage often fuses below 10th (rust-lang
# minutes expert@3 0.706 with 10, 0.824 with 20, 0.853 with 30 and 40); a passage's weight
# decays with its rank, so lower ones add little unless they hold the item asked about.
EXPERT_HITS = 30
# Transcripts count only in the first TRANSCRIPT_HITS passages: there, who spoke lower down is
# more noise than evidence (QMSum val expert@1 0.64 with 5, 0.69 with 10, 0.67 with 15).
TRANSCRIPT_HITS = 10
# The query's similarity to its best passage (a confidence feature) is read over the first
# SIMILARITY_HITS passages, as it was when the confidence model was fitted.
SIMILARITY_HITS = 10
SAY_DECAY = 0.25  # weight of the i-th passage for what was said: 1 / (i + 1) ** SAY_DECAY
# In notes, people who talk in every meeting would outvote the owner of the matched item if
# lower passages counted as much as in a transcript (where they are the same discussion).
NOTE_SAY_DECAY = 1.0
DOC_DECAY = 1.0  # and for roles on a document or an item: 1 / (i + 1)
NEIGHBOURS = 2  # passages either side of a transcript hit that count for who spoke
NEIGHBOUR_WEIGHT = 0.7  # per step away (QMSum val expert@1 0.696 at 0.6 and 0.8, 0.700 at 0.7-0.75)
TURN_FLOOR = 0.3  # a turn sharing nothing with the question still counts this much
DELEGATE_OVERLAP = 0.5  # a line naming someone that covers this share of the question delegates it
DELEGATED_SHARE = 0.3  # what other people's roles on the retrieved documents then keep
# Someone named in a line that covers DELEGATE_OVERLAP of the question ("usually Kwame Mensah,
# who writes the status page updates") is evidence of the topic, as an action item is.
ANSWERING_MENTION_WEIGHT = 0.6
ITEM_MATCH_BOOST = 1.0  # an item line that matches the question counts up to twice as much
ITEM_FLOOR = 0.2  # and an agenda item in the passage that shares nothing with it
NAMED_BOOST = 5.0  # QMSum val expert@1 0.692 at 4.0, 0.696 from 5 to 100 (a named speaker leads)
# Attendance in the ranking's score: next to nothing (attendees who did nothing else rank
# last anyway); at ROLE_WEIGHTS' 0.2 a regular attendee of ten retrieved meetings outvoted
# the owner of the item asked about.
ATTENDANCE_WEIGHT = 0.02
MENTION_WEIGHT = 0.15  # named in a line of the passage (ROLE_WEIGHTS["mentioned"])
# CODEOWNERS says who reviews changes to a file, not who wrote what it says: below an author.
CODEOWNERS_WEIGHT = 0.5
NOTE_TURN_FLOOR = 0.3  # TURN_FLOOR for lines of notes
TURN_CONTEXT = 1  # turns either side whose overlap with the question a turn shares
MAX_TRANSCRIPT_CHUNKS = 2000  # longer documents are not read around their hits
# What one ranking reads is kept for the next (QMSum val: 52 -> ~5 ms a ranking; reading and
# tokenising the passages around the hits was most of the time): each document's passages
# and the idf of their stems, and its evidence rows, while the store's generation holds
# (`_DocumentCache`); the speaker turns of a passage's text; the stem of a word.
CACHED_DOCUMENTS = 128
CACHED_TEXTS = 2048
CACHED_WORDS = 32_768
# Confidence: logistic over the ranking's features (fitted; see the module docstring).
CONFIDENCE_WEIGHTS: dict[str, float] = {
    "bias": -6.286, "log_share": -0.005, "first": 0.854, "lead": 4.614, "gap": 0.57,
    "similarity": 2.302, "said": -0.498, "owned": 0.476, "item": -0.39,
    "named_in_question": -0.247, "presence": 0.349,
}  # fmt: skip
# Shown at all ("possible"). The confidence is that of being *the* person to ask, so the
# second and third of a discussion score low though one of the three is right far more often
# than the first alone: at 0.15, QMSum val showed 1.08 people a question and the right one
# among them for 0.713 of the questions (0.945 in the ranking's top three); at 0.05, 1.43 and
# 0.785 (demo 0.952 -> 0.984; KEPs 1.000 either way); strong people are unchanged.
MIN_CONFIDENCE = 0.05
STRONG_CONFIDENCE = 0.6  # shown as "strong"
LEVELS: tuple[str, ...] = ("strong", "possible", "neighbouring")

SPEAKER_LINE = re.compile(r"^(?P<speaker>[^:\n]{1,60}):\s+(?P<text>.+)$", re.M)
NOTE_LINE = re.compile(
    r"^\s*(?:[-*+]\s+)?(?:\*\*|__)?(?P<speaker>@?[A-Za-z][^:*_\n]{0,38}?)(?:\*\*|__)?\s*:\s+"
    r"(?P<text>\S.*)$", re.M,
)
SUFFIXES = ("ing", "ed", "es", "s")
WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")
HEADING_LINE = re.compile(r"(?m)^(?=#{1,6}\s)")
QUESTION_WORDS = frozenset(
    "a an the of to in on for and or what did was were is are be about how why who whom which "
    "when where that this with as at by from it its their they them he she his her we our you "
    "your i me my do does done said say says think thought discuss discussion discussed "
    "summarize summarise meeting group team please describe talk talked regarding should ask "
    "know knows tell could would can will".split()
)
# The reason a role on a document gives (a `qa.messages` key); other roles: "reason_role".
ROLE_REASONS: dict[str, str] = {
    "owner": "reason_owner",
    "author": "reason_author",
    "reviewer": "reason_reviewer",
    "presenter": "reason_presenter",
    "facilitator": "reason_facilitator",
    "action_owner": "reason_action_in",
    "attendee": "reason_attendee",
}
# What kind of evidence a role is, for ties and for confidence.
OWNED = frozenset({"owner", "author", "reviewer", "presenter", "facilitator"})
ITEM = frozenset({"item_owner", "liaison", "action_owner"})


# A reason is written out only if shown, in the question's language: (a `qa.messages` key,
# its fields). A ranking credits hundreds of turns; formatting each one's reason cost more
# than scoring it.
_Reason = tuple[str, tuple[tuple[str, object], ...]]


def _reason(key: str, **fields: object) -> _Reason:
    return key, tuple(fields.items())


def _reason_text(reason: _Reason, lang: str = DEFAULT_LANGUAGE) -> str:
    """A reason as shown, in a language."""
    key, fields = reason
    values = dict(fields)
    if key == "reason_spoke":
        values["share"] = f"{float(values['share']):.0%}"  # type: ignore[arg-type]
        when = values.pop("time", "")
        values["at"] = message("reason_at", lang, time=str(when)) if when else ""
    return message(key, lang, **{k: str(v) for k, v in values.items()})


@dataclass
class _Tally:
    person_id: str
    name: str
    score: float = 0.0
    kinds: Counter[str] = field(default_factory=Counter)  # said/owned/item/named/presence
    named: bool = False
    # (document_id, role) -> (contribution, reason, title)
    items: dict[tuple[str, str], tuple[float, _Reason, str]] = field(default_factory=dict)

    def credit(self, document_id: str, role: str, kind: str, amount: float,
               reason: _Reason, title: str) -> None:  # fmt: skip
        self.score += amount
        self.kinds[kind] += amount
        before = self.items.get((document_id, role))
        total = amount + (before[0] if before else 0.0)
        keep = before[1] if before and before[0] >= amount else reason
        self.items[(document_id, role)] = (total, keep, title)

    @property
    def presence_only(self) -> bool:
        """True when nothing but attendance (or being named in passing) puts them here."""
        return not any(self.kinds[k] > 0 for k in ("said", "owned", "item"))


def topics_of(evidence: list[dict]) -> Counter[str]:
    """A person's topics: each tag counted once per document they have a role on."""
    pairs = {(tag.lower(), item["document_id"]) for item in evidence for tag in item["tags"]}
    return Counter(tag for tag, _ in pairs)


def speaker_shares(text: str) -> dict[str, float]:
    """Each speaker's share of the words of a transcript chunk (`Speaker: text` lines)."""
    words: dict[str, int] = defaultdict(int)
    for match in SPEAKER_LINE.finditer(text):
        words[match.group("speaker").strip()] += len(match.group("text").split())
    total = sum(words.values())
    return {s: n / total for s, n in words.items()} if total else {}


@lru_cache(maxsize=CACHED_WORDS)
def _stem(word: str) -> str:
    word = word.lower()
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    return word[:6]


def _terms(text: str) -> list[str]:
    """Word stems (six letters) of a text, for question overlap."""
    return [_stem(w) for w in WORD.findall(text)]


def _format_time(seconds: float | None) -> str:
    if seconds is None:
        return ""
    total = int(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


class _Document:
    """What the ranking reads of one document: its passages (empty when it has more than
    `MAX_TRANSCRIPT_CHUNKS`), where each text first occurs, and the idf of their stems."""

    def __init__(self, texts: list[str]) -> None:
        self.texts = texts
        self.position: dict[str, int] = {}
        for at, text in enumerate(texts):
            self.position.setdefault(text, at)
        self.idf = _idf(texts) if texts else None


def _idf(texts: list[str]) -> dict[str, float]:
    """Inverse document frequency of stems over passages (`__n__`: that of an unseen stem)."""
    df: Counter[str] = Counter()
    for text in texts:
        df.update(set(_terms(text)))
    n = max(len(texts), 1)
    idf = {t: math.log(1 + n / (1 + c)) for t, c in df.items()}
    idf["__n__"] = math.log(1 + n)
    return idf


class _DocumentCache:
    """Documents' passages and evidence rows, valid while the store's generation holds.

    Every ask ranks experts over passages of the same few documents again; reading and
    tokenising them cost more than the ranking. Entries read at one generation are dropped
    as soon as a ranking sees another (any write bumps it), and a ranking that read the
    generation before a write never stores what it read into the newer cache.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = -1
        self._documents: OrderedDict[str, _Document] = OrderedDict()
        self._evidence: OrderedDict[str, list[dict]] = OrderedDict()

    def at(self, generation: int) -> None:
        """Start a ranking at the store's current generation (clears older entries)."""
        with self._lock:
            if generation != self._generation:
                self._generation = generation
                self._documents.clear()
                self._evidence.clear()

    def _keep(self, table: OrderedDict, key: str, value: object, generation: int) -> None:
        with self._lock:
            if generation != self._generation:
                return
            table[key] = value
            while len(table) > CACHED_DOCUMENTS:
                table.popitem(last=False)

    def document(self, store: Store, document_id: str, generation: int) -> _Document:
        """One document's passages and idf (read from the store on first use)."""
        found = self._documents.get(document_id)
        if found is None:
            texts = store.texts_of(document_id, MAX_TRANSCRIPT_CHUNKS)
            found = _Document(texts if texts is not None else [])
            self._keep(self._documents, document_id, found, generation)
        return found

    def evidence(self, store: Store, document_ids: list[str], generation: int) -> list[dict]:
        """The evidence rows of the documents, document by document in the given order (each
        document's rows in the store's order). Rows are shared: never modify them."""
        cached = {d: self._evidence.get(d) for d in document_ids}
        missing = [d for d, rows in cached.items() if rows is None]
        if missing:
            fresh: dict[str, list[dict]] = {d: [] for d in missing}
            for row in store.evidence_of(missing):
                fresh[row["document_id"]].append(row)
            for document_id, rows in fresh.items():
                cached[document_id] = rows
                self._keep(self._evidence, document_id, rows, generation)
        return [row for d in document_ids for row in cached[d] or ()]


_CACHES: weakref.WeakKeyDictionary[Store, _DocumentCache] = weakref.WeakKeyDictionary()
_CACHES_LOCK = threading.Lock()


def _cache_of(store: Store) -> _DocumentCache:
    with _CACHES_LOCK:
        cache = _CACHES.get(store)
        if cache is None:
            cache = _CACHES[store] = _DocumentCache()
    return cache


class _Passages:
    """Retrieved passages, and the transcript passages around them (read once per document)."""

    def __init__(self, store: Store, hits: list[Hit], cache: _DocumentCache,
                 generation: int) -> None:  # fmt: skip
        self.store = store
        self.cache = cache
        self.generation = generation
        self._idf: dict[str, dict[str, float]] = {}
        self._overlaps: dict[tuple[str, str], list[float]] = {}
        self.hits = hits

    def around(self, hit: Hit) -> list[tuple[str, float]]:
        """The hit's text and its neighbours' (transcripts only), each with its weight."""
        region = [(hit.text, 1.0)]
        if hit.kind != "transcript":
            return region
        document = self._document(hit.document_id)
        at = document.position.get(hit.text)
        if at is None:
            return region
        texts = document.texts
        for step in range(1, NEIGHBOURS + 1):
            for j in (at - step, at + step):
                if 0 <= j < len(texts):
                    region.append((texts[j], NEIGHBOUR_WEIGHT**step))
        return region

    def idf(self, document_id: str, fallback: Iterable[str]) -> dict[str, float]:
        """Inverse document frequency of stems over a document's passages (over `fallback`
        when the document is not read, as for the first hit of it asked about)."""
        if document_id not in self._idf:
            idf = self._document(document_id).idf
            self._idf[document_id] = idf if idf is not None else _idf(list(fallback))
        return self._idf[document_id]

    def turn_overlaps(self, document_id: str, text: str, parsed: _Parsed,
                      wanted: dict[str, float]) -> list[float]:  # fmt: skip
        """`_turn_overlaps` of a passage around a hit of the document, computed once per
        ranking (a document's hits share their neighbours, and the question's weights)."""
        key = (document_id, text)
        found = self._overlaps.get(key)
        if found is None:
            found = self._overlaps[key] = _turn_overlaps(parsed, wanted)
        return found

    def _document(self, document_id: str) -> _Document:
        return self.cache.document(self.store, document_id, self.generation)


@dataclass(frozen=True)
class _Parsed:
    """A passage's speaker turns as the ranking reads them."""

    labels: tuple[str, ...]
    words: tuple[int, ...]
    total: int  # the words shares are of: the turns' in a transcript, the text's in notes
    where: dict[str, tuple[int, ...]]  # stem -> the turns holding it


@lru_cache(maxsize=CACHED_TEXTS)
def _parsed_turns(text: str, kind: str) -> _Parsed:
    """A passage's turns: labels, words, and which turns hold each stem."""
    turns = _turns(text, kind)
    words = tuple(len(said.split()) for _, said in turns)
    total = (sum(words) if kind == "transcript" else len(text.split())) or 1
    where: dict[str, list[int]] = defaultdict(list)
    for j, (_, said) in enumerate(turns):
        for term in set(_terms(said)):
            where[term].append(j)
    return _Parsed(tuple(label for label, _ in turns), words, total,
                   {term: tuple(js) for term, js in where.items()})  # fmt: skip


def _turns(text: str, kind: str) -> list[tuple[str, str]]:
    pattern = SPEAKER_LINE if kind == "transcript" else NOTE_LINE
    return [(m.group("speaker").strip().strip("*_"), m.group("text"))
            for m in pattern.finditer(text)]  # fmt: skip


def _overlap(text: str, wanted: dict[str, float]) -> float:
    """The share of the question's weight (idf) that a text's words cover."""
    total = sum(wanted.values())
    if not total:
        return 0.0
    terms = set(_terms(text))
    return sum(v for t, v in wanted.items() if t in terms) / total


def _turn_overlaps(parsed: _Parsed, wanted: dict[str, float]) -> list[float]:
    """`_overlap` of each turn, summed in the same order (so equal to the last bit)."""
    total = sum(wanted.values())
    if not total:
        return [0.0] * len(parsed.labels)
    sums: list[float] = [0] * len(parsed.labels)
    for term, value in wanted.items():
        for j in parsed.where.get(term, ()):
            sums[j] += value
    return [s / total for s in sums]


def _said(
    tallies: dict[str, _Tally], hit: Hit, weight: float, speakers: dict[str, dict],
    passages: _Passages, wanted: dict[str, float],
) -> None:  # fmt: skip
    """Credit each speaker with their words around a hit, weighted by question overlap."""
    shares_here: dict[str, float] = defaultdict(float)
    when = _format_time(hit.start)
    floor = TURN_FLOOR if hit.kind == "transcript" else NOTE_TURN_FLOOR
    for text, near in passages.around(hit):
        parsed = _parsed_turns(text, hit.kind)
        overlaps = passages.turn_overlaps(hit.document_id, text, parsed, wanted)
        for j, label in enumerate(parsed.labels):
            row = speakers.get(label)
            if row is None:
                continue
            # A reply ("Yes, and the cost ...") belongs to the question's topic as much as
            # the turn it answers: half its own overlap, half its neighbourhood's best.
            nearby = max(overlaps[max(0, j - TURN_CONTEXT) : j + TURN_CONTEXT + 1])
            overlap = (overlaps[j] + nearby) / 2
            share = parsed.words[j] / parsed.total
            if near == 1.0:
                shares_here[label] += share
            tally = tallies.get(row["person_id"])
            if tally is None:
                tally = tallies[row["person_id"]] = _Tally(row["person_id"], row["name"])
            tally.credit(hit.document_id, "speaker", "said",
                         weight * near * share * (floor + overlap),
                         _reason("reason_spoke", share=shares_here[label], title=hit.title,
                                 time=when or ""), hit.title)  # fmt: skip


def _items(
    hit: Hit, rows: list[dict], wanted: dict[str, float]
) -> list[tuple[dict, str, float]]:
    """The scoped roles this passage holds: (row, anchor line, question overlap of the item).

    A passage may hold several agenda items (merged subsections keep their `## heading`
    lines; bold items share a section): an item runs from its anchor line to the next item's
    or the next heading, and keeps its section's heading; an anchor found only in the
    passage's heading path stands for the whole passage.
    """
    place = anchor_text(hit.location)
    sections = [anchor_text(part) for part in HEADING_LINE.split(hit.text) if part.strip()]
    found: list[tuple[int, int, str, dict]] = []  # (section, position, line, row)
    for row in rows:
        for line in (row["detail"] or "").split("\n"):
            if not line:
                continue
            where = next(((j, sec.find(line)) for j, sec in enumerate(sections) if line in sec),
                         None)  # fmt: skip
            if where is not None:
                found.append((where[0], where[1], line, row))
                break
            if line in place:
                found.append((-1, 0, line, row))
                break
    starts: dict[int, list[int]] = defaultdict(list)
    for j, at, _, row in found:
        if j >= 0 and row["role"] != "mentioned":
            starts[j].append(at)
    out: list[tuple[dict, str, float]] = []
    for j, at, line, row in found:
        if j < 0:
            region = " ".join(sections)
        elif row["role"] == "mentioned":
            region = line
        else:
            section = sections[j]
            lead = section[: min(starts[j])]  # the section's heading and what comes before
            after = [s for s in starts[j] if s > at]
            region = f"{lead} {section[at : min(after, default=len(section))]}"
        out.append((row, line, _overlap(region + " " + place, wanted)))
    return out


def _line_overlap(row: dict, line: str, wanted: dict[str, float]) -> float:
    """The share of the question a line naming someone covers, their own name left out (a
    question that names "T-lang" is not answered by every line that says "T-lang")."""
    for name in {row["mention"], row["name"]} - {""}:
        line = re.sub(rf"(?i)(?<![\w@]){re.escape(name.lstrip('@'))}(?!\w)", " ", line)
    return _overlap(line, wanted)


def _capitalised(text: str) -> bool:
    """Every word of a name starts with a capital ("Project Manager", "Mr. Pat Kelly")."""
    words = [w for w in re.findall(r"[^\W\d_][\w'’.-]*", text) if w[:1].isalpha()]
    return bool(words) and all(w[0].isupper() for w in words)


def _named(question: str, tallies: dict[str, _Tally], mentions: dict[str, set[str]]) -> set[str]:
    """Candidates the question names: a full name, handle or mention as written, or a word of
    exactly one candidate's name written as a name ("What did Grad D say", "the Professor")."""
    found: set[str] = set()
    lowered = f" {question.lower()} "
    for person_id, names in mentions.items():
        for name in names:
            key = name.lower().lstrip("@")
            if not (" " in key or len(key) >= 4 and not key.isalpha()):
                continue
            for match in re.finditer(rf"(?<![\w@]){re.escape(key)}(?!\w)", lowered):
                # A name written as a name: "the User Interface" is the person, "the user
                # interface of the remote" is not (a handle matches in any case).
                written = question[match.start() - 1 : match.end() - 1]
                if not _capitalised(name) or _capitalised(written):
                    found.add(person_id)
                    break
    words = [(m.group(), m.start()) for m in re.finditer(r"[A-Za-z]+", question)]
    for i, (word, _) in enumerate(words):
        if i == 0 or word.lower() in QUESTION_WORDS:
            continue
        previous = words[i - 1][0].lower()
        if not (word[0].isupper() or previous == "the") or (len(word) == 1 and not word.isupper()):
            continue
        holders = [pid for pid, names in mentions.items()
                   if any(word.lower() in n.lower().split() for n in names)]  # fmt: skip
        if len(holders) == 1:
            found.add(holders[0])
    return found & set(tallies)


def _score(retrieval: Retrieval, store: Store, question: str) -> dict[str, _Tally]:
    hits = [h for i, h in enumerate(retrieval.hits)
            if i < TRANSCRIPT_HITS or h.kind != "transcript"]  # fmt: skip
    cache = _cache_of(store)
    generation = store.generation
    cache.at(generation)
    evidence = cache.evidence(store, list(dict.fromkeys(h.document_id for h in hits)), generation)
    by_document: dict[str, list[dict]] = defaultdict(list)
    mentions: dict[str, set[str]] = defaultdict(set)
    for row in evidence:
        by_document[row["document_id"]].append(row)
        mentions[row["person_id"]].update({row["name"], row["mention"]} - {""})
    terms = [t for t in dict.fromkeys(_terms(question)) if t not in QUESTION_WORDS]
    passages = _Passages(store, hits, cache, generation)
    tallies: dict[str, _Tally] = {}
    wanted_of: list[dict[str, float]] = []
    items_of: list[list[tuple[dict, str, float]]] = []
    # A line that says who to go to for the asked topic or who does it ("Database platform
    # and Patroni upgrades: Tomás Silva", "for Argo CD ask Tomás", "Tomás Silva to provision
    # the new paydb cluster") delegates it: the general owners, authors and facilitators of
    # the retrieved documents count for less than the people the best such line names (a
    # runbook's owner is not who provisions the cluster its planning meeting assigned).
    answering: list[tuple[float, str]] = []  # (share of the question a line covers, person)
    for hit in hits:
        idf = passages.idf(hit.document_id, [hit.text])
        wanted = {t: idf.get(t, idf["__n__"]) for t in terms}
        scoped = [r for r in by_document[hit.document_id] if r["role"] in SCOPED_ROLES]
        items = _items(hit, scoped, wanted)
        wanted_of.append(wanted)
        items_of.append(items)
        for row, line, _ in items:
            covered = _line_overlap(row, line, wanted)
            if covered >= DELEGATE_OVERLAP:
                answering.append((covered, row["person_id"]))
    best = max((covered for covered, _ in answering), default=0.0)
    delegates = {person for covered, person in answering if covered >= best - 1e-9}
    for i, hit in enumerate(hits):
        rows = by_document[hit.document_id]
        wanted = wanted_of[i]
        speakers = {r["mention"]: r for r in rows if r["role"] == "speaker" and r["mention"]}
        if speakers:
            decay = SAY_DECAY if hit.kind == "transcript" else NOTE_SAY_DECAY
            _said(tallies, hit, 1 / (i + 1) ** decay, speakers, passages, wanted)
        owning: set[tuple[str, str]] = set()
        for row, line, overlap in items_of[i]:
            if row["role"] == "mentioned" and (row["person_id"], line) in owning:
                continue  # named in the item they own: owning it says it already
            owning.add((row["person_id"], line))
            kind, reason = _scoped_reason(row["role"], line, row, hit.title)
            tally = tallies.setdefault(row["person_id"], _Tally(row["person_id"], row["name"]))
            base = MENTION_WEIGHT if row["role"] == "mentioned" else row["weight"]
            if row["role"] == "mentioned" and _line_overlap(row, line, wanted) >= DELEGATE_OVERLAP:
                # "(usually Kwame Mensah) who writes the status page updates": the line says
                # what they do, and it is what was asked.
                kind, base = "item", ANSWERING_MENTION_WEIGHT
                reason = ("reason_named_for_it", reason[1])
            amount = (base / (i + 1) ** DOC_DECAY * (ITEM_FLOOR + overlap)
                      * (1 + ITEM_MATCH_BOOST * overlap))
            tally.credit(hit.document_id, row["role"], kind, amount, reason, hit.title)
        # A person's roles on the whole document: the strongest one counts (an owner who also
        # facilitated is not two people's worth of evidence).
        strongest: dict[str, tuple[float, dict]] = {}
        for row in rows:
            role = row["role"]
            if role == "speaker" or role in SCOPED_ROLES:
                continue
            base = (ATTENDANCE_WEIGHT if role == "attendee" else
                    CODEOWNERS_WEIGHT if row["detail"] == "CODEOWNERS" else row["weight"])
            if base > strongest.get(row["person_id"], (-1.0, row))[0]:
                strongest[row["person_id"]] = (base, row)
        for base, row in strongest.values():
            role = row["role"]
            weight = base / (i + 1) ** DOC_DECAY
            if delegates and row["person_id"] not in delegates:
                weight *= DELEGATED_SHARE
            kind = "presence" if role == "attendee" else "owned"
            detail = row["detail"] if row["detail"] and role in ("owner", "author") else ""
            reason = _reason(ROLE_REASONS.get(role, "reason_role"), role=role, title=hit.title,
                             detail=f" ({detail})" if detail else "")
            tally = tallies.setdefault(row["person_id"], _Tally(row["person_id"], row["name"]))
            tally.credit(hit.document_id, role, kind, weight, reason, hit.title)
    # Not `retrieval.people`: it matches role words in lower case too ("the user interface
    # of ..." is not User Interface speaking); `_named` wants a name written as a name.
    named = _named(question, tallies, mentions) if question else set(retrieval.people)
    for person_id in named & set(tallies):
        tallies[person_id].score *= NAMED_BOOST
        tallies[person_id].named = True
    return tallies


def _scoped_reason(role: str, line: str, row: dict, title: str) -> tuple[str, _Reason]:
    item = line if len(line) <= 70 else line[:67] + "…"
    if role == "item_owner":
        return "item", _reason("reason_item_owner", item=item, title=title)
    if role == "liaison":
        return "item", _reason("reason_liaison", item=item, title=title)
    if role == "action_owner":
        return "item", _reason("reason_action_item", title=title, detail=row["detail"][:80])
    return "named", _reason("reason_named", item=item, title=title)


def _features(tally: _Tally, total: float, top: float, runner_up: float, first: bool,
              similarity: float) -> dict[str, float]:  # fmt: skip
    kinds = tally.kinds
    strongest = max(("said", "owned", "item"), key=lambda k: kinds[k])
    return {
        "bias": 1.0,
        "log_share": math.log(max(tally.score / total, 1e-4)) if total else -9.0,
        "first": float(first),
        "lead": tally.score / top if top else 0.0,
        # How far the first stands above the second (0 for everyone else).
        "gap": 1.0 - runner_up / tally.score if first and tally.score else 0.0,
        "similarity": similarity,
        "said": float(kinds[strongest] > 0 and strongest == "said"),
        "owned": float(kinds[strongest] > 0 and strongest == "owned"),
        "item": float(kinds[strongest] > 0 and strongest == "item"),
        "named_in_question": float(tally.named),
        "presence": float(tally.presence_only),
    }


def confidence_of(features: dict[str, float]) -> float:
    """The calibrated probability that a ranked person is one to ask (`CONFIDENCE_WEIGHTS`)."""
    z = sum(CONFIDENCE_WEIGHTS.get(name, 0.0) * value for name, value in features.items())
    return 1.0 / (1.0 + math.exp(-z))


def level_of(confidence: float) -> str:
    """"strong" or "possible" (below `MIN_CONFIDENCE` a person is not shown at all)."""
    return "strong" if confidence >= STRONG_CONFIDENCE else "possible"


def rank_all(retrieval: Retrieval, store: Store, k: int = 5, question: str = "") -> list[Expert]:
    """Everyone the retrieved passages point to, best first, with confidence and level, no
    threshold applied (for evaluation and calibration; users get `rank_experts`)."""
    tallies = _score(retrieval, store, question)
    lang = language_of(question) if question else DEFAULT_LANGUAGE
    ordered = sorted(tallies.values(),
                     key=lambda t: (t.presence_only, -t.score, t.name))  # fmt: skip
    total = sum(t.score for t in ordered)
    top = ordered[0].score if ordered else 0.0
    runner_up = ordered[1].score if len(ordered) > 1 else 0.0
    similarity = max((retrieval.dense_scores.get(r, 0.0)
                      for r in retrieval.rowids[:SIMILARITY_HITS]), default=0.0)  # fmt: skip
    experts: list[Expert] = []
    for position, tally in enumerate(ordered[:k]):
        items = sorted(tally.items.items(), key=lambda kv: -kv[1][0])
        reasons = list(dict.fromkeys(_reason_text(reason, lang)
                                     for _, (_, reason, _) in items))[:3]  # fmt: skip
        if tally.named:
            reasons.insert(0, message("reason_in_question", lang))
        confidence = confidence_of(
            _features(tally, total, top, runner_up, position == 0, similarity)
        )
        experts.append(Expert(
            person_id=tally.person_id, name=tally.name, score=round(tally.score, 4),
            reasons=reasons,
            evidence=[ExpertEvidence(document_id=doc, title=title, role=role)
                      for (doc, role), (_, _, title) in items[:5]],
            confidence=round(confidence, 3),
            # Being named or present is never "strong": only saying, writing or owning it.
            level="possible" if tally.presence_only else level_of(confidence),
        ))  # fmt: skip
    return experts


def rank_experts(
    retrieval: Retrieval, store: Store, k: int = 5, question: str = "",
    min_confidence: float = MIN_CONFIDENCE,
) -> list[Expert]:
    """The people likely to know about what was retrieved: at most `k`, only those whose
    confidence reaches `min_confidence` (so possibly none), each with a level, reasons and
    the documents behind them.

    Args:
        retrieval: what was retrieved for the question (`EXPERT_HITS` passages are best).
        store: the knowledge base's store (evidence, and transcript passages around hits).
        k: the most people to return.
        question: the question asked; it names people ("what did Priya say") and its words
            tell which turns of a transcript answer it. Without it, passages alone decide.
        min_confidence: the least confidence shown.
    """
    ranked = rank_all(retrieval, store, k, question)
    return [e for e in ranked if e.confidence >= min_confidence]


def experts_for_abstention(experts: list[Expert], k: int = 3, question: str = ""
                           ) -> list[Expert]:  # fmt: skip
    """Who to ask when Kenning could not answer: never "strong" — at most `k` people labelled
    as knowing neighbouring topics, those topics (the documents they know) named, or nobody.
    The question is not repeated in the reason: the asker knows it, and a reason is shown
    to whoever reads the response.

    Args:
        experts: the ranked experts for the question (already above the threshold).
        k: the most people to return.
        question: the question, whose language the reason is written in.
    """
    lang = language_of(question) if question else DEFAULT_LANGUAGE
    out: list[Expert] = []
    for expert in experts[:k]:
        titles = list(dict.fromkeys(e.title for e in expert.evidence))[:2]
        quoted = [message("quoted", lang, title=t) for t in titles]
        near = message("and", lang).join(quoted) or message("related_documents", lang)
        reason = message("reason_neighbouring", lang, near=near)
        out.append(replace(expert, level="neighbouring", reasons=[reason, *expert.reasons],
                           confidence=min(expert.confidence, STRONG_CONFIDENCE - 0.01)))
    return out
