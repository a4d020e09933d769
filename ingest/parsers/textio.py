"""Reading text files safely: encodings, binary content, and what to tell the user."""

from __future__ import annotations

import codecs
from pathlib import Path

from kenning.errors import ParseError
from kenning.ingest.parsers.mojibake import repair_mojibake

# Fallbacks for text that is not UTF-8; cp1252 covers Latin-1 and the Windows quotes.
FALLBACK_ENCODINGS: tuple[str, ...] = ("cp1252", "latin-1")
# Checked longest first: the UTF-32-LE mark starts with the UTF-16-LE one.
UNICODE_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def looks_binary(data: bytes) -> bool:
    """True when the bytes look like a binary file rather than text."""
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    return bool(sample) and control / len(sample) > 0.05


def read_text(path: Path) -> tuple[str, str]:
    """Read a text file, returning (text, note); the note says when a fallback was used, or
    when UTF-8 text garbled by an earlier wrong decoding was repaired (`repair_mojibake`).

    Raises:
        ParseError: the file is empty, binary, or not text in any known encoding.
    """
    data = path.read_bytes()
    if not data.strip():
        raise ParseError(str(path), "empty file")
    for bom, encoding in UNICODE_BOMS:  # UTF-16/32 are full of NUL bytes but are text
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise ParseError(str(path), f"not valid {encoding.upper()} ({exc.reason})") from exc
            if not text.strip():
                raise ParseError(str(path), "empty file")
            return text, f"read as {encoding.upper()}"
    if looks_binary(data):
        raise ParseError(str(path), "binary content in a text file")
    try:
        return repair_mojibake(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        first_error = exc
    for encoding in FALLBACK_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text, (
            f"not valid UTF-8 (byte {first_error.start}); read as {encoding}"
        )
    raise ParseError(str(path), f"not valid UTF-8 (byte {first_error.start})")
