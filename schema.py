"""The types every stage passes on, and the response contract of the API, CLI and Python API."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from kenning.errors import InvalidRequest

KINDS: tuple[str, ...] = ("document", "meeting", "transcript", "retrospective")
# Roles that make a person answerable for a text (shown as "owned or written").
OWNED_ROLES: tuple[str, ...] = ("owner", "author", "reviewer")

# How much a role says about a person knowing the content (document model of expertise,
# Balog et al. 2006): owning or writing a text outweighs having sat in the meeting.
ROLE_WEIGHTS: dict[str, float] = {
    "owner": 1.0,
    "author": 0.8,
    "presenter": 0.7,
    "action_owner": 0.6,
    "speaker": 0.6,
    "facilitator": 0.5,
    "reviewer": 0.4,
    "attendee": 0.2,
    # Held for one part of a document (an agenda item, a table row, a line); see
    # ingest/people.py. Owning or shepherding the matched item counts nearly as owning a text.
    "item_owner": 0.9,
    "liaison": 0.6,
    "mentioned": 0.15,
}


# Roles held for one part of a document: their evidence's `detail` holds anchor lines
# (`anchor_text`, one per line), and a passage counts for them only when it holds one.
SCOPED_ROLES: tuple[str, ...] = ("item_owner", "liaison", "action_owner", "mentioned")
ANCHOR_MARKUP = re.compile(r"[*_`#>|]")
ANCHOR_BULLET = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s*)?", re.M)


def anchor_text(text: str) -> str:
    """Text as anchors are compared: no bullets or Markdown markup, single spaces."""
    return " ".join(ANCHOR_MARKUP.sub(" ", ANCHOR_BULLET.sub("", text)).split())


def stable_id(*parts: str, length: int = 16) -> str:
    """Hash the given parts into a short, stable hexadecimal id."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return digest[:length]


@dataclass(frozen=True)
class Person:
    """Someone who owns, wrote, presented or spoke; one identity however they are named."""

    id: str
    name: str
    aliases: tuple[str, ...] = ()
    teams: tuple[str, ...] = ()


@dataclass(frozen=True)
class Evidence:
    """The role of a person on a document (or on one chunk of it), weighted."""

    person_id: str
    role: str
    weight: float
    share: float | None = None  # share of words, for speakers
    detail: str = ""  # e.g. the action item text, "12 commits"
    mention: str = ""  # how the source named the person (a speaker label, a handle)


@dataclass(frozen=True)
class Block:
    """A piece of parsed text with its place in the source, before chunking."""

    text: str
    heading_path: tuple[str, ...] = ()
    page: int | None = None
    start: float | None = None
    end: float | None = None
    speaker: str | None = None


@dataclass
class ParsedDocument:
    """What a parser returns: text blocks in order plus the metadata found in the file."""

    source: str
    title: str
    blocks: list[Block]
    kind: str | None = None  # None: decided by ingest.kinds
    meta: dict[str, Any] = field(default_factory=dict)
    # raw people mentions by role, before identity resolution: [(role, name, detail)]
    people: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage of a document."""

    id: str
    document_id: str
    ord: int
    text: str
    location: str
    heading: str = ""
    page: int | None = None
    start: float | None = None
    end: float | None = None
    speakers: tuple[str, ...] = ()
    lang: str = ""  # ISO 639-1 code of the detected language ("fr", "en"); "" when unknown


@dataclass
class Document:
    """One source in the knowledge base, with its people and their roles."""

    id: str
    source: str
    title: str
    kind: str
    created: str | None = None
    updated: str | None = None
    review_by: str | None = None
    last_reviewed: str | None = None
    tags: tuple[str, ...] = ()
    team: str | None = None
    groups: tuple[str, ...] = ()
    content_hash: str = ""
    meta: dict[str, Any] = field(default_factory=dict)
    evidence: list[Evidence] = field(default_factory=list)

    @staticmethod
    def id_for(source: str) -> str:
        """The stable id of a document: a hash of its source path or URL."""
        return stable_id(source)


MAX_FILTER_CHARS = 500
MAX_FILTER_VALUES = 100
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _filter_strings(key: str, value: object) -> tuple[str, ...]:
    """A filter's values as a tuple of strings; ValueError naming the filter otherwise."""
    items = [value] if isinstance(value, str) else value
    if (
        not isinstance(items, list | tuple)
        or len(items) > MAX_FILTER_VALUES
        or not all(isinstance(v, str) and len(v) <= MAX_FILTER_CHARS for v in items)
    ):
        raise InvalidRequest(key="filter_strings", name=key, limit=MAX_FILTER_VALUES)
    return tuple(items)


