"""Speaker-labelled text transcripts: `Name: words` or `[hh:mm:ss] Name: words` lines."""

from __future__ import annotations

import re
from pathlib import Path

from kenning.errors import ParseError
from kenning.ingest.parsers.textio import read_text
from kenning.ingest.titles import title_from_stem
from kenning.schema import Block, ParsedDocument

TIMESTAMP = r"\[?(?P<ts>\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?)\]?"
SPEAKER = r"(?P<speaker>[A-Z][\w.'’-]*(?:[ ][A-Z0-9][\w.'’-]*){0,3}|[A-Z][A-Za-z]+(?: [a-z]+){0,2})"
SPEAKER_LINE = re.compile(rf"^\s*(?:{TIMESTAMP}\s*[-–]?\s*)?{SPEAKER}\s*:\s+(?P<text>\S.*)$")
# Words that end a line like "Note: ..." and are not people.
NOT_SPEAKERS = frozenset({"note", "notes", "action", "todo", "decision", "http", "https", "q", "a"})


def to_seconds(stamp: str) -> float:
    """`01:02:03.5` or `02:03` to seconds."""
    parts = stamp.replace(",", ".").split(":")
    seconds = 0.0
    for part in parts:
        seconds = seconds * 60 + float(part)
    return seconds


def match_speaker_line(line: str) -> re.Match[str] | None:
    """The match of a speaker-labelled line, or None."""
    match = SPEAKER_LINE.match(line)
    if match and match.group("speaker").lower() not in NOT_SPEAKERS:
        return match
    return None


def is_speaker_labelled(text: str) -> bool:
    """True when most non-empty lines are `Name: words` (a transcript, not prose)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 3:
        return False
    hits = sum(1 for line in lines if match_speaker_line(line))
    speakers = {m.group("speaker") for line in lines if (m := match_speaker_line(line))}
    return hits / len(lines) >= 0.6 and len(speakers) >= 1


def parse_turns(text: str, source: str) -> list[Block]:
    """Turns of a speaker-labelled text; lines without a label continue the previous turn."""
    blocks: list[Block] = []
    speaker: str | None = None
    start: float | None = None
    words: list[str] = []

    def flush() -> None:
        if words:
            blocks.append(Block(text=" ".join(words), speaker=speaker, start=start))

    for line in text.splitlines():
        if not line.strip():
            continue
        match = match_speaker_line(line)
        if match:
            new_speaker = match.group("speaker").strip()
            stamp = match.group("ts")
            if new_speaker != speaker or stamp:
                flush()
                words = []
                speaker = new_speaker
                start = to_seconds(stamp) if stamp else None
            words.append(match.group("text").strip())
        else:
            words.append(line.strip())
    flush()
    if not blocks:
        raise ParseError(source, "no speaker turns found")
    # A turn ends where the next one starts.
    timed: list[Block] = []
    for i, block in enumerate(blocks):
        nxt = blocks[i + 1].start if i + 1 < len(blocks) else None
        end = nxt if nxt is not None and block.start is not None else block.start
        timed.append(Block(text=block.text, speaker=block.speaker, start=block.start, end=end))
    return timed


def parse(path: Path) -> ParsedDocument:
    """Parse a speaker-labelled text transcript into turns."""
    text, note = read_text(path)
    doc = ParsedDocument(
        source=str(path),
        title=title_from_stem(path),
        blocks=parse_turns(text, str(path)),
        kind="transcript",
    )
    if note:
        doc.meta["_note"] = note
    return doc
