"""The approximate index at scale: build time, recall@10 against exact search, latency,
memory per vector, with and without filters.

Vectors are synthetic but shaped like real ones: each mixes two real chunk embeddings (the
second with a weight drawn from U(0, 0.5)) plus Gaussian noise, renormalised; queries are real
questions embedded by the same model. Uniform noise would make every neighbour equally far and
recall meaningless.
"""

from __future__ import annotations

import resource
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from kenning.bench.latency import percentiles
from kenning.index.faiss_index import AnnOptions, FaissIndex

NPROBE_SWEEP = (8, 16, 32, 64, 128)
BLOCK = 50_000  # vectors generated and added at a time, as batches of an ingest would be
NOISE = 0.02


def synthetic(real: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """`n` vectors mixed from real ones (see the module docstring)."""
    first = real[rng.integers(0, len(real), n)]
    second = real[rng.integers(0, len(real), n)]
    weight = rng.uniform(0, 0.5, size=(n, 1)).astype(np.float32)
    mixed = first + weight * second + rng.normal(scale=NOISE, size=first.shape).astype(np.float32)
    return (mixed / np.linalg.norm(mixed, axis=1, keepdims=True)).astype(np.float32)


def _recall(truth: np.ndarray, found: list[list[int]]) -> float:
    return float(np.mean([len(set(t[:10].tolist()) & set(f[:10])) / 10
                          for t, f in zip(truth, found, strict=True)]))  # fmt: skip


def _timed_search(
    index: FaissIndex, queries: np.ndarray, allowed: np.ndarray | None
) -> tuple[list[list[int]], list[float]]:
    found: list[list[int]] = []
    samples: list[float] = []
    for query in queries:
        started = time.perf_counter()
        hits = index.search(query, 10, allowed)
        samples.append((time.perf_counter() - started) * 1000)
        found.append([i for i, _ in hits])
    return found, samples


def run(
    real: np.ndarray, queries: np.ndarray, size: int, options: AnnOptions | None = None,
    seed: int = 0,
) -> dict[str, Any]:  # fmt: skip
    """Build the product's index over `size` synthetic vectors and measure it."""
    options = options or AnnOptions()
    rng = np.random.default_rng(seed)
    dimension = real.shape[1]
    exact = faiss.IndexFlatIP(dimension)
    index = FaissIndex(dimension, options)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    build = slowest = 0.0
    for start in range(0, size, BLOCK):
        block = synthetic(real, min(BLOCK, size - start), rng)
        exact.add(block)
        started = time.perf_counter()
        index.add(np.arange(start, start + len(block), dtype=np.int64), block)
        took = time.perf_counter() - started
        build += took
        slowest = max(slowest, took)
    result: dict[str, Any] = {
        "vectors": size, "kind": index.kind, "build_s": round(build, 1),
        "build_vectors_per_s": round(size / build) if build else None,
        "slowest_add_s": round(slowest, 1), "nprobe": options.nprobe, "nlist": index.nlist,
        "bytes_per_vector": round(index.memory_bytes() / size),
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "vectors.faiss"
        index.save(path)
        result["disk_mb"] = round(path.stat().st_size / 1e6, 1)
    result["peak_rss_growth_mb"] = round(
        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before
    )
    filters: dict[str, np.ndarray | None] = {
        "none": None,
        "30% of ids": rng.choice(size, int(size * 0.3), replace=False).astype(np.int64),
        "2% of ids": rng.choice(size, int(size * 0.02), replace=False).astype(np.int64),
    }
    rows = []
    for label, allowed in filters.items():
        params = None
        if allowed is not None:
            params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(allowed))
        _, truth = exact.search(queries, 10, params=params)
        found, samples = _timed_search(index, queries, allowed)
        exact_samples = []
        for query in queries[:50]:
            started = time.perf_counter()
            exact.search(query.reshape(1, -1), 10, params=params)
            exact_samples.append((time.perf_counter() - started) * 1000)
        rows.append({"filter": label, "recall@10": round(_recall(truth, found), 3),
                     **percentiles(samples),
                     "exact_p50": percentiles(exact_samples)["p50"]})  # fmt: skip
    # The same cells searched with other numbers of probes: the recall/latency trade-off.
    _, truth = exact.search(queries, 10)
    for nprobe in NPROBE_SWEEP if index.kind == "ivf" else ():
        index.options = replace(options, nprobe=nprobe)
        found, samples = _timed_search(index, queries, None)
        rows.append({"filter": f"none, nprobe={nprobe}",
                     "recall@10": round(_recall(truth, found), 3), **percentiles(samples),
                     "exact_p50": rows[0]["exact_p50"]})  # fmt: skip
    index.options = options
    result["searches"] = rows
    return result
