"""Lexical analysers per language: how text becomes the terms FTS5 indexes and matches.

English is analysed by FTS5 itself (`porter unicode61 remove_diacritics 2` on `chunks_fts`).
French is analysed here, with the Snowball French stemmer (PyStemmer), and stored pre-analysed
in `chunks_fts_fr` (tokenizer `unicode61`, which only splits on the spaces): lower-cased,
elisions split (l'état -> l, état), stemmed, then accents folded (état -> etat), so
"fiscales", "fiscal" and "Fiscalité" meet. Every chunk is in both tables, whatever its
language: identifiers and names shared across languages still match, and BM25's term
statistics cover the whole knowledge base.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from typing import Any

WORD = re.compile(r"\w+", re.U)
ANALYSERS = ("en", "fr")  # the FTS5 tables' languages; a question uses one or both
FTS_TABLES = {"en": "chunks_fts", "fr": "chunks_fts_fr"}

# Words that carry no meaning for BM25 in a French question (accents folded), and the
# letters an elision leaves (l', d', qu', ...).
FRENCH_STOPWORDS = frozenset(
    "a au aux avec ce ces c d dans de des du elle en et eux il ils je j la le les leur lui l ma "
    "mais me meme m mes moi mon ne n nos notre nous on ou par pas pour qu que qui sa se ses "
    "s son sur ta te tes toi ton tu t un une vos votre vous y est sont suis etre ai as avons "
    "avez ont etait cet cette quel quelle quels quelles comment quoi quand combien pourquoi "
    "dont peut peux faut faire fait il-y-a si plus ou-est-ce ceux celui celle ca cela ici "
    "lorsque ete".split()
)

_lock = threading.Lock()
_stemmers: dict[str, Any] = {}


def _french_stemmer() -> Any:  # noqa: ANN401 - PyStemmer has no types
    with _lock:
        if "fr" not in _stemmers:
            import Stemmer

            _stemmers["fr"] = Stemmer.Stemmer("french")
        return _stemmers["fr"]


def fold_accents(word: str) -> str:
    """The word without diacritics (é -> e, ç -> c, œ stays)."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def french_terms(text: str) -> list[str]:
    """Every word of the text as a French stem without accents, in order (for indexing)."""
    words = [w.lower() for w in WORD.findall(text)]
    stems = _french_stemmer().stemWords(words)
    return [fold_accents(s) for s in stems]


def french_text(text: str) -> str:
    """The text as the space-separated French terms stored in `chunks_fts_fr`."""
    return " ".join(french_terms(text))


def french_query_terms(text: str) -> list[str]:
    """The distinct French terms of a question, stopwords dropped (unless that is all)."""
    words = [w.lower() for w in WORD.findall(text)]
    kept = [w for w in words if fold_accents(w) not in FRENCH_STOPWORDS] or words
    stems = _french_stemmer().stemWords(kept)
    return list(dict.fromkeys(fold_accents(s) for s in stems))
