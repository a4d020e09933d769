"""What question preparation knows of a knowledge base: its vocabulary (for typos), its
acronyms and aliases, and its people's names (for "he", "she" in follow-ups).

Learnt from one read of the readable chunks and kept per (generation, caller's groups): a
word that only a restricted document holds is never offered to a caller who cannot read it.
At the demo's size the read takes milliseconds; it grows with the corpus (about 1 s per
10k chunks here). A small knowledge base's lexicon is rebuilt on the first question after
an ingest; a large one's in the background (see `LexiconCache`), and is kept in the
knowledge base's folder (`cache/lexicons/`) so that a restarted server has it at once.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from kenning.index.analysers import french_terms
from kenning.index.store import Store
from kenning.index.vocabulary import readable_chunk_texts
from kenning.qa.acronyms import Acronyms
from kenning.qa.question import asked_words, content_terms, stems_of
from kenning.qa.spelling import Speller, words_of
from kenning.schema import Filters

KEEP = 8  # lexicons kept (one per distinct set of groups asking)
SYNC_BUILD = 0.5  # seconds: a lexicon that builds faster is rebuilt before answering
# A first lexicon is built before answering up to this many chunks (about 5 s here: a
# million chunks took 228 s); beyond, in the background.
SYNC_CHUNKS = 20_000
ASKED_WEIGHT = 3  # what a question asks for, unknown to the corpus, weighs this many words
SAVED_FOLDER = "cache/lexicons"  # in the knowledge base's folder: slow lexicons, kept
SAVED_FORMAT = 2  # 2: the French passages' words apart
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lexicon:
    """A knowledge base's words, acronyms and people, as one caller may read them."""

    speller: Speller
    acronyms: Acronyms
    people: tuple[str, ...]  # full names, longest first
    stems: frozenset[str] = frozenset()  # the stems of every word (`question.stems_of`)

    def unknown_share(self, question: str, language: str = "en") -> float:
        """The share of a question's content words that no readable passage holds, in any
        inflection: words of three letters or more, hyphenated ones taken apart, numbers
        left out ("parental" and "leave" of "How many weeks of parental leave do we offer?"
        over a corpus that never mentions them: 2 of 5). The words naming what a which/what
        question asks for count ASKED_WEIGHT times: "cloud" of "Which cloud provider hosts
        our Kubernetes clusters?" makes 3 of 9, where it would be 1 of 5.

        A French question ("fr") is read with French stopwords and stems against the words
        of the French passages, and of the others for names; over a knowledge base without
        French passages no word of it is judged unknown (its answer may be in English)."""
        if not self.stems:  # not learnt yet (`LexiconCache`): no word is judged unknown
            return 0.0
        french = language == "fr"
        if french and not self.speller.french_counts:
            return 0.0
        asked = set() if french else {part for term in asked_words(question)
                                      for part in term.split("-")}  # fmt: skip
        words = [part for term in content_terms(question, language) for part in term.split("-")
                 if len(part) >= 3 and not any(c.isdigit() for c in part)]  # fmt: skip
        weights = [ASKED_WEIGHT if w in asked else 1 for w in words]
        known = self._knows_french if french else self._knows
        unknown = [weight for w, weight in zip(words, weights, strict=True) if not known(w)]
        return sum(unknown) / sum(weights) if words else 0.0

    def _knows(self, word: str) -> bool:
        return self.speller.knows(word) or stems_of(word) <= self.stems

    def _knows_french(self, word: str) -> bool:
        return word in self.speller.counts or set(french_terms(word)) <= self.french_stems

    @functools.cached_property
    def french_stems(self) -> frozenset[str]:
        """The French stems (accents folded) of the French passages' words."""
        return frozenset(french_terms(" ".join(self.speller.french_counts)))


