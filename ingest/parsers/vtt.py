"""WebVTT: cue timings and `<v Name>` voice tags; consecutive cues of one voice are one turn."""

from __future__ import annotations

import io
from pathlib import Path

import webvtt
from webvtt.errors import MalformedCaptionError, MalformedFileError

from kenning.errors import ParseError
from kenning.ingest.parsers.textio import read_text
from kenning.ingest.parsers.transcript_text import match_speaker_line
from kenning.ingest.titles import title_from_stem
from kenning.schema import Block, ParsedDocument


def merge_turns(cues: list[Block]) -> list[Block]:
    """Join consecutive cues of the same speaker into one turn."""
    turns: list[Block] = []
    for cue in cues:
        last = turns[-1] if turns else None
        if last is not None and cue.speaker is not None and cue.speaker == last.speaker:
            turns[-1] = Block(
                text=f"{last.text} {cue.text}",
                speaker=last.speaker,
                start=last.start,
                end=cue.end,
            )
        else:
            turns.append(cue)
    return turns


def cue_document(path: Path, cues: list[Block], note: str) -> ParsedDocument:
    """A transcript document from timed cues: consecutive cues of one speaker become a turn."""
    doc = ParsedDocument(
        source=str(path),
        title=title_from_stem(path),
        blocks=merge_turns(cues),
        kind="transcript",
    )
    if note:
        doc.meta["_note"] = note
    return doc


def split_label(text: str, voice: str | None) -> tuple[str | None, str]:
    """The speaker of a cue from its voice tag, else from a `Name:` prefix."""
    if voice:
        return voice.strip(), text
    match = match_speaker_line(text.replace("\n", " "))
    if match:
        return match.group("speaker").strip(), match.group("text").strip()
    return None, text


def parse(path: Path) -> ParsedDocument:
    """Parse a WebVTT file into speaker turns with start and end seconds."""
    text, note = read_text(path)
    try:
        captions = webvtt.from_buffer(io.StringIO(text))
    except (MalformedFileError, MalformedCaptionError) as exc:
        raise ParseError(str(path), f"malformed WebVTT: {exc}") from exc
    cues: list[Block] = []
    for caption in captions:
        body = " ".join(caption.text.split())
        if not body:
            continue
        speaker, body = split_label(body, caption.voice)
        cues.append(
            Block(
                text=body,
                speaker=speaker,
                start=caption.start_time.in_milliseconds() / 1000,
                end=caption.end_time.in_milliseconds() / 1000,
            )
        )
    if not cues:
        raise ParseError(str(path), "WebVTT file has no cues with text")
    return cue_document(path, cues, note)
