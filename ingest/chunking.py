"""Chunking that follows structure: heading sections, pages, and whole speaker turns."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kenning.ingest.language import language_of
from kenning.schema import Block, Chunk, stable_id

if TYPE_CHECKING:
    from kenning.config import Settings


@dataclass(frozen=True)
class ChunkSettings:
    """How documents are cut into chunks."""

    transcript_window_words: int = 250
    section_chunk_chars: int = 1500
    section_overlap_chars: int = 150

    @classmethod
    def from_settings(cls, settings: Settings) -> ChunkSettings:
        """The chunking the settings ask for."""
        return cls(
            transcript_window_words=settings.transcript_window_words,
            section_chunk_chars=settings.section_chunk_chars,
            section_overlap_chars=settings.section_overlap_chars,
        )

    def signature(self) -> str:
        """A short string that changes whenever chunking would change."""
        return (
            f"w{self.transcript_window_words}-c{self.section_chunk_chars}"
            f"-o{self.section_overlap_chars}-v1"
        )


def format_seconds(seconds: float) -> str:
    """`3725.0` -> `01:02:05`."""
    total = int(seconds)
    return f"{total // 3600:02d}:{total % 3600 // 60:02d}:{total % 60:02d}"


def location_of(block: Block, page_label: str = "page") -> str:
    """Where a block sits, for a reader: heading path, page or time range."""
    parts: list[str] = []
    if block.heading_path:
        parts.append(" > ".join(block.heading_path))
    if block.page is not None:
        parts.append(f"{page_label} {block.page}")
    if block.start is not None:
        end = f"–{format_seconds(block.end)}" if block.end is not None else ""
        parts.append(f"{format_seconds(block.start)}{end}")
    return ", ".join(parts)


def _text_splitter(**options: Any) -> Any:  # noqa: ANN401
    """LangChain's RecursiveCharacterTextSplitter, imported on first use: LangChain takes ~0.1 s
    to import, which `kenning serve` would pay before its first answer."""
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    return RecursiveCharacterTextSplitter(**options)


def split_long_turn(turn: Block, max_words: int) -> list[Block]:
    """Cut a turn that alone exceeds the window, interpolating times by word position."""
    words = turn.text.split()
    if len(words) <= max_words:
        return [turn]
    splitter = _text_splitter(
        chunk_size=max_words * 6, chunk_overlap=0, separators=[". ", "? ", "! ", ", ", " "],
        keep_separator="end",
    )
    pieces = [p.strip() for p in splitter.split_text(turn.text) if p.strip()]
    out: list[Block] = []
    seen = 0
    duration = (turn.end - turn.start) if turn.start is not None and turn.end is not None else None
    for piece in pieces:
        n = len(piece.split())
        start = end = None
        if duration is not None and turn.start is not None:
            start = turn.start + duration * seen / len(words)
            end = turn.start + duration * min(seen + n, len(words)) / len(words)
        out.append(Block(text=piece, speaker=turn.speaker, start=start, end=end))
        seen += n
    return out


def chunk_transcript(
    document_id: str, turns: list[Block], settings: ChunkSettings
) -> list[Chunk]:
    """Windows of whole speaker turns, `Speaker: text` lines, about N words each."""
    limit = settings.transcript_window_words
    pieces = [piece for turn in turns for piece in split_long_turn(turn, limit)]
    windows: list[list[Block]] = []
    current: list[Block] = []
    words = 0
    for piece in pieces:
        n = len(piece.text.split())
        if current and words + n > limit:
            windows.append(current)
            current, words = [], 0
        current.append(piece)
        words += n
    if current:
        windows.append(current)
    chunks: list[Chunk] = []
    for window in windows:
        text = "\n".join(f"{b.speaker}: {b.text}" if b.speaker else b.text for b in window)
        starts = [b.start for b in window if b.start is not None]
        ends = [b.end if b.end is not None else b.start for b in window if b.start is not None]
        start = min(starts) if starts else None
        end = max(e for e in ends if e is not None) if starts else None
        span = Block(text="", start=start, end=end)
        speakers = tuple(dict.fromkeys(b.speaker for b in window if b.speaker))
        chunks.append(_make_chunk(document_id, len(chunks), text, span, speakers, "page"))
    return chunks


# Neighbouring small sections are merged up to this share of the chunk size, so a chunk
# holds a whole sub-topic (a procedure and its steps) rather than a heading and one line.
MERGE_SHARE = 0.6


def _common_prefix(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    common: list[str] = []
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        common.append(x)
    return tuple(common)


def _mergeable(last: Block, block: Block, limit: int) -> bool:
    """Small siblings, or a small parent and its first child, on the same page."""
    if last.page != block.page or len(last.text) + len(block.text) > limit:
        return False
    is_child = block.heading_path[: len(last.heading_path)] == last.heading_path
    # Siblings merge only below a section (H3s of one H2), never the H2 topics of a title.
    is_sibling = (
        len(block.heading_path) == len(last.heading_path) >= 3
        and block.heading_path[:-1] == last.heading_path[:-1]
    )
    return is_child or is_sibling


def chunk_sections(
    document_id: str, blocks: list[Block], settings: ChunkSettings, page_label: str = "page"
) -> list[Chunk]:
    """One chunk per heading section (or page); long ones split, short neighbours merged."""
    splitter = _text_splitter(
        chunk_size=settings.section_chunk_chars,
        chunk_overlap=settings.section_overlap_chars,
    )
    merged: list[Block] = []
    limit = int(settings.section_chunk_chars * MERGE_SHARE)
    for block in blocks:
        last = merged[-1] if merged else None
        if last is not None and _mergeable(last, block, limit):
            common = _common_prefix(last.heading_path, block.heading_path)
            sub = " > ".join(block.heading_path[len(common) :])
            # Merged subsections keep their headings as Markdown heading lines.
            heading = f"## {sub}\n" if sub else ""
            text = f"{last.text}\n\n{heading}{block.text}"
            if last.heading_path != common and len(last.heading_path) > len(common):
                own = " > ".join(last.heading_path[len(common) :])
                text = f"## {own}\n{text}"
            merged[-1] = Block(text=text, heading_path=common, page=last.page)
        else:
            merged.append(block)
    chunks: list[Chunk] = []
    longest_run = settings.section_chunk_chars // 4
    for block in merged:
        for piece in splitter.split_text(_break_long_runs(block.text, longest_run)):
            if piece.strip():
                chunks.append(
                    _make_chunk(document_id, len(chunks), piece.strip(), block, (), page_label)
                )
    return chunks


def _break_long_runs(text: str, size: int) -> str:
    """Break runs of non-space characters longer than a chunk (base64, minified code).

    The splitter would fall back to one split per character on them, which takes minutes
    on a few MB; a space every `size` characters keeps it linear.
    """
    if len(text) <= size or not re.search(rf"\S{{{size + 1}}}", text):
        return text
    return re.sub(
        rf"\S{{{size + 1},}}",
        lambda m: " ".join(m[0][i : i + size] for i in range(0, len(m[0]), size)),
        text,
    )


def _make_chunk(
    document_id: str,
    ord_: int,
    text: str,
    block: Block,
    speakers: tuple[str, ...],
    page_label: str,
) -> Chunk:
    return Chunk(
        id=stable_id(document_id, str(ord_), text),
        document_id=document_id,
        ord=ord_,
        text=text,
        location=location_of(block, page_label),
        heading=" > ".join(block.heading_path),
        page=block.page,
        start=block.start,
        end=block.end,
        speakers=speakers,
        lang=language_of(text),
    )


def chunk_blocks(
    document_id: str, blocks: list[Block], settings: ChunkSettings, page_label: str = "page"
) -> list[Chunk]:
    """Chunk a parsed document: speaker windows for turns, sections for everything else."""
    if blocks and all(b.speaker is not None or b.start is not None for b in blocks):
        return chunk_transcript(document_id, blocks, settings)
    return chunk_sections(document_id, blocks, settings, page_label)
