"""The organisation's acronyms and aliases, learnt from its own documents.

Pairs are found where the corpus defines them: "payments database (paydb)" and
"paydb (payments database)", "SEV1 = severity 1" (also `:`, `—`, "stands for", "means"),
and glossary table rows (`| SLO | service level objective |`). A candidate pair is kept only
when the short form's letters occur in order in the long form, its first letter starting the
long form's first word (Schwartz & Hearst, 2003, "A simple algorithm for identifying
abbreviation definitions in biomedical text"). People's aliases from the directory
(`people.yaml`) add alias -> name pairs. A question naming either side is searched with the
other side too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

SHORT = r"[A-Za-z][A-Za-z0-9&/-]{1,9}"
LONG_WORDS = r"[A-Za-z][\w'-]*(?:\s+[\w'-]+){0,8}"
# (short), after its long form: the long form is the run of up to 9 words just before it,
# found in a bounded window (a pattern that starts its 9-word run at every position of the
# text costs ~1.5 ms per chunk; this one is linear)
PAREN_SHORT = re.compile(rf"\(\s*({SHORT})\s*\)")
WORDS_BEFORE = re.compile(r"((?:[\w'-]+\s+){0,8}[\w'-]+)\s*$")
WINDOW = 200  # characters before "(short)" searched for its long form
# short (long form)
SHORT_THEN_LONG = re.compile(rf"\b({SHORT})\s*\(\s*({LONG_WORDS})\s*\)")
# short = long form, short: long form, short stands for long form
DEFINED = re.compile(
    rf"\b({SHORT})\s*(?:=|:|—|–|\bstands for\b|\bmeans\b|\bis short for\b)\s*({LONG_WORDS})"
)
TABLE_ROW = re.compile(r"^\s*\|?\s*([^|\n]{2,12}?)\s*\|\s*([^|\n]{3,80}?)\s*\|", re.M)
WORDS = re.compile(r"[\w'-]+")
MAX_WORDS = 8  # the longest long form matched in a question, in words


def long_form_end(short: str, text: str) -> str | None:
    """The shortest tail of `text` that `short` abbreviates, or None (Schwartz & Hearst)."""
    s = len(short) - 1
    i = len(text) - 1
    while s >= 0:
        c = short[s].lower()
        if not c.isalnum():
            s -= 1
            continue
        while i >= 0 and (text[i].lower() != c or (s == 0 and i > 0 and text[i - 1].isalnum())):
            i -= 1
        if i < 0:
            return None
        i -= 1
        s -= 1
    start = text.rfind(" ", 0, i + 1) + 1
    return text[start:]


def long_form_start(short: str, text: str) -> str | None:
    """The shortest head of `text` (whole words) that `short` abbreviates from its first
    word, or None."""
    words = text.split()
    for n in range(1, min(len(words), len(short) + 3) + 1):
        head = " ".join(words[:n])
        if long_form_end(short, head) == head:
            return head
    return None


def plausible(short: str, long: str) -> bool:
    """Whether a (short, long) pair looks like an abbreviation and its expansion."""
    if len(long) <= len(short) + 1 or " " not in long.strip() and len(long) < 2 * len(short):
        return False
    if short.lower() in long.lower().split():
        return False
    return any(c.isalpha() for c in short) and len(long.split()) <= len(short) + 4


@dataclass
class Acronyms:
    """Short form <-> long form pairs, matched in questions case-insensitively."""

    pairs: dict[str, set[str]] = field(default_factory=dict)  # lower-case, both directions

    def add(self, short: str, long: str) -> None:
        """Record a pair (both directions)."""
        short, long = _normal(short), _normal(long)
        if not short or not long or short == long:
            return
        self.pairs.setdefault(short, set()).add(long)
        self.pairs.setdefault(long, set()).add(short)

    def learn(self, text: str) -> None:
        """Add the pairs a text defines."""
        for match in PAREN_SHORT.finditer(text):
            words = WORDS_BEFORE.search(text, max(0, match.start() - WINDOW), match.start())
            if words is None:
                continue
            short, before = match.group(1), words.group(1)
            long = long_form_end(short, before)
            if long and plausible(short, long):
                self.add(short, long)
        for pattern in (SHORT_THEN_LONG, DEFINED):
            for match in pattern.finditer(text):
                short, after = match.group(1), match.group(2)
                long = long_form_start(short, after)
                if long and plausible(short, long):
                    self.add(short, long)
        for match in TABLE_ROW.finditer(text):
            short, long_cell = match.group(1).strip(), match.group(2).strip()
            if " " in short:
                continue
            long = long_form_start(short, long_cell)
            if long and plausible(short, long):
                self.add(short, long)

    def add_aliases(self, people: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Directory aliases: each short alias (initials, a handle) -> the person's name."""
        for name, aliases in people:
            for alias in aliases:
                if alias and "@" not in alias and len(alias) <= 12 and " " not in alias:
                    self.pairs.setdefault(_normal(alias), set()).add(_normal(name))

    def expansions(self, question: str) -> list[str]:
        """The other side of every pair the question names, that it does not name already."""
        words = WORDS.findall(question.lower())
        grams = [" ".join(words[i : i + n]) for n in range(1, MAX_WORDS + 1)
                 for i in range(len(words) - n + 1)]  # fmt: skip
        named = set(grams)
        found: list[str] = []
        for gram in grams:
            for other in sorted(self.pairs.get(gram, ())):
                if other not in named and other not in found:
                    found.append(other)
        return found


def _normal(text: str) -> str:
    return " ".join(WORDS.findall(text.lower()))


def learn_acronyms(texts: Iterable[str]) -> Acronyms:
    """The pairs the texts define."""
    found = Acronyms()
    for text in texts:
        found.learn(text)
    return found