def check_text(text: str) -> str:
    """The text itself, or a ValueError when it is not valid Unicode (lone surrogates such as
    `\\ud800` cannot be encoded, embedded or logged)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidRequest(key="not_unicode") from exc
    return text


def _is_iso_date(value: str) -> bool:
    """True for a real calendar date written YYYY-MM-DD, optionally with a time (2026-02-31
    is not one)."""
    if not ISO_DATE.match(value):
        return False
    try:
        date.fromisoformat(value[:10])
        if len(value) > 10:
            datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Filters:
    """Restrictions on what a search may return. Empty fields do not restrict."""

    kind: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    team: str | None = None
    person: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    source_prefix: str | None = None
    groups: tuple[str, ...] | None = None  # None: the caller may read everything
    lang: tuple[str, ...] = ()  # passages in these languages (ISO 639-1 codes: "fr", "en")

    FIELDS: ClassVar[tuple[str, ...]] = (
        "kind",
        "tags",
        "team",
        "person",
        "date_from",
        "date_to",
        "source_prefix",
        "groups",
        "lang",
    )

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Filters:
        """Build filters from a plain mapping, rejecting unknown keys and kinds.

        Raises:
            ValueError: naming the unknown key or kind and listing the valid ones.
        """
        if not data:
            return cls()
        unknown = sorted(set(data) - set(cls.FIELDS))
        if unknown:
            raise InvalidRequest(key="filter_unknown", unknown=", ".join(unknown),
                                 valid=", ".join(cls.FIELDS))  # fmt: skip
        values = dict(data)
        for key, value in values.items():
            if value is None:
                raise InvalidRequest(key="filter_null", name=key)
            texts = [value] if isinstance(value, str) else value if isinstance(value, list) else []
            for text in texts:
                if isinstance(text, str):
                    try:
                        check_text(text)
                    except InvalidRequest as exc:
                        raise InvalidRequest(key="filter_text", name=key, reason=exc) from None
        for key in ("kind", "tags", "groups", "lang"):
            if key in values:
                values[key] = _filter_strings(key, values[key])
        for key in ("team", "person", "date_from", "date_to", "source_prefix"):
            value = values.get(key)
            if value is not None and (not isinstance(value, str) or len(value) > MAX_FILTER_CHARS):
                raise InvalidRequest(key="filter_string", name=key, limit=MAX_FILTER_CHARS)
            if key.startswith("date_") and value and not _is_iso_date(value):
                raise InvalidRequest(key="filter_date", name=key, value=value)
        for kind in values.get("kind", ()):
            if kind not in KINDS:
                raise InvalidRequest(key="kind_unknown", kind=kind, valid=", ".join(KINDS))
        return cls(**values)

    def is_empty(self) -> bool:
        """True when nothing is restricted."""
        return self == Filters()


@dataclass
class Hit:
    """A retrieved passage, as returned by search."""

    rank: int
    score: float
    document_id: str
    title: str
    source: str
    kind: str
    text: str
    location: str
    start: float | None
    end: float | None
    speakers: list[str]
    lang: str = ""  # the passage's detected language ("fr", "en"); "" when unknown

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the hit: exactly the fields of the contract."""
        return asdict(self)


@dataclass
class Citation(Hit):
    """A passage an answer rests on; `n` is its marker `[n]` in the answer text, and
    `highlights` are the spans of `text` (verbatim) that the answer quotes."""

    n: int = 0
    highlights: list[str] = field(default_factory=list)


@dataclass
class ExpertEvidence:
    """One document behind an expert's score."""

    document_id: str
    title: str
    role: str


@dataclass
class Expert:
    """A person likely to know about a question, with reasons a reader can check."""

    person_id: str
    name: str
    score: float
    reasons: list[str]
    evidence: list[ExpertEvidence]
    # How likely this person is to know (calibrated on held-out sets; qa/experts.py), and
    # what a reader is told: "strong", "possible", or "neighbouring" (when Kenning abstained:
    # they know nearby topics, not the answer).
    confidence: float = 0.0
    level: str = "possible"

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the expert."""
        return asdict(self)


@dataclass
class AskResponse:
    """An answer with its citations and the people who know."""

    answer: str
    citations: list[Citation]
    experts: list[Expert]
    abstained: bool
    timings_ms: dict[str, float]
    answerer: str = "extractive"
    # What was searched: the question made standalone from the conversation, and
    # that with its typos corrected (None when nothing was corrected).
    rewritten_question: str | None = None
    corrected_question: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the response (rewritten_question and corrected_question included)."""
        return asdict(self)


@dataclass
class FileReport:
    """What happened to one file during ingestion."""

    path: str
    status: Literal["added", "updated", "unchanged", "failed", "skipped"]
    reason: str = ""
    chunks: int = 0
    document_id: str | None = None


@dataclass
class IngestReport:
    """The summary of an ingestion run."""

    files: list[FileReport] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    chunks: int = 0
    people: int = 0
    seconds: float = 0.0
    advice: list[str] = field(default_factory=list)  # e.g. a better embedding model for it

    def count(self, status: str) -> int:
        """How many files ended with the given status."""
        return sum(1 for f in self.files if f.status == status)

    @property
    def failed(self) -> list[FileReport]:
        """The files that could not be ingested."""
        return [f for f in self.files if f.status == "failed"]

    def to_dict(self) -> dict[str, Any]:
        """The JSON form of the report, with counts."""
        data = asdict(self)
        data["counts"] = {
            s: self.count(s) for s in ("added", "updated", "unchanged", "failed", "skipped")
        }
        return data
