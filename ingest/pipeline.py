"""From one file to a document ready to store: parse, tell the kind, find people, chunk."""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath

from kenning.errors import ParseError
from kenning.ingest.chunking import ChunkSettings, chunk_blocks
from kenning.ingest.codeowners import CodeOwners
from kenning.ingest.directory import PeopleDirectory
from kenning.ingest.folder_config import FolderGroups
from kenning.ingest.frontmatter import as_list
from kenning.ingest.git_history import GitHistory
from kenning.ingest.identity import IdentityResolver
from kenning.ingest.kinds import detect_kind
from kenning.ingest.parsers import audio, parser_for, suffix_of
from kenning.ingest.people import MAX_ANCHORS, extract_mentions
from kenning.ingest.sidecar import find_sidecars
from kenning.ingest.titles import readable_title, stated_update
from kenning.schema import (
    ROLE_WEIGHTS,
    SCOPED_ROLES,
    Chunk,
    Document,
    Evidence,
    ParsedDocument,
    Person,
)

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
KEPT_PARSE_BYTES = 64 * 1024 * 1024  # of files whose parse waits for their own ingest


@dataclass
class IngestContext:
    """What a file's meaning depends on beyond its own bytes."""

    directory: PeopleDirectory
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    codeowners: dict[Path, CodeOwners | None] = field(default_factory=dict)
    git: dict[Path, GitHistory | None] = field(default_factory=dict)
    kind: str | None = None
    groups: tuple[str, ...] = ()
    folders: FolderGroups = field(default_factory=FolderGroups)  # .kenning.yaml groups
    default_groups: tuple[str, ...] = ()  # for documents that get no groups otherwise
    tags: tuple[str, ...] = ()
    transcription: audio.TranscriptionOptions = field(default_factory=audio.TranscriptionOptions)
    identities: IdentityResolver | None = None  # made on first use; learns each folder once
    parses: FolderParses = field(default_factory=lambda: FolderParses())

    def identity(self) -> IdentityResolver:
        """The identity resolver of this ingest (one per run, so folders are read once)."""
        if self.identities is None:
            self.identities = IdentityResolver(self.directory, self.parses.roster_entry)
        return self.identities


class FolderParses:
    """The parses made while learning a folder's roster, kept until each of its files is
    ingested: a file is parsed once, not once for its folder's roster and again for itself.
    At most `KEPT_PARSE_BYTES` of files are kept (the oldest parses go first), and a parse is
    used only while the file's size and modification time are those it was parsed at."""

    def __init__(self) -> None:
        self._parsed: OrderedDict[Path, tuple[tuple[int, int], ParsedDocument]] = OrderedDict()
        self._bytes = 0

    def roster_entry(self, path: Path) -> tuple[list[str], str]:
        """`roster_entry`, keeping the parse."""
        stamp = _stamp(path)
        parsed = parse_file(path)
        self._forget(path)
        self._parsed[path] = (stamp, parsed)
        self._bytes += stamp[1]
        while self._bytes > KEPT_PARSE_BYTES:
            self._forget(next(iter(self._parsed)))
        return _roster_of(parsed)

    def take(self, path: Path) -> ParsedDocument | None:
        """The kept parse of `path` (then forgotten), or None."""
        kept = self._parsed.get(path)
        self._forget(path)
        if kept is None or kept[0] != _stamp(path):
            return None
        return kept[1]

    def _forget(self, path: Path) -> None:
        kept = self._parsed.pop(path, None)
        if kept is not None:
            self._bytes -= kept[0][1]


