"""The common pipelines Kenning is compared with, over the same source files.

- `langchain`: LangChain's RecursiveCharacterTextSplitter(1000, 200) + the knowledge base's
  own embedding model + FAISS (exact inner product), the pipeline most RAG tutorials build;
- `langchain-sentence`: the same ranking, answering with the single sentence of its top three
  chunks most similar to the question (same embedding model): a short-answer pipeline;
- `bm25`: BM25 (rank-bm25, Okapi) over those same 1000-character chunks.

The answer of `langchain` and `bm25` is the first three sentences of the top chunk; every
baseline's expert is the most frequent `Speaker:` in the top 5 chunks. Of the golden filters
they apply `source_prefix` only (an index per prefix, as a user would build one per meeting);
others are ignored.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

SENTENCES = re.compile(r"(?<=[.!?])\s+")
SPEAKER = re.compile(r"^([^:\n]{1,60}):\s", re.M)
TOKENS = re.compile(r"\w+")
TEXT_SUFFIXES = {".md", ".markdown", ".txt", ".text", ".rst", ".html", ".htm"}
RANKING = {"langchain": "dense", "langchain-sentence": "dense", "bm25": "bm25"}


@dataclass
class Passage:
    """A baseline chunk and the file it came from."""

    source: str
    text: str


def load_texts(corpus: Path) -> tuple[dict[str, str], list[str]]:
    """Plain text of each file under the corpus folder, and the files no loader here reads.

    WebVTT becomes `Speaker: text` lines (webvtt-py), PDF its text (pdfminer.six), Markdown,
    text and HTML are read as they are — the loaders a simple pipeline would use.
    """
    texts: dict[str, str] = {}
    skipped: list[str] = []
    files = [corpus] if corpus.is_file() else sorted(p for p in corpus.rglob("*") if p.is_file())
    for path in files:
        suffix = path.suffix.lower()
        if path.name.startswith("."):
            continue
        if suffix == ".vtt":
            texts[str(path.resolve())] = _vtt_text(path)
        elif suffix == ".pdf":
            from pdfminer.high_level import extract_text

            texts[str(path.resolve())] = extract_text(str(path))
        elif suffix in TEXT_SUFFIXES:
            texts[str(path.resolve())] = path.read_text(encoding="utf-8", errors="replace")
        else:
            skipped.append(str(path))
    return texts, skipped


def _vtt_text(path: Path) -> str:
    import webvtt

    lines = []
    for caption in webvtt.read(str(path)):
        speaker = caption.voice or ""
        text = " ".join(caption.text.split())
        lines.append(f"{speaker}: {text}" if speaker else text)
    return "\n".join(lines)


def lead_sentences(text: str, n: int = 3) -> str:
    """The first n sentences of a chunk: the baselines' answer."""
    return " ".join(SENTENCES.split(" ".join(text.split()))[:n])


def best_sentence(question: str, texts: list[str], embedder: Any) -> tuple[str, int]:  # noqa: ANN401
    """The sentence of the texts most similar to the question, and the index of its text.

    Sentences are split as `lead_sentences` splits them; ("", -1) when there is none.
    """
    sentences = [(sentence, i) for i, text in enumerate(texts)
                 for sentence in SENTENCES.split(" ".join(text.split())) if sentence]  # fmt: skip
    if not sentences:
        return "", -1
    vectors = np.asarray(embedder.embed_documents([question] + [s for s, _ in sentences]),
                         dtype=np.float32)  # fmt: skip
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    best = int(np.argmax(vectors[1:] @ vectors[0]))
    return sentences[best]


def most_frequent_speakers(texts: list[str]) -> list[str]:
    """Speakers ordered by how many turns they have in the texts: the baselines' experts."""
    counts: dict[str, int] = {}
    for text in texts:
        for speaker in SPEAKER.findall(text):
            counts[speaker] = counts.get(speaker, 0) + 1
    return sorted(counts, key=lambda s: -counts[s])


@dataclass
class BaselineIndex:
    """Chunks of the corpus searchable by dense (FAISS) or BM25 ranking, per source prefix."""

    passages: list[Passage]
    embedder: Any  # the knowledge base's embedder: embed_documents / embed_query
    _vectors: np.ndarray | None = None
    _indexes: dict[tuple[str, str], Any] = field(default_factory=dict)

    @classmethod
    def build(cls, texts: dict[str, str], embedder: Any) -> BaselineIndex:  # noqa: ANN401
        """Split every text with RecursiveCharacterTextSplitter(1000, 200)."""
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
        passages = [Passage(source, chunk) for source, text in texts.items()
                    for chunk in splitter.split_text(text)]  # fmt: skip
        return cls(passages, embedder)

    def _subset(self, prefix: str | None) -> list[int]:
        if not prefix:
            return list(range(len(self.passages)))
        return [i for i, p in enumerate(self.passages) if p.source.startswith(prefix)]

    def _index(self, method: str, prefix: str | None) -> tuple[Any, list[int]]:
        key = (RANKING[method], prefix or "")
        if key not in self._indexes:
            rows = self._subset(prefix)
            if RANKING[method] == "dense":
                import faiss

                if self._vectors is None:
                    self._vectors = np.asarray(
                        self.embedder.embed_documents([p.text for p in self.passages]),
                        dtype=np.float32,
                    )
                index = faiss.IndexFlatIP(self._vectors.shape[1])
                if rows:
                    index.add(self._vectors[rows])
            else:
                from rank_bm25 import BM25Okapi

                tokenised = [TOKENS.findall(self.passages[i].text.lower()) for i in rows]
                index = BM25Okapi(tokenised) if rows else None
            self._indexes[key] = (index, rows)
        return self._indexes[key]

    def search(self, method: str, query: str, k: int, prefix: str | None) -> list[Passage]:
        """The k best chunks under the prefix, by dense ranking (`langchain`,
        `langchain-sentence`) or `bm25`."""
        index, rows = self._index(method, prefix)
        if not rows:
            return []
        if RANKING[method] == "dense":
            # embed_documents, not embed_query: the latter may serve Kenning's cached vector,
            # and the baseline's latency must include embedding the question.
            vector = np.asarray(self.embedder.embed_documents([query]), dtype=np.float32)
            _, ids = index.search(vector, min(k, len(rows)))
            order = [int(i) for i in ids[0] if i >= 0]
        else:
            scores = index.get_scores(TOKENS.findall(query.lower()))
            order = [int(i) for i in np.argsort(-scores, kind="stable")[:k]]
        return [self.passages[rows[i]] for i in order]

    def prepare(self, methods: list[str], prefixes: list[str | None]) -> float:
        """Build the indexes the questions will need; the seconds it took."""
        started = time.perf_counter()
        for method in methods:
            for prefix in dict.fromkeys(prefixes):
                self._index(method, prefix)
        return time.perf_counter() - started
