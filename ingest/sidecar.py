"""Files that travel with a recording: a transcript and a `.yaml` of metadata, same stem.

`talk.mp4` may sit beside `talk.vtt` (or `talk.srt`, or a speaker-labelled `talk.txt`) and
`talk.yaml`. The recording is the document; its sidecars describe it and are never
ingested as documents of their own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kenning.errors import ParseError
from kenning.ingest.frontmatter import as_list, normalise_key
from kenning.schema import Block

RECORDING_SUFFIXES: tuple[str, ...] = (".wav", ".mp3", ".m4a", ".mp4", ".webm")
# In order of preference when a recording has more than one.
TRANSCRIPT_SUFFIXES: tuple[str, ...] = (".vtt", ".srt", ".txt")
META_SUFFIXES: tuple[str, ...] = (".yaml", ".yml")


@dataclass(frozen=True)
class Sidecars:
    """The sidecar files found beside a recording."""

    transcript: Path | None = None
    meta: Path | None = None

    @property
    def paths(self) -> tuple[Path, ...]:
        """The sidecar files that exist, transcript first."""
        return tuple(p for p in (self.transcript, self.meta) if p is not None)


@dataclass(frozen=True)
class Turn:
    """A speaker's turn from a sidecar `.yaml`: from `start` until `end` or the next turn."""

    name: str
    start: float
    end: float | None = None


@dataclass
class RecordingMeta:
    """What a sidecar `.yaml` says: metadata keys, speaker names and, maybe, their turns."""

    meta: dict[str, Any] = field(default_factory=dict)
    speakers: list[str] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)


def _same_stem(path: Path, suffixes: tuple[str, ...]) -> list[Path]:
    """Existing files beside `path` with its stem and one of the suffixes (any case)."""
    found: list[Path] = []
    for suffix in suffixes:
        for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
            if candidate.is_file() and candidate not in found:
                found.append(candidate)
    return found


def is_transcript(path: Path) -> bool:
    """A `.vtt` or `.srt`, or a `.txt` that the text parser reads as speaker turns."""
    suffix = path.suffix.lower()
    if suffix != ".txt":
        return suffix in TRANSCRIPT_SUFFIXES
    # Imported here: the parsers package imports this module (through the audio parser).
    from kenning.ingest.parsers import text

    try:
        return text.parse(path).kind == "transcript"
    except (OSError, ParseError):
        return False


def find_sidecars(recording: Path) -> Sidecars:
    """The transcript and metadata files beside a recording, if any."""
    transcripts = [p for p in _same_stem(recording, TRANSCRIPT_SUFFIXES) if is_transcript(p)]
    metas = _same_stem(recording, META_SUFFIXES)
    return Sidecars(
        transcript=transcripts[0] if transcripts else None, meta=metas[0] if metas else None
    )


def recording_for(path: Path) -> Path | None:
    """The recording a file is a sidecar of, or None when it stands on its own."""
    suffix = path.suffix.lower()
    if suffix not in TRANSCRIPT_SUFFIXES + META_SUFFIXES:
        return None
    recordings = _same_stem(path, RECORDING_SUFFIXES)
    if not recordings or path not in find_sidecars(recordings[0]).paths:
        return None
    return recordings[0]


def _seconds(value: Any, source: str) -> float:
    """`65`, `65.5`, `"01:05"` or `"00:01:05.5"` to seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    try:
        seconds = 0.0
        for part in str(value).strip().replace(",", ".").split(":"):
            seconds = seconds * 60 + float(part)
        return seconds
    except ValueError as exc:
        raise ParseError(source, f"not a time: {value!r} (seconds or hh:mm:ss)") from exc


def _names(entries: list[Any]) -> list[str]:
    """Speaker names from `speakers:` entries, plain names or turns, in order of appearance."""
    names: list[str] = []
    for entry in entries:
        if isinstance(entry, dict):
            names.append(str(entry.get("name") or entry.get("speaker") or "").strip())
        else:
            names.extend(as_list(entry))
    return list(dict.fromkeys(n for n in names if n))


def _turns(entries: list[Any], source: str) -> list[Turn]:
    """Turns from `speakers:` entries that have a `start`; sorted by start."""
    turns: list[Turn] = []
    for entry in entries:
        if isinstance(entry, dict) and entry.get("start") is not None:
            name = str(entry.get("name") or entry.get("speaker") or "").strip()
            if not name:
                raise ParseError(source, f"speaker turn without a name: {entry!r}")
            end = entry.get("end")
            turns.append(
                Turn(name, _seconds(entry["start"], source),
                     _seconds(end, source) if end is not None else None)
            )  # fmt: skip
    return sorted(turns, key=lambda t: t.start)


def read_recording_meta(path: Path) -> RecordingMeta:
    """Read a sidecar `.yaml`: any front-matter keys, plus `speakers:` as names or turns.

    `speakers:` is a list of names (`[Amara Okafor, Bob Stone]`), or of turns
    (`- {name: Amara Okafor, start: "00:00:00"}`), each lasting until `end` or the next turn.

    Raises:
        ParseError: the file is not a YAML mapping, or a turn has no name or a bad time.
    """
    source = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8", errors="replace")) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ParseError(source, f"invalid YAML{where}") from exc
    if not isinstance(data, dict):
        raise ParseError(source, "not a mapping of keys to values")
    # Round-trip through JSON so dates become ISO strings and metadata stays serialisable.
    meta = json.loads(json.dumps({normalise_key(str(k)): v for k, v in data.items()}, default=str))
    entries = meta.pop("speakers", None)
    entries = entries if isinstance(entries, list) else as_list(entries)
    return RecordingMeta(meta=meta, speakers=_names(entries), turns=_turns(entries, source))


def speaker_at(turns: list[Turn], start: float, end: float | None) -> str | None:
    """Who holds the floor at the middle of a segment, by the turns of a sidecar."""
    middle = start if end is None else (start + end) / 2
    speaker: str | None = None
    for i, turn in enumerate(turns):
        if turn.start > middle:
            break
        stop = turn.end if turn.end is not None else (
            turns[i + 1].start if i + 1 < len(turns) else None
        )
        speaker = turn.name if stop is None or middle < stop else None
    return speaker


def apply_turns(blocks: list[Block], turns: list[Turn]) -> list[Block]:
    """Give timed blocks that have no speaker the speaker of the sidecar turn they fall in."""
    if not turns:
        return blocks
    return [
        b if b.speaker or b.start is None
        else Block(text=b.text, start=b.start, end=b.end,
                   speaker=speaker_at(turns, b.start, b.end))
        for b in blocks
    ]  # fmt: skip
