"""Search and ask latency through the Python API, with and without filters."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

# Filters a user would set: one kind (about a third of the chunks here) and one narrow kind.
FILTERS: dict[str, dict[str, Any] | None] = {
    "none": None,
    "kind=transcript": {"kind": ["transcript"]},
    "kind=retrospective": {"kind": ["retrospective"]},
}


def percentiles(samples_ms: list[float]) -> dict[str, float]:
    """p50, p95 and p99 of the samples, in milliseconds."""
    if not samples_ms:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan")}
    values = np.asarray(samples_ms)
    return {f"p{q}": round(float(np.percentile(values, q)), 1) for q in (50, 95, 99)}


def questions(data: Path, limit: int) -> list[str]:
    """Real questions: QMSum val's specific queries, in file order."""
    out: list[str] = []
    for path in sorted((data / "qmsum" / "val").glob("*.json")):
        meeting = json.loads(path.read_text(encoding="utf-8"))
        out += [q["query"] for q in meeting.get("specific_query_list", [])]
    return out[:limit]


def forget_queries(kb: Any) -> None:
    """Drop remembered question vectors: each measured question is embedded afresh."""
    cache = getattr(kb.embedder, "_queries", None)
    if cache is not None:
        cache.clear()


def measure(kb: Any, call: Callable[[str], object], asked: list[str]) -> list[float]:
    """Milliseconds of each call, question by question."""
    samples: list[float] = []
    for question in asked:
        forget_queries(kb)
        started = time.perf_counter()
        call(question)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def latency_table(kb: Any, asked: list[str]) -> list[dict[str, Any]]:
    """One row per (operation, filter): p50/p95/p99 over the questions."""
    for question in asked[:3]:  # warm caches and lazy loads
        kb.ask(question)
    rows: list[dict[str, Any]] = []
    for label, filters in FILTERS.items():
        search = measure(kb, lambda q, f=filters: kb.search(q, 5, f), asked)
        ask = measure(kb, lambda q, f=filters: kb.ask(q, 5, f, "extractive"), asked)
        rows.append({"operation": "search", "filter": label, **percentiles(search)})
        rows.append({"operation": "ask", "filter": label, **percentiles(ask)})
    return rows


def disk_mb(home: Path, vectors: Any) -> dict[str, float]:
    """Sizes on disk, in MB: SQLite (with its WAL) and the vector index as it saves."""
    sqlite = sum(p.stat().st_size for p in home.glob("kenning.sqlite*"))
    return {"sqlite_mb": round(sqlite / 1e6, 1),
            "vectors_mb": round(vectors.memory_bytes() / 1e6, 1)}  # fmt: skip
