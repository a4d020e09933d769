"""What question preparation knows of a knowledge base: its vocabulary (for typos), its
acronyms and aliases, and its people's names (for "he", "she" in follow-ups).

Learnt from one read of the readable chunks and kept per (generation, caller's groups): a
word that only a restricted document holds is never offered to a caller who cannot read it.
At the demo's size the read takes milliseconds; it grows with the corpus (about 1 s per
10k chunks here) and is paid once per ingest, on the first question after it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass

from kenning.index.store import Store
from kenning.index.vocabulary import readable_chunk_texts
from kenning.qa.acronyms import Acronyms
from kenning.qa.spelling import Speller, count_words
from kenning.schema import Filters

KEEP = 8  # lexicons kept (one per distinct set of groups asking)


@dataclass(frozen=True)
class Lexicon:
    """A knowledge base's words, acronyms and people, as one caller may read them."""

    speller: Speller
    acronyms: Acronyms
    people: tuple[str, ...]  # full names, longest first


def build_lexicon(store: Store, groups: tuple[str, ...] | None) -> Lexicon:
    """Read the chunks `groups` may read (None: all) and learn from them."""
    acronyms = Acronyms()
    texts = readable_chunk_texts(store, Filters(groups=groups))

    def learning() -> Iterator[str]:
        for text in texts:
            acronyms.learn(text)
            yield text

    counts = count_words(learning())
    people = store.people()
    acronyms.add_aliases((p.name, p.aliases) for p in people)
    names = tuple(sorted({p.name for p in people if " " in p.name}, key=len, reverse=True))
    return Lexicon(Speller(counts), acronyms, names)


class LexiconCache:
    """Lexicons by caller's groups, rebuilt when the store's generation changes."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = -1
        self._lexicons: dict[tuple[str, ...] | None, Lexicon] = {}

    def get(self, store: Store, groups: tuple[str, ...] | None) -> Lexicon:
        """The lexicon of what `groups` may read in the store as it is now."""
        generation = store.generation
        with self._lock:
            if generation != self._generation:
                self._lexicons, self._generation = {}, generation
            found = self._lexicons.get(groups)
            if found is None:
                if len(self._lexicons) >= KEEP:
                    self._lexicons.pop(next(iter(self._lexicons)))
                found = self._lexicons[groups] = build_lexicon(store, groups)
            return found
