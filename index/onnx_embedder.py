"""Sentence-transformers models run through ONNX Runtime: the same vectors without torch.

Importing torch and sentence-transformers takes 5-10 s on a small machine and embedding one
question through them ~20 ms; ONNX Runtime and `tokenizers` import in well under a second
and embed a question in ~5 ms. The model's transformer is exported once, from the
sentence-transformers model itself (torch is needed for that one export), into a cache
folder; every later process loads the ONNX file directly. An export is kept only if it
reproduces the torch vectors (cosine >= `MIN_COSINE` on probe texts), so a knowledge base
embedded with either backend answers queries embedded with the other.

The export also writes an int8 copy (dynamic quantisation of the weights), used only when
`embedding_quantization` is "int8": its vectors are close to, not equal to, the float32 ones.

Only the common pipelines are exported: Transformer, then mean, CLS or max pooling, then an
optional Normalize. Anything else (Dense layers, prompts, custom modules) raises
`OnnxUnavailable` and the caller falls back to torch.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from kenning.index.embeddings import QueryCache

logger = logging.getLogger(__name__)
T = TypeVar("T")

MIN_COSINE = 0.9999  # an export must reproduce the torch vectors at least this closely
MIN_INT8_COSINE = 0.95  # int8 vectors differ by design; below this the quantisation broke
INT8_FILE = "model-int8.onnx"
EXPORT_VERSION = 3  # bump when the exported graph or its metadata change
OPSET = 17
FUSABLE = {"bert", "roberta", "xlm-roberta"}  # encoders ONNX Runtime's "bert" fusions fit
# Word pieces per batch: ONNX Runtime keeps its largest activations allocated, and 64 texts of
# 256 pieces took the ingest process from 1.2 to 2 GB.
MAX_BATCH_TOKENS = 8192
# A batch is padded to its longest text: it takes only texts at least this share of that
# length. Answer units (5-60 pieces) embedded 1.3x faster than in one padded batch.
MIN_WIDTH_SHARE = 0.7
PROBES = [
    "What did the team decide about the remote control budget?",
    "Runbook: fail over the payments database to the standby region.",
    "Amara: the solver's memory use doubled after the upgrade, so we cap the cache. " * 8,
]


class OnnxUnavailable(RuntimeError):
    """This model cannot run through ONNX Runtime here (missing package or unusual pipeline)."""


def model_fingerprint(location: Path) -> str:
    """A short key for a model folder: its path and the size and mtime of its files."""
    digest = hashlib.sha256(f"v{EXPORT_VERSION}:{location.resolve()}".encode())
    for path in sorted(location.rglob("*")):
        if path.is_file() and not path.name.startswith("."):
            stat = path.stat()
            rel = path.relative_to(location)
            digest.update(f"{rel}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def export_folder(location: Path, cache_dir: Path) -> Path:
    """Where the ONNX export of the model at `location` lives."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in location.name)[:60]
    return cache_dir / "onnx" / f"{safe}-{model_fingerprint(location)}"


def export(location: Path, folder: Path) -> None:
    """Export the sentence-transformers model at `location` into `folder` (needs torch, onnx).

    Writes `model.onnx` and `kenning-onnx.json` (pooling, sequence length, inputs) through a
    temporary folder renamed into place, so a crash or a concurrent export never leaves a
    half-written model behind.

    Raises:
        OnnxUnavailable: the pipeline is not one this module runs, an export package is
            missing, or the export does not reproduce the torch vectors.
    """
    try:
        import onnx  # noqa: F401  (torch.onnx.export needs it)
        import torch
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise OnnxUnavailable(f"exporting to ONNX needs {exc.name}") from exc

    try:
        # Eager attention exports the graph ONNX Runtime's transformer optimizer can fuse.
        kwargs = {"attn_implementation": "eager"}
        model = SentenceTransformer(str(location), device="cpu", model_kwargs=kwargs)
    except (TypeError, ValueError):
        model = SentenceTransformer(str(location), device="cpu")
    modules = [type(m).__name__ for m in model]
    if modules not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        raise OnnxUnavailable(f"pipeline {modules} is not Transformer + Pooling (+ Normalize)")
    _pooling_mode(model[1])  # refuse unusual pooling before exporting anything
    transformer = model[0].auto_model.eval()
    tokenizer = model.tokenizer
    if not Path(location, "tokenizer.json").exists() or not getattr(tokenizer, "is_fast", False):
        raise OnnxUnavailable("the model has no fast tokenizer (tokenizer.json)")
    sample = tokenizer(PROBES[:2], padding=True, truncation=True, return_tensors="pt")
    names = [n for n in ("input_ids", "attention_mask", "token_type_ids") if n in sample]

    class Hidden(torch.nn.Module):
        """The transformer's last hidden state: what pooling works on."""

        def __init__(self) -> None:
            super().__init__()
            self.inner = transformer

        def forward(self, *inputs: Any) -> Any:
            return self.inner(**dict(zip(names, inputs, strict=True))).last_hidden_state

    tmp = folder.with_name(f"{folder.name}.tmp-{os.getpid()}")
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        cosine = _export_into(tmp, model, Hidden().eval(), sample, names, location)
        try:
            os.replace(tmp, folder)
        except OSError:  # another process exported it first
            pass
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    logger.info("exported %s to ONNX at %s (cosine to torch %.6f)", location, folder, cosine)


