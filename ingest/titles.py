"""A document's title and dates as its readers would write them.

A title made from a file name ("architecture-review-2026-03-12") reads "Architecture review
2026-03-12"; a title in capitals ("CUSTOMER SUPPORT FAQ (INTERNAL)") reads "Customer Support
FAQ (Internal)", short words in capitals (FAQ, ETA, API) kept. A document that states when it
was last edited or approved ("Last edited 30 January 2026", "Approved on 27 February 2026")
is dated by what it says, not by the file's modification time (a fresh clone's). Pure
functions.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from dateutil import parser as dateparser

STEM_DATE = re.compile(r"\b(\d{4})[ _-](\d{2})[ _-](\d{2})\b")
CAPITALS = re.compile(r"[A-Z][A-Z'’]+")
KEEP_CAPITALS = 3  # FAQ, ETA, API, SLA: acronyms, kept as written
MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
         r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)")  # fmt: skip
DATE_TEXT = (rf"\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}} {MONTH}\.? \d{{4}}|{MONTH}\.? \d{{1,2}},? "
             r"\d{4}")  # fmt: skip
STATED_UPDATE = re.compile(
    rf"(?i)\b(?:last (?:edited|updated|modified|changed|revised|reviewed)(?: on)?|updated on"
    rf"|approved on|revised on)\s*:?\s*(?P<date>{DATE_TEXT})\b"
)
HEAD_CHARS = 3000  # only a document's opening states its own date


def title_from_stem(path: Path) -> str:
    """A title from a file name: words apart, the first capitalised, a date as YYYY-MM-DD."""
    words = STEM_DATE.sub(lambda m: "-".join(m.groups()), path.stem.replace("_", " "))
    words = " ".join(re.sub(r"(?<!\d)-|-(?!\d)", " ", words).split())
    return words[:1].upper() + words[1:]


def readable_title(title: str) -> str:
    """A title in capitals as a reader would write it (see the module's doc); parsers title a
    document without a title of its own with `title_from_stem`."""
    title = " ".join(title.split())
    letters = [c for c in title if c.isalpha()]
    if len(title.split()) >= 2 and letters and all(c.isupper() for c in letters):
        return CAPITALS.sub(
            lambda m: m.group(0) if len(m.group(0)) <= KEEP_CAPITALS else m.group(0).capitalize(),
            title,
        )  # fmt: skip
    return title


def stated_update(text: str) -> str | None:
    """The date a document says it was last edited or approved, as YYYY-MM-DD, or None."""
    match = STATED_UPDATE.search(text[:HEAD_CHARS])
    if not match:
        return None
    try:
        found = dateparser.parse(match.group("date"), default=None)
    except (ValueError, OverflowError):
        return None
    return found.date().isoformat() if found and found.date() <= date.today() else None
