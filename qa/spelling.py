"""Typo correction against the knowledge base's own vocabulary.

A question word is corrected only when all of these hold: it is a plain lower-case word of
letters (no digits, hyphens or underscores: codes such as `paydb-2` stay as written), it is
not capitalised inside the sentence (names) nor all capitals (acronyms), it has at least
`MIN_LENGTH` letters, the knowledge base does not know it (nor a plural or -ed/-ing form of
it), and it is not an English word (the packaged spaCy model's string table). The correction
is the vocabulary word nearest in Damerau-Levenshtein distance (one edit up to four letters,
two from five); on a tie, the one sharing more letters with the word, then the more
frequent. RapidFuzz does the distance search in C++: ~1 ms a word over a few thousand words.

A French question is corrected against the words of the French passages only: a French word
the corpus lacks is not a typo of an English one ("Quel" is not "Fuel", nor "revue"
"revenue"), and a knowledge base without French passages corrects no French question. French
words are never corrected either: those of pyspellchecker's French list (140k words with
their inflections, loaded on the first French question in ~0.15 s), as spaCy's English table
guards English questions.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein

from kenning.index.lexical import STOPWORDS
from kenning.qa.question import STOPWORDS as QUESTION_STOPWORDS

MIN_LENGTH = 4
WORD = re.compile(r"[^\W\d_]+", re.U)
TOKEN = re.compile(r"\S+")
EDGE_PUNCTUATION = "\"'“”‘’()[]{}<>,.;:!?¡¿…"
ELIDED = re.compile(r"^(?:[cdjlmnst]|qu)['’]", re.I)  # French "d'", "l'", "qu'" before a word
SUFFIXES = ("s", "es", "ed", "d", "ing", "ly", "er", "ers", "'s")
# Question words spaCy's table may lack, or that the corpus need not hold (French ones too).
NEVER_CORRECT = STOPWORDS | QUESTION_STOPWORDS["fr"] | frozenset(
    "what's who's where's how's it's don't doesn't didn't can't won't isn't aren't "
    "should shall must might please thanks".split()
)


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lower-case words of the spaCy English model's string table (~85k), or none when the
    model is not installed."""
    try:
        from kenning.ingest.spacy_model import spacy_model_path

        path = spacy_model_path() / "vocab" / "strings.json"
        strings = json.loads(path.read_text(encoding="utf-8"))
    except (ImportError, OSError, ValueError):
        return frozenset()
    return frozenset(s.lower() for s in strings if s.isalpha())


@lru_cache(maxsize=1)
def french_words() -> frozenset[str]:
    """Lower-case French words (pyspellchecker's French frequency list), or none when the
    package is not installed."""
    try:
        from spellchecker import SpellChecker
    except ImportError:
        return frozenset()
    words = SpellChecker(language="fr", distance=1).word_frequency.dictionary
    return frozenset(w.lower() for w in words if w.isalpha())


def words_of(text: str) -> list[str]:
    """The lower-case words of letters of a text, in order."""
    return [w.lower() for w in WORD.findall(text)]


@dataclass(frozen=True)
class Correction:
    """One corrected word."""

    original: str
    corrected: str


class Speller:
    """Corrects question words against a knowledge base's vocabulary.

    Args:
        counts: the knowledge base's words (lower case) with their counts.
        english: words never corrected though the corpus lacks them (default: spaCy's).
        french_counts: the words of its French passages with their counts (what a French
            question is corrected to).
        french: the words of a French question never corrected (default: `french_words`,
            loaded on the first French question).
    """

    def __init__(
        self, counts: Counter[str], english: frozenset[str] | None = None,
        french_counts: Counter[str] | None = None, french: frozenset[str] | None = None,
    ) -> None:  # fmt: skip
        self.counts = counts
        self.french_counts = french_counts if french_counts is not None else Counter()
        self.english = english_words() if english is None else english
        self._by_length = _by_length(counts)
        self._french_by_length = _by_length(self.french_counts)
        self._french = french

    def knows(self, word: str) -> bool:
        """Whether the corpus holds the word or a simple inflection of it."""
        word = word.lower()
        if word in self.counts:
            return True
        for suffix in SUFFIXES:
            if word.endswith(suffix) and word[: -len(suffix)] in self.counts:
                return True
            if word + suffix in self.counts:
                return True
        return False

    def knows_french(self, word: str) -> bool:
        """Whether the word is in the French word list."""
        if self._french is None:
            self._french = french_words()
        return word in self._french

    def suggest(self, word: str, language: str = "en") -> str | None:
        """The vocabulary word nearest to an unknown word (a French passage's word for a
        French question), or None."""
        word = word.lower()
        limit = 1 if len(word) <= 4 else 2
        by_length = self._french_by_length if language == "fr" else self._by_length
        counts = self.french_counts if language == "fr" else self.counts
        choices: list[str] = []
        for length in range(len(word) - limit, len(word) + limit + 1):
            choices.extend(by_length.get(length, ()))
        if not choices:
            return None
        found = process.extract(
            word, choices, scorer=DamerauLevenshtein.distance, score_cutoff=limit, limit=8
        )
        if not found:
            return None
        letters = Counter(word)
        best = min(found, key=lambda f: (f[1], -sum((Counter(f[0]) & letters).values()),
                                         f[0][0] != word[0], -counts[f[0]], f[0]))  # fmt: skip
        return best[0]

    def correct(self, text: str, language: str = "en") -> tuple[str, list[Correction]]:
        """The text (in `language`, "en" or "fr") with its unknown words corrected, and the
        corrections made."""
        corrections: list[Correction] = []
        pieces: list[str] = []
        last = 0
        for n, match in enumerate(TOKEN.finditer(text)):
            token = match.group()
            core = token.strip(EDGE_PUNCTUATION)
            for possessive in ("'s", "’s"):
                core = core.removesuffix(possessive)
            elided = ELIDED.match(core) if language == "fr" else None
            if elided:
                core = core[elided.end():]
            replacement = self._fix(core, n == 0, language)
            if replacement is not None:
                start = match.start() + token.index(core)
                pieces.append(text[last:start] + replacement)
                last = start + len(core)
                corrections.append(Correction(core, replacement))
        pieces.append(text[last:])
        return "".join(pieces), corrections

    def _fix(self, word: str, first: bool, language: str) -> str | None:
        if len(word) < MIN_LENGTH or not word.isalpha():
            return None
        if word.isupper() or (not first and word[0].isupper()) or any(c.isupper()
                                                                       for c in word[1:]):
            return None
        lower = word.lower()
        if lower in NEVER_CORRECT or lower in self.english or self.knows(lower):
            return None
        if language == "fr" and self.knows_french(lower):
            return None
        suggestion = self.suggest(lower, language)
        if suggestion is None:
            return None
        return suggestion.capitalize() if word[0].isupper() else suggestion


def _by_length(counts: Counter[str]) -> dict[int, list[str]]:
    """The words long enough to be suggested, by length."""
    found: dict[int, list[str]] = {}
    for word in counts:
        if len(word) >= MIN_LENGTH - 1:
            found.setdefault(len(word), []).append(word)
    return found
