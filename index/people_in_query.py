"""Recognise the people a question names ("what did Priya say about ...")."""

from __future__ import annotations

import re
from collections import Counter

from kenning.schema import Person

MIN_NAME_CHARS = 3
# First names that are also common words would match too often to be useful.
COMMON_WORDS = frozenset(
    "will may mark bill sky rose grace hope joy june art max ray dean page may the and "
    "who what when where how why team all user".split()
)


class PersonMatcher:
    """Finds mentions of known people in text by full name, alias, handle or unique first name."""

    def __init__(self, people: list[Person]) -> None:
        keys: dict[str, set[str]] = {}
        first_names: Counter[str] = Counter()
        first_only: set[str] = set()  # keys that are a first name alone
        for person in people:
            for alias in (person.name, *person.aliases):
                alias = alias.strip().lstrip("@").lower()
                if "@" in alias or len(alias) < MIN_NAME_CHARS or alias in COMMON_WORDS:
                    continue
                keys.setdefault(alias, set()).add(person.id)
            parts = person.name.split()
            if len(parts) > 1:
                first_names[parts[0].lower()] += 1
        for person in people:
            parts = person.name.split()
            first = parts[0].lower() if len(parts) > 1 else ""
            if (
                first
                and first_names[first] == 1
                and len(first) >= MIN_NAME_CHARS
                and first not in COMMON_WORDS
            ):
                keys.setdefault(first, set()).add(person.id)
                first_only.add(first)
        # Unambiguous keys only; longest first so "Jane Doe" wins over "Jane".
        self._keys = sorted(
            ((k, next(iter(v))) for k, v in keys.items() if len(v) == 1),
            key=lambda kv: -len(kv[0]),
        )
        self._pattern = (
            re.compile(
                r"(?<![\w@])@?(" + "|".join(re.escape(k) for k, _ in self._keys) + r")(?![\w])",
                re.I,
            )
            if self._keys
            else None
        )
        self._lookup = dict(self._keys)
        # A full name or an alias of someone is never a first name alone.
        self._first_only = first_only - {k for p in people for k in
                                         (p.name.lower(), *(a.lower() for a in p.aliases))}

    def find(self, text: str) -> list[str]:
        """Ids of the people named in the text, in order of mention."""
        if self._pattern is None:
            return []
        found = [self._lookup[m.group(1).lower()] for m in self._pattern.finditer(text)
                 if not (m.group(1).lower() in self._first_only and _in_other_name(text, m))]
        return list(dict.fromkeys(found))


def _in_other_name(text: str, match: re.Match[str]) -> bool:
    """Whether a first name stands inside a longer proper name: a capitalised word after it
    ("Priya Sharma" is not Priya Patel) or before it, unless that one opens the text
    ("Southern California" is not California Wu; "Ask Priya" is Priya)."""
    after = re.match(r"\s+(\w)", text[match.end():])
    if after and after.group(1).isupper():
        return True
    before = list(re.finditer(r"\w+", text[: match.start()]))
    return len(before) > 1 and before[-1].group()[:1].isupper() and bool(
        re.fullmatch(r"\s*", text[before[-1].end(): match.start()]))
