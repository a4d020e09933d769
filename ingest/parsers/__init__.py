"""One parser per format; `parser_for` maps a file's suffix to its parser."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from kenning.ingest.parsers import audio, markdown, pdf, srt, structured, text, vtt
from kenning.schema import ParsedDocument

Parser = Callable[[Path], ParsedDocument]

PARSERS: dict[str, Parser] = {
    ".md": markdown.parse,
    ".markdown": markdown.parse,
    ".mdown": markdown.parse,
    ".txt": text.parse,
    ".text": text.parse,
    ".html": structured.parse_html,
    ".htm": structured.parse_html,
    ".pdf": pdf.parse,
    ".docx": structured.parse_docx,
    ".pptx": structured.parse_pptx,
    ".vtt": vtt.parse,
    ".srt": srt.parse,
    **{suffix: audio.parse for suffix in audio.RECORDING_SUFFIXES},
}


def suffix_of(path: Path) -> str:
    """The suffix that picks the parser; `notes.html.md.erb` counts as Markdown."""
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] == ".erb" and len(suffixes) > 1:
        return suffixes[-2]
    return suffixes[-1] if suffixes else ""


def parser_for(path: Path) -> Parser | None:
    """The parser for a file, or None when its format is not supported."""
    return PARSERS.get(suffix_of(path))


def supported_suffixes() -> list[str]:
    """Every suffix Kenning can ingest."""
    return sorted(PARSERS)