def build_lexicon(store: Store, groups: tuple[str, ...] | None) -> Lexicon:
    """Read the chunks `groups` may read (None: all) and learn from them."""
    acronyms = Acronyms()
    counts: Counter[str] = Counter()
    french: Counter[str] = Counter()  # the French passages' words apart
    for text, lang in readable_chunk_texts(store, Filters(groups=groups)):
        acronyms.learn(text)
        words = words_of(text)
        counts.update(words)
        if lang == "fr":
            french.update(words)
    people = store.people()
    acronyms.add_aliases((p.name, p.aliases) for p in people)
    names = tuple(sorted({p.name for p in people if " " in p.name}, key=len, reverse=True))
    speller = Speller(counts, french_counts=french)
    return Lexicon(speller, acronyms, names, stems_of(" ".join(counts)))


def save_lexicon(path: Path, lexicon: Lexicon, generation: int, seconds: float,
                 chunks: int = -1) -> None:  # fmt: skip
    """Write what a lexicon learnt (from `chunks` chunks at a store's `generation`), as JSON,
    replacing `path` atomically."""
    data = {
        "format": SAVED_FORMAT, "generation": generation, "seconds": seconds, "chunks": chunks,
        "counts": dict(lexicon.speller.counts), "french": dict(lexicon.speller.french_counts),
        "people": list(lexicon.people),
        "acronyms": {k: sorted(v) for k, v in lexicon.acronyms.pairs.items()},
        "stems": sorted(lexicon.stems),
    }  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f"{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        temporary.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def load_lexicon(path: Path) -> tuple[Lexicon, int, float, int] | None:
    """A saved lexicon with the store generation, the seconds and the chunks it was built
    from, in and from; None when there is none or it cannot be read (it is built again)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != SAVED_FORMAT:
            return None
        acronyms = Acronyms({k: set(v) for k, v in data["acronyms"].items()})
        speller = Speller(Counter(data["counts"]), french_counts=Counter(data["french"]))
        lexicon = Lexicon(speller, acronyms, tuple(data["people"]), frozenset(data["stems"]))
        return (lexicon, int(data["generation"]), float(data["seconds"]),
                int(data.get("chunks", -1)))  # fmt: skip
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        logger.info("unreadable saved lexicon %s (%s); building it again", path, exc)
        return None


def _saved_path(store: Store, groups: tuple[str, ...] | None) -> Path | None:
    """Where the lexicon of `groups` is kept, or None for a store without a folder (shards
    read through Ray)."""
    database = getattr(store, "path", None)
    if not isinstance(database, Path):
        return None
    key = "all" if groups is None else "\x1f".join(sorted(groups))
    name = hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]
    return database.parent / SAVED_FOLDER / f"{name}.json"


# What questions get while a large knowledge base's first lexicon is being built.
NOTHING_LEARNT = Lexicon(Speller(Counter(), english=frozenset()), Acronyms(), ())


@dataclass(frozen=True)
class _Entry:
    lexicon: Lexicon
    generation: int
    seconds: float  # how long it took to build
    chunks: int = -1  # the store's chunks when it was built (for a saved one)


class LexiconCache:
    """Lexicons by caller's groups, rebuilt when the store's generation changes.

    A lexicon that built in under `SYNC_BUILD` seconds (a small knowledge base) is rebuilt
    before the question is answered, so a question right after an ingest knows its words.
    A slower one is rebuilt in a background thread while questions keep the previous one:
    during a long ingest every batch changes the generation, and no question should wait
    for a full read of the corpus. The first lexicon of a knowledge base of more than
    `sync_chunks` chunks is built in the background too (a million chunks take minutes):
    until it is ready, questions get `NOTHING_LEARNT` (no typo correction, no acronym, no
    word judged unknown).

    A slow lexicon is also saved beside the store (`SAVED_FOLDER`, one file per set of
    groups) once built, and a cache that has none in memory starts from the saved one: as it
    is when the store has not changed since, else kept while a rebuild runs in the
    background, like any slow lexicon.
    """

    def __init__(self, sync_chunks: int = SYNC_CHUNKS) -> None:
        self.sync_chunks = sync_chunks
        self._lock = threading.Lock()  # guards _entries and _building
        self._build_lock = threading.Lock()  # one synchronous build at a time
        self._entries: dict[tuple[str, ...] | None, _Entry] = {}
        self._building: set[tuple[str, ...] | None] = set()

    def get(self, store: Store, groups: tuple[str, ...] | None) -> Lexicon:
        """The lexicon of what `groups` may read in the store (as it is now, or as it was at
        the last build while a slow rebuild runs)."""
        generation = store.generation
        with self._lock:
            entry = self._entries.get(groups)
            if entry is not None and (
                entry.generation == generation or entry.seconds >= SYNC_BUILD
            ):
                if entry.generation != generation and groups not in self._building:
                    self._building.add(groups)
                    threading.Thread(
                        target=self._rebuild, args=(store, groups), daemon=True,
                        name="kenning-lexicon",
                    ).start()  # fmt: skip
                return entry.lexicon
            if entry is None and groups in self._building:  # its first build runs
                return NOTHING_LEARNT
        if entry is None and (entry := self._saved(store, groups)) is not None:
            return self.get(store, groups)
        with self._lock:
            if entry is None and store.count_chunks() > self.sync_chunks:
                self._building.add(groups)
                threading.Thread(
                    target=self._rebuild, args=(store, groups), daemon=True,
                    name="kenning-lexicon",
                ).start()  # fmt: skip
                return NOTHING_LEARNT
        with self._build_lock:
            with self._lock:
                entry = self._entries.get(groups)
                if entry is not None and entry.generation == store.generation:
                    return entry.lexicon
            return self._build(store, groups).lexicon

    def _build(self, store: Store, groups: tuple[str, ...] | None) -> _Entry:
        generation = store.generation  # read first: a write during the build rebuilds again
        started = time.perf_counter()
        lexicon = build_lexicon(store, groups)
        entry = _Entry(lexicon, generation, time.perf_counter() - started)
        self._keep(groups, entry)
        saved = _saved_path(store, groups)
        if saved is not None and entry.seconds >= SYNC_BUILD:
            entry = _Entry(lexicon, generation, entry.seconds, store.count_chunks())
            threading.Thread(target=self._save, args=(saved, entry), daemon=True,
                             name="kenning-lexicon-save").start()  # fmt: skip
        return entry

    def _keep(self, groups: tuple[str, ...] | None, entry: _Entry) -> None:
        with self._lock:
            self._entries.pop(groups, None)
            if len(self._entries) >= KEEP:
                self._entries.pop(next(iter(self._entries)))
            self._entries[groups] = entry

    def _saved(self, store: Store, groups: tuple[str, ...] | None) -> _Entry | None:
        """The saved lexicon of these groups, now kept in memory (None when there is none)."""
        path = _saved_path(store, groups)
        loaded = load_lexicon(path) if path is not None else None
        if loaded is None:
            return None
        lexicon, generation, seconds, chunks = loaded
        if generation == store.generation and chunks != store.count_chunks():
            generation = -1  # a store made again since, at the same generation: rebuild
        entry = _Entry(lexicon, generation, seconds, chunks)
        with self._lock:
            if groups in self._entries:  # another question loaded or built it meanwhile
                return self._entries[groups]
        self._keep(groups, entry)
        return entry

    @staticmethod
    def _save(path: Path, entry: _Entry) -> None:
        try:
            save_lexicon(path, entry.lexicon, entry.generation, entry.seconds, entry.chunks)
        except OSError as exc:  # e.g. a read-only knowledge base: built again at each start
            logger.info("cannot keep the lexicon in %s: %s", path, exc)

    def _rebuild(self, store: Store, groups: tuple[str, ...] | None) -> None:
        try:
            self._build(store, groups)
        except Exception:  # the store closed under it: the next question builds again
            logger.debug("lexicon rebuild failed", exc_info=True)
        finally:
            with self._lock:
                self._building.discard(groups)
