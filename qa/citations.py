"""Checking an LLM's answer against the passages it cites.

Markers that point nowhere are removed; a sentence that no cited passage supports is dropped
(or, with no marker at all, attached to the passage that does support it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from kenning.index.embeddings import Embedder, calibrated
from kenning.qa.extractive import SENTENCE_END
from kenning.schema import Hit

MARKER = re.compile(r"\s*\[(\d{1,3})\]")
WORD = re.compile(r"\w+")


@dataclass
class CheckedAnswer:
    """An answer after checking: its text, the passages it cites, and what was removed."""

    text: str
    cited: list[int]  # passage numbers (1-based) used, in order of first use
    dropped: list[str] = field(default_factory=list)
    removed_markers: list[int] = field(default_factory=list)


def _content_words(text: str) -> set[str]:
    return {w for w in WORD.findall(text.lower()) if len(w) > 3}


def _support(sentence: str, passage: str, similarity: float) -> float:
    """How well a passage supports a sentence: max of embedding similarity and word overlap."""
    words = _content_words(sentence)
    overlap = len(words & _content_words(passage)) / len(words) if words else 0.0
    return max(similarity, overlap)


def check_answer(
    text: str, hits: list[Hit], embedder: Embedder, threshold: float
) -> CheckedAnswer:
    """Check an answer whose `[n]` markers refer to `hits` (1-based)."""
    valid = set(range(1, len(hits) + 1))
    removed = sorted({int(n) for n in MARKER.findall(text)} - valid)
    sentences = [s.strip() for s in SENTENCE_END.split(" ".join(text.split())) if s.strip()]
    if not sentences or not hits:
        return CheckedAnswer("", [], sentences, removed)
    plain = [MARKER.sub("", s).strip() for s in sentences]
    sentence_vectors = embedder.embed_documents(plain)
    passage_vectors = embedder.embed_documents([h.text for h in hits])
    similarity = calibrated(embedder, np.asarray(sentence_vectors @ passage_vectors.T))
    kept: list[str] = []
    dropped: list[str] = []
    cited: list[int] = []
    for i, sentence in enumerate(sentences):
        markers = [int(n) for n in MARKER.findall(sentence) if int(n) in valid]
        body = plain[i]
        if not body:
            continue
        supports = {
            n: _support(body, hits[n - 1].text, float(similarity[i, n - 1])) for n in valid
        }
        good = [n for n in markers if supports[n] >= threshold]
        if not good and not markers:
            best = max(supports, key=lambda n: supports[n])
            good = [best] if supports[best] >= threshold else []
        if not good:
            dropped.append(body)
            continue
        for n in good:
            if n not in cited:
                cited.append(n)
        kept.append(body.rstrip() + "".join(f" [{n}]" for n in good))
    return CheckedAnswer(" ".join(kept), cited, dropped, removed)


def renumber(text: str, order: list[int]) -> str:
    """Rewrite markers so the passages cited are numbered 1..n in order of first use."""
    mapping = {old: new for new, old in enumerate(order, start=1)}
    return MARKER.sub(lambda m: f" [{mapping.get(int(m.group(1)), int(m.group(1)))}]", text)