def _stamp(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_mtime_ns, stat.st_size


@dataclass
class Prepared:
    """A parsed, chunked document with its people, ready to embed and store."""

    document: Document
    chunks: list[Chunk]
    people: list[Person]
    note: str = ""


def fingerprint(
    data: bytes, owners: tuple[str, ...], context: IngestContext, path: Path | None = None
) -> str:
    """The content hash: the bytes plus everything else that changes the stored result
    (with `path`, the groups its `.kenning.yaml` gives, so changing them re-ingests it)."""
    digest = hashlib.sha256(data)
    folder_groups = context.folders.of(path) if path is not None else ()
    extra = "|".join(
        [context.chunking.signature(), ",".join(owners), context.kind or "",
         ",".join(context.groups), ",".join(context.tags)]
        + ([",".join(folder_groups)] if folder_groups else [])  # unchanged hashes without
        + (["default:" + ",".join(context.default_groups)] if context.default_groups else [])
    )  # fmt: skip
    digest.update(extra.encode())
    return digest.hexdigest()


def first_date(*values: object) -> str | None:
    """The first value that holds an ISO date, as YYYY-MM-DD."""
    for value in values:
        if value:
            match = DATE.search(str(value))
            if match:
                return match.group(0)
    return None


def source_bytes(path: Path) -> bytes:
    """The bytes a document is made of: the file, and a recording's sidecar files too."""
    data = path.read_bytes()
    if suffix_of(path) in audio.RECORDING_SUFFIXES:
        for sidecar in find_sidecars(path).paths:
            data += b"\0" + sidecar.name.encode() + b"\0" + sidecar.read_bytes()
    return data


def parse_file(
    path: Path, transcription: audio.TranscriptionOptions | None = None
) -> ParsedDocument:
    """Parse a file with the parser for its format.

    Raises:
        ParseError: the format is unsupported, or the file cannot be read as its format.
    """
    if suffix_of(path) in audio.RECORDING_SUFFIXES:
        # Recordings also need the knowledge base's transcript cache and the progress flag.
        return audio.parse(path, transcription)
    parser = parser_for(path)
    if parser is None:
        raise ParseError(str(path), f"unsupported file type {suffix_of(path) or '(none)'!r}")
    return parser(path)


def roster_entry(path: Path) -> tuple[list[str], str]:
    """The names a sibling file uses for people, and its text: what a folder's roster is
    learnt from."""
    return _roster_of(parse_file(path))


def _roster_of(parsed: ParsedDocument) -> tuple[list[str], str]:
    names = [name for _, name, _ in extract_mentions(parsed)]
    return names, "\n".join(block.text for block in parsed.blocks)


def resolve_people(
    path: Path, parsed: ParsedDocument, mentions: list[tuple[str, str, str]],
    context: IngestContext,
) -> tuple[list[Evidence], dict[str, Person]]:
    """Each mention's person (through the document's, its folder's and the directory's names)
    and the evidence of their roles; a role held for parts of the document keeps every part's
    anchor line."""
    text = "\n".join(block.text for block in parsed.blocks)
    resolve = context.identity().for_document(path, [m for _, m, _ in mentions], text)
    evidence: dict[tuple[str, str, str], Evidence] = {}
    people: dict[str, Person] = {}
    for role, mention, detail in mentions:
        person = resolve(mention)
        if person is None:
            continue
        people[person.id] = person
        # A speaker keeps a row per label (the ranker finds their lines by it); an action
        # item a row per item; other roles one row per person, anchors merged.
        key = (person.id, role, mention if role == "speaker" else
               detail if role == "action_owner" else "")  # fmt: skip
        earlier = evidence.get(key)
        if earlier is not None and role in SCOPED_ROLES and role != "action_owner":
            anchors = list(dict.fromkeys([*earlier.detail.split("\n"), *detail.split("\n")]))
            evidence[key] = Evidence(**{**earlier.__dict__,
                                        "detail": "\n".join(anchors[:MAX_ANCHORS])})  # fmt: skip
            continue
        if earlier is not None:
            continue
        evidence[key] = Evidence(
            person_id=person.id,
            role=role,
            weight=ROLE_WEIGHTS.get(role, 0.2),
            share=float(detail) if role == "speaker" else None,
            detail="" if role == "speaker" else detail,
            mention=mention,
        )
    for person_id in people:  # aliases learnt while resolving
        people[person_id] = context.directory.get(person_id) or people[person_id]
    return list(evidence.values()), people


def prepare(
    path: Path,
    root: Path,
    content_hash: str,
    owners: tuple[str, ...],
    git: GitHistory | None,
    context: IngestContext,
    parsed: ParsedDocument | None = None,
) -> Prepared:
    """Parse one file into a document, its chunks and its people (or, with `parsed`, one
    document of an export at `path`; its source is the parsed document's own).

    Raises:
        ParseError: the file cannot be read, or holds no text.
    """
    exported = parsed is not None
    series = context.identity().folder(path)  # first: it parses the folder's files
    if parsed is None:
        parsed = context.parses.take(path) or parse_file(path, context.transcription)
    if not any(b.text.strip() for b in parsed.blocks):
        raise ParseError(str(path), "no text found")
    try:
        relative = PurePath(path.relative_to(root))
    except ValueError:
        relative = PurePath(path.name)
    mentions = extract_mentions(parsed, series.names, lambda name: bool(series.expand(name)))
    parsed.people = list(mentions)  # kind detection reads attendees and action owners
    kind = detect_kind(parsed, relative, context.kind)
    meta = parsed.meta
    source = parsed.source if exported else str(path)
    document_id = Document.id_for(source)

    mentions += [("owner", owner, "CODEOWNERS") for owner in owners]
    if git is not None:
        for author, commits in git.top_authors(path):
            mentions.append(("author", author, f"{commits} commits"))

    evidence, people = resolve_people(path, parsed, mentions, context)

    stat = path.stat()
    modified = datetime.fromtimestamp(stat.st_mtime, UTC).date().isoformat()
    team = meta.get("team") or meta.get("owning_sig")
    own_groups = as_list(meta.get("groups")) or list(context.folders.of(path))
    groups = tuple(dict.fromkeys([*own_groups, *context.groups])) or context.default_groups
    tags = tuple(dict.fromkeys([*as_list(meta.get("tags") or meta.get("keywords")),
                                *context.tags]))  # fmt: skip
    created = first_date(
        meta.get("created"), meta.get("date"), meta.get("creation_date"), path.name
    )
    # What the document says ("Last edited 30 January 2026") before the file's own time: a
    # fresh clone's files are all modified the day it was made.
    opening = "\n".join(b.text for b in parsed.blocks[:3])
    updated = first_date(
        meta.get("updated"), meta.get("last_updated"), meta.get("modified"),
        meta.get("last-updated"), meta.get("date"), stated_update(opening), created, path.name,
        modified,
    )  # fmt: skip
    document = Document(
        id=document_id,
        source=source,
        title=readable_title(parsed.title)[:300],
        kind=kind,
        created=created,
        updated=updated,
        review_by=first_date(meta.get("review_by"), meta.get("review_date"), meta.get("review")),
        last_reviewed=first_date(meta.get("last_reviewed")),
        tags=tags,
        team=str(team) if team else None,
        groups=groups,
        content_hash=content_hash,
        meta={k: v for k, v in meta.items() if not k.startswith("_")},
        evidence=evidence,
    )
    page_label = str(meta.get("_page_label", "page"))
    chunks = chunk_blocks(document_id, parsed.blocks, context.chunking, page_label)
    return Prepared(document, chunks, list(people.values()), str(meta.get("_note", "")))
