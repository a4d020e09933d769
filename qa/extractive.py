"""The extractive answerer: the best sentences of the retrieved passages, each cited.

Nothing is said that a passage does not say: every sentence of the answer is copied from a
passage and followed by that passage's `[n]` marker.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from kenning.index.embeddings import Embedder
from kenning.schema import Hit

SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
SPEAKER_LINE = re.compile(r"^(?P<speaker>[^:\n]{1,60}):\s+(?P<text>.+)$")
MARKUP = re.compile(r"^\s*(?:[-*+]|\d+[.)]|#{1,6}|>)\s*(?:\[[ xX]\]\s*)?|\*\*|__|`")
BLOCK_START = re.compile(r"^\s*(?:[-*+]\s|\d+[.)]\s|#{1,6}\s|\||>)")
WORD = re.compile(r"\w+")
MIN_WORDS = 3
MAX_WORDS = 60
# Sentence score: similarity to the question, plus a share of the passage's retrieval rank,
# plus word overlap. The weights were set on QMSum train (see docs/answering.md).
RANK_PRIOR = 0.15
OVERLAP_WEIGHT = 0.25
MMR_LAMBDA = 0.75
KEEP_RATIO = 0.8  # a sentence must score at least this share of the best one
# Only this many sentences, ranked by the cheap part of the score (passage rank and word
# overlap), are embedded: embedding every sentence of five passages (~60) dominated ask time.
EMBED_CANDIDATES = 16


@dataclass(frozen=True)
class Sentence:
    """A candidate sentence and where it comes from."""

    text: str  # as shown in the answer
    plain: str  # as embedded and compared
    hit_index: int
    order: int  # position in its passage
    speaker: str | None = None


def logical_lines(text: str) -> list[str]:
    """Lines of prose re-joined where a source wrapped them; list items and rows stay apart."""
    lines: list[str] = []
    for raw in text.splitlines():
        if not raw.strip():
            lines.append("")
        elif lines and lines[-1] and not BLOCK_START.match(raw) and not lines[-1].startswith("|"):
            lines[-1] = f"{lines[-1]} {raw.strip()}"
        else:
            lines.append(raw.strip())
    return [line for line in lines if line]


def split_sentences(hit: Hit, hit_index: int) -> list[Sentence]:
    """The sentences of a passage; transcript lines keep their speaker."""
    out: list[Sentence] = []
    order = 0
    lines = hit.text.splitlines() if hit.kind == "transcript" else logical_lines(hit.text)
    for line in lines:
        line = line.strip()
        if not line or line.startswith("|"):  # table rows do not read as prose
            continue
        speaker = None
        match = SPEAKER_LINE.match(line) if hit.kind == "transcript" else None
        if match:
            speaker, line = match.group("speaker").strip(), match.group("text")
        for piece in SENTENCE_END.split(line):
            plain = " ".join(MARKUP.sub("", piece).split())
            words = len(plain.split())
            if words < MIN_WORDS:
                continue
            if words > MAX_WORDS:
                plain = " ".join(plain.split()[:MAX_WORDS]) + " …"
            shown = f"{speaker}: “{plain}”" if speaker else plain
            out.append(Sentence(shown, plain, hit_index, order, speaker))
            order += 1
    return out


def _overlap(question: str, sentence: str) -> float:
    asked = {w for w in WORD.findall(question.lower()) if len(w) > 3}
    if not asked:
        return 0.0
    said = set(WORD.findall(sentence.lower()))
    return len(asked & said) / len(asked)


@dataclass
class Extract:
    """Chosen sentences with the hits they cite (indexes into the hit list)."""

    sentences: list[Sentence]
    best_score: float


def choose_sentences(
    question: str, hits: list[Hit], embedder: Embedder, max_sentences: int = 4
) -> Extract:
    """Pick up to `max_sentences` relevant, non-redundant sentences (maximal marginal relevance)."""
    candidates = [s for i, hit in enumerate(hits) for s in split_sentences(hit, i)]
    if not candidates:
        return Extract([], 0.0)
    cheap = [
        RANK_PRIOR / (1 + s.hit_index) + OVERLAP_WEIGHT * _overlap(question, s.plain)
        for s in candidates
    ]
    if len(candidates) > EMBED_CANDIDATES:
        keep = sorted(range(len(candidates)), key=lambda i: -cheap[i])[:EMBED_CANDIDATES]
        keep.sort()
        candidates = [candidates[i] for i in keep]
        cheap = [cheap[i] for i in keep]
    vectors = embedder.embed_documents([s.plain for s in candidates])
    query = embedder.embed_query(question)
    scores = vectors @ query + np.array(cheap)
    best = float(scores.max())
    chosen: list[int] = []
    while len(chosen) < max_sentences:
        best_index, best_value = -1, -np.inf
        for i in range(len(candidates)):
            if i in chosen or scores[i] < best * KEEP_RATIO:
                continue
            redundancy = max((float(vectors[i] @ vectors[j]) for j in chosen), default=0.0)
            value = MMR_LAMBDA * scores[i] - (1 - MMR_LAMBDA) * redundancy
            if redundancy < 0.9 and value > best_value:
                best_index, best_value = i, value
        if best_index < 0:
            break
        chosen.append(best_index)
    # Read in the order the passages were ranked, and in passage order within one.
    chosen.sort(key=lambda i: (candidates[i].hit_index, candidates[i].order))
    return Extract([candidates[i] for i in chosen], best)
