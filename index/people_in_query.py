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

    def find(self, text: str) -> list[str]:
        """Ids of the people named in the text, in order of mention."""
        if self._pattern is None:
            return []
        found = [self._lookup[m.group(1).lower()] for m in self._pattern.finditer(text)]
        return list(dict.fromkeys(found))