def _export_into(
    tmp: Path, model: Any, hidden: Any, sample: Any, names: list[str], location: Path
) -> float:
    """Export and check into `tmp`; returns the lowest cosine to the torch vectors."""
    import torch

    axes = {n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow
        torch.onnx.export(
            hidden, tuple(sample[n] for n in names), str(tmp / "model.onnx"),
            input_names=names, output_names=["last_hidden_state"], dynamic_axes=axes,
            opset_version=OPSET, dynamo=False,
        )  # fmt: skip
    meta = {
        "version": EXPORT_VERSION, "pooling": _pooling_mode(model[1]), "inputs": names,
        "max_seq_length": int(model.max_seq_length or 512),
        "dimension": int(_dimension(model)),
        "tokenizer": str(Path(location, "tokenizer.json")),
    }  # fmt: skip
    (tmp / "kenning-onnx.json").write_text(json.dumps(meta, indent=2))
    expected = np.asarray(model.encode(PROBES, normalize_embeddings=True, convert_to_numpy=True))
    plain = _cosine_to(expected, tmp, location)
    if plain < MIN_COSINE:
        raise OnnxUnavailable(f"the ONNX export differs from torch (cosine {plain:.5f})")
    config = model[0].auto_model.config
    if _fuse(tmp / "model.onnx", tmp / "fused.onnx", config):
        os.replace(tmp / "model.onnx", tmp / "plain.onnx")
        os.replace(tmp / "fused.onnx", tmp / "model.onnx")
        fused = _cosine_to(expected, tmp, location)
        if fused >= MIN_COSINE:
            (tmp / "plain.onnx").unlink()
            plain = fused  # the graph kept
        else:
            logger.info("fused ONNX graph drifted (cosine %.6f); keeping the plain one", fused)
            os.replace(tmp / "plain.onnx", tmp / "model.onnx")
    _quantize(tmp / "model.onnx", tmp / INT8_FILE)
    low = _cosine_to(expected, tmp, location, quantized=True)
    if low < MIN_INT8_COSINE:
        (tmp / INT8_FILE).unlink()
        logger.info("int8 model too far from float32 (cosine %.4f); not kept", low)
    return plain


def _quantize(source: Path, target: Path) -> None:
    """Dynamic int8 quantisation of the weights (per channel): 1.45x faster on 2 cores."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # it logs advice on the root logger, which users would see
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            quantize_dynamic(
                str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
            )  # fmt: skip
    finally:
        root.setLevel(level)


def _cosine_to(
    expected: np.ndarray, folder: Path, location: Path, quantized: bool = False
) -> float:
    """The lowest cosine between `expected` and the export in `folder` on the probe texts."""
    embedder = OnnxEmbedder(folder, name=str(location), quantized=quantized)
    return float((expected * embedder.embed_documents(PROBES)).sum(axis=1).min())


def _fuse(source: Path, target: Path, config: Any) -> bool:
    """Fuse attention, layer norms and GELU with ONNX Runtime's transformer optimizer, for
    BERT-like encoders (1.3x faster on 2 cores for MiniLM). False when it does not apply."""
    if getattr(config, "model_type", "") not in FUSABLE:
        return False
    try:
        from onnxruntime.transformers import optimizer

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fused = optimizer.optimize_model(
                str(source), model_type="bert", num_heads=int(config.num_attention_heads),
                hidden_size=int(config.hidden_size),
            )  # fmt: skip
        fused.save_model_to_file(str(target))
    except Exception as exc:  # noqa: BLE001 (an optimisation only: the plain graph works)
        logger.info("ONNX Runtime could not fuse the graph: %s", exc)
        return False
    return True


def _dimension(model: Any) -> int:
    get = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return int(get() or 0)


def _pooling_mode(pooling: Any) -> str:
    config = pooling.get_config_dict()
    mode = config.get("pooling_mode")
    if mode is None:  # sentence-transformers < 6: one boolean per mode
        chosen = [m for m in ("cls", "mean", "max") if config.get(f"pooling_mode_{m}_token")
                  or config.get(f"pooling_mode_{m}_tokens")]  # fmt: skip
        mode = chosen[0] if len(chosen) == 1 else None
    if mode not in ("cls", "mean", "max") or not config.get("include_prompt", True):
        raise OnnxUnavailable(f"pooling {config} is not plain cls, mean or max")
    return str(mode)


def inference_session(model_file: Path, threads: int | None) -> Any:
    """A CPU session of `model_file` with `threads` intra-op threads (None: one per core)."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    options.log_severity_level = 3
    # Idle ONNX threads would spin for work and steal the cores FAISS and SQLite need
    # between two questions (dense search took 5x longer beside spinning threads).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return onnxruntime.InferenceSession(str(model_file), options,
                                        providers=["CPUExecutionProvider"])  # fmt: skip


