"""SRT subtitles: timings, and speakers from `Name:` prefixes."""

from __future__ import annotations

from pathlib import Path

import pysrt

from kenning.errors import ParseError
from kenning.ingest.parsers.textio import read_text
from kenning.ingest.parsers.vtt import cue_document, split_label
from kenning.schema import Block, ParsedDocument


def parse(path: Path) -> ParsedDocument:
    """Parse an SRT file into speaker turns with start and end seconds."""
    text, note = read_text(path)
    try:
        items = pysrt.from_string(text, error_handling=pysrt.ERROR_RAISE)
    except pysrt.Error as exc:
        raise ParseError(str(path), f"malformed SRT: {exc}") from exc
    cues: list[Block] = []
    for item in items:
        body = " ".join(item.text_without_tags.split())
        if not body:
            continue
        speaker, body = split_label(body, None)
        cues.append(
            Block(
                text=body,
                speaker=speaker,
                start=item.start.ordinal / 1000,
                end=item.end.ordinal / 1000,
            )
        )
    if not cues:
        raise ParseError(str(path), "SRT file has no subtitles with text")
    return cue_document(path, cues, note)
