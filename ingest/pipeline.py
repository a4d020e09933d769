"""From one file to a document ready to store: parse, tell the kind, find people, chunk."""

from __future__ import annotations

import hashlib
import re
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
from kenning.ingest.kinds import detect_kind
from kenning.ingest.parsers import audio, parser_for, suffix_of
from kenning.ingest.people import extract_mentions
from kenning.ingest.sidecar import find_sidecars
from kenning.schema import ROLE_WEIGHTS, Chunk, Document, Evidence, ParsedDocument, Person

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
    parsed = parsed if parsed is not None else parse_file(path, context.transcription)
    if not any(b.text.strip() for b in parsed.blocks):
        raise ParseError(str(path), "no text found")
    try:
        relative = PurePath(path.relative_to(root))
    except ValueError:
        relative = PurePath(path.name)
    mentions = extract_mentions(parsed)
    parsed.people = list(mentions)  # kind detection reads attendees and action owners
    kind = detect_kind(parsed, relative, context.kind)
    meta = parsed.meta
    source = parsed.source if exported else str(path)
    document_id = Document.id_for(source)

    mentions += [("owner", owner, "CODEOWNERS") for owner in owners]
    if git is not None:
        for author, commits in git.top_authors(path):
            mentions.append(("author", author, f"{commits} commits"))

    evidence: list[Evidence] = []
    people: dict[str, Person] = {}
    seen: set[tuple[str, str]] = set()
    for role, mention, detail in mentions:
        person = context.directory.resolve(mention)
        if person is None:
            continue
        people[person.id] = person
        share = float(detail) if role == "speaker" else None
        key = (person.id, role)
        if key in seen and role != "action_owner":
            continue
        seen.add(key)
        evidence.append(
            Evidence(
                person_id=person.id,
                role=role,
                weight=ROLE_WEIGHTS.get(role, 0.2),
                share=share,
                detail="" if role == "speaker" else detail,
                mention=mention,
            )
        )

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
    updated = first_date(
        meta.get("updated"), meta.get("last_updated"), meta.get("modified"),
        meta.get("last-updated"), meta.get("date"), created, path.name, modified,
    )  # fmt: skip
    document = Document(
        id=document_id,
        source=source,
        title=" ".join(parsed.title.split())[:300],
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