def graph_file(folder: Path, quantized: bool, name: str) -> Path:
    """The export's float32 graph, or its int8 one (OnnxUnavailable when none was kept)."""
    model_file = folder / (INT8_FILE if quantized else "model.onnx")
    if quantized and not model_file.exists():
        raise OnnxUnavailable(f"no int8 model for {name} (its quantisation drifted)")
    return model_file


def cached_export(marker: Path, export_it: Callable[[], None], load: Callable[[], T]) -> T:
    """`load()` the export whose folder holds `marker`, exporting it first when it is missing
    or cannot be read (a damaged cache is exported again).

    Raises:
        OnnxUnavailable: the export cannot run or cannot be written (e.g. a read-only cache).
    """
    folder = marker.parent
    if marker.exists():
        try:
            return load()
        except OnnxUnavailable:
            raise
        except Exception as exc:  # noqa: BLE001 (a damaged cache: export it again)
            logger.warning("unreadable ONNX export %s (%s); exporting again", folder, exc)
            shutil.rmtree(folder, ignore_errors=True)
    try:
        export_it()
    except OSError as exc:  # e.g. a read-only cache folder: the caller falls back
        raise OnnxUnavailable(f"cannot write the ONNX export to {folder}: {exc}") from exc
    return load()


class OnnxEmbedder(QueryCache):
    """Embeds through an exported model (see `export`); vectors are unit length."""

    def __init__(
        self,
        folder: Path,
        name: str,
        threads: int | None = None,
        batch_size: int = 64,
        quantized: bool = False,
    ) -> None:
        try:
            import onnxruntime  # noqa: F401  (checked here, used by inference_session)
            from tokenizers import Tokenizer
        except ImportError as exc:
            raise OnnxUnavailable(f"ONNX embedding needs {exc.name}") from exc
        meta = json.loads((folder / "kenning-onnx.json").read_text())
        model_file = graph_file(folder, quantized, name)
        self.name = name
        self.quantization = "int8" if quantized else "none"
        self._folder, self._threads = folder, threads
        self._int8: OnnxEmbedder | None = None
        self.dimension = int(meta["dimension"])
        self.batch_size = batch_size
        self._pooling = meta["pooling"]
        self._inputs = list(meta["inputs"])
        self._tokenizer = Tokenizer.from_file(meta["tokenizer"])
        self._tokenizer.enable_truncation(int(meta["max_seq_length"]))
        self._tokenizer.no_padding()
        self._session = inference_session(model_file, threads)
        super().__init__()

    @classmethod
    def for_model(
        cls,
        location: Path,
        name: str,
        cache_dir: Path,
        threads: int | None = None,
        batch_size: int = 64,
        quantized: bool = False,
    ) -> OnnxEmbedder:
        """The cached export of the model at `location`, exporting it first if needed."""
        folder = export_folder(location, cache_dir)
        return cached_export(folder / "kenning-onnx.json", lambda: export(location, folder),
                             lambda: cls(folder, name, threads, batch_size, quantized))  # fmt: skip

    def int8(self) -> OnnxEmbedder:
        """This model with its int8 weights (itself when it has them already or none were kept),
        loaded on first use: its vectors are within cosine ~0.99 of float32 at twice the speed."""
        if self._int8 is None:
            try:
                sibling = self if self.quantization == "int8" else OnnxEmbedder(
                    self._folder, f"{self.name}#int8", self._threads, self.batch_size, True)
            except OnnxUnavailable:  # its quantisation drifted at export: float32 it is
                sibling = self
            self._int8 = sibling
        return self._int8

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        """Embed passages in batches of similar length (less padding), in input order."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(texts))
        order = np.argsort([-len(e.ids) for e in encodings], kind="stable").tolist()
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        start = 0
        while start < len(order):
            # Longest first: the batch's first text sets its padded width, hence its memory.
            width = len(encodings[order[start]].ids)
            size = max(1, min(self.batch_size, MAX_BATCH_TOKENS // max(width, 1)))
            end = start + 1
            while (end < len(order) and end - start < size
                   and len(encodings[order[end]].ids) >= MIN_WIDTH_SHARE * width):  # fmt: skip
                end += 1
            batch = order[start:end]
            out[batch] = self._embed([encodings[i] for i in batch])
            start = end
        return out

    def _embed(self, encodings: list[Any]) -> np.ndarray:
        width = max(len(e.ids) for e in encodings)
        arrays = {n: np.zeros((len(encodings), width), dtype=np.int64) for n in self._inputs}
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            arrays["input_ids"][row, :n] = encoding.ids
            arrays["attention_mask"][row, :n] = encoding.attention_mask
            if "token_type_ids" in arrays:
                arrays["token_type_ids"][row, :n] = encoding.type_ids
        (hidden,) = self._session.run(None, arrays)
        mask = arrays["attention_mask"][..., None].astype(np.float32)
        if self._pooling == "cls":
            pooled = hidden[:, 0]
        elif self._pooling == "max":
            pooled = np.where(mask > 0, hidden, -1e9).max(axis=1)
        else:
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)
