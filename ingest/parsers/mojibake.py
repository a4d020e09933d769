"""Repairing mojibake: text whose accents were garbled by decoding UTF-8 with the wrong codec.

"précieux" read as Windows-1252 becomes "prÃ©cieux", read as ISO-8859-16 "prĂ©cieux". ftfy
repairs the common codecs (Latin-1, Windows-125x, MacRoman...); it does not try ISO-8859-16,
so that one is re-decoded here: each run of characters whose ISO-8859-16 bytes form one valid
multi-byte UTF-8 character is replaced by that character. Of ftfy's repair and these, the one
with the lowest `badness` (ftfy's count of unlikely character sequences) is kept, and only
when it is lower than the text's own, so text that merely looks odd (Romanian capitals,
symbols) is left as written.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

import ftfy
from ftfy.badness import badness, is_bad

# Codecs ftfy does not try, whose mojibake is re-decoded here.
EXTRA_CODECS: tuple[str, ...] = ("iso8859_16",)


@cache
def _sequences(codec: str) -> re.Pattern[str]:
    """A UTF-8 multi-byte character as the codec shows it: a lead byte (0xC2-0xF4) and one
    to three continuation bytes (0x80-0xBF), each decoded by the codec as one character."""

    def chars(first: int, last: int) -> str:
        found = [bytes([b]).decode(codec, errors="ignore") for b in range(first, last + 1)]
        return "".join(re.escape(c) for c in found if len(c) == 1 and not c.isspace() or c
                       == "\xa0")  # fmt: skip

    return re.compile(f"[{chars(0xC2, 0xF4)}][{chars(0x80, 0xBF)}]{{1,3}}")


def _redecode(text: str, codec: str) -> tuple[str, int]:
    """The text with each of the codec's mojibake sequences decoded as UTF-8, and how many."""
    count = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal count
        seq = match.group()
        for end in range(len(seq), 1, -1):  # the longest prefix that is one UTF-8 character
            try:
                char = seq[:end].encode(codec).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if unicodedata.category(char) in ("Cn", "Co", "Cc"):  # no such character: not ours
                break
            count += 1
            return char + seq[end:]
        return seq

    return _sequences(codec).sub(fix, text), count


def repair_mojibake(text: str) -> tuple[str, str]:
    """The text with mojibake repaired, and a note saying what was repaired ("" if nothing).

    Example:
        >>> repair_mojibake("l'atout le plus prĂ©cieux, la maniĂšre, l'Ă©quipe")
        ("l'atout le plus précieux, la manière, l'équipe", 'repaired mojibake: UTF-8 read as ISO-8859-16 (3 characters)')
    """  # noqa: E501 - a doctest line
    if text.isascii() or not is_bad(text):  # ASCII cannot be mojibake (and is checked in C)
        return text, ""
    original = badness(text)
    best, best_badness, note = text, original, ""
    fixed = ftfy.fix_encoding(text)
    if fixed != text and badness(fixed) < best_badness:
        best, best_badness, note = fixed, badness(fixed), "repaired mojibake (ftfy)"
    for codec in EXTRA_CODECS:
        fixed, count = _redecode(text, codec)
        # On a tie with ftfy the re-decode wins: it repairs every sequence with one codec,
        # where ftfy's nearest codec (Windows-1250 for "Ă©") may repair only some.
        after = badness(fixed)
        if count and after < original and after <= best_badness:
            name = codec.upper().replace("ISO", "ISO-").replace("8859_", "8859-")
            best, best_badness = fixed, after
            note = f"repaired mojibake: UTF-8 read as {name} ({count} characters)"
    return best, note
