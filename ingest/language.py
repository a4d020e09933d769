"""Language detection for passages and questions, with py3langid restricted to the languages
Kenning supports.

Chosen on short text from `../shared/data/french` (236 French lines: FAQ questions and
answers, fact-sheet lines) and 40 English ones (demo questions and headings): py3langid
restricted to French and English was right on 99.6% of them (99.2% of those of at most 8
words) at 0.15 ms a text; lingua (French and English) equally accurate at 0.43 ms; both over
all their languages fell to 95% and 97.5% (lingua: 4.8 ms a text and 12 s to load).
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
from dataclasses import dataclass
from typing import Any

from kenning.config import default_cache_dir

logger = logging.getLogger(__name__)

LANGUAGES = ("en", "fr")  # the languages Kenning analyses, answers and detects
DEFAULT_LANGUAGE = "en"
# Below this probability a question is searched with every language's analyser.
SURE = 0.9
MIN_LETTERS = 3  # shorter text ("ok", "42") has no language

_lock = threading.Lock()
_identifier: list[Any] = []  # the py3langid identifier, loaded once


@dataclass(frozen=True)
class LanguageGuess:
    """A text's most likely language and how sure the detector is (0-1)."""

    lang: str
    confidence: float

    @property
    def sure(self) -> bool:
        """True when the guess is confident enough to use one language's analyser alone."""
        return self.confidence >= SURE


def _classifier() -> Any:  # noqa: ANN401 - py3langid has no types
    with _lock:
        if not _identifier:
            _identifier.append(_load_identifier())
        return _identifier[0]


def _load_identifier() -> Any:  # noqa: ANN401
    """py3langid's identifier restricted to `LANGUAGES`. Its packaged model is LZMA-compressed
    and takes ~0.45 s to load, most of a server's time before its first answer; the identifier
    is therefore pickled once into the cache folder (~40 MB, 0.05 s to load), keyed by the
    py3langid version, and rebuilt from the package when that copy is missing or unreadable."""
    from importlib.metadata import version

    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    cached = default_cache_dir() / f"langid-{version('py3langid')}-{'-'.join(LANGUAGES)}.pickle"
    try:
        with cached.open("rb") as file:
            identifier = pickle.load(file)  # noqa: S301 (our own cache, written below)
        if isinstance(identifier, LanguageIdentifier):
            return identifier
    except FileNotFoundError:
        pass
    except Exception as exc:  # noqa: BLE001 (a damaged copy: rebuilt from the package)
        logger.info("unreadable language classifier cache %s (%s); rebuilding it", cached, exc)
    identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    identifier._full_model = (identifier.nb_ptc, identifier.nb_pc, identifier.nb_classes)
    temporary = cached.with_name(f"{cached.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as file:
            pickle.dump(identifier, file, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, cached)
    except OSError as exc:  # a read-only cache folder: load from the package each start
        logger.info("cannot keep the language classifier in %s: %s", cached, exc)
        temporary.unlink(missing_ok=True)
    return identifier


def detect_language(text: str) -> LanguageGuess:
    """The language of a passage or a question, among `LANGUAGES`.

    Text with fewer than `MIN_LETTERS` letters is `DEFAULT_LANGUAGE` with confidence 0.

    Example:
        >>> detect_language("Comment obtenir un acte de naissance ?").lang
        'fr'
    """
    if sum(ch.isalpha() for ch in text) < MIN_LETTERS:
        return LanguageGuess(DEFAULT_LANGUAGE, 0.0)
    lang, probability = _classifier().classify(text[:2000])
    return LanguageGuess(str(lang), float(probability))


def language_of(text: str) -> str:
    """The language code of a text ("en" or "fr")."""
    return detect_language(text).lang


def query_analysers(text: str) -> list[str]:
    """The languages whose analysers a question is searched with: its own first, then the
    others when the detector is not sure or the question is not English.

    An English question the detector is sure of is searched as before languages existed
    (Porter only). A French one is searched with the French analyser and, at a lower weight,
    with Porter too: on 59 French questions over the 94 public-service sheets, hit@5 went
    0.797 (Porter only) -> 0.864 (French only) -> 0.881 (both); on the 38 FAQ questions
    0.789 -> 0.763 -> 0.816 (`python -m kenning.bench.french`).
    """
    guess = detect_language(text)
    if guess.sure and guess.lang == DEFAULT_LANGUAGE:
        return [guess.lang]
    return [guess.lang, *(lang for lang in LANGUAGES if lang != guess.lang)]
