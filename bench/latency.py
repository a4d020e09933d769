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


def golden_latency(kb: Any, golden: Path, corpus: Path) -> dict[str, Any]:
    """`ask` over every question of a golden set with its filters (extractive, one caller,
    each question embedded afresh): the p50 of each stage of `timings_ms`, and p50/p95/p99 of
    the whole call."""
    from kenning.eval.golden import load_golden
    from kenning.eval.runner import resolve_filters

    asked = [(q.question, resolve_filters(q.filters, corpus.resolve()))
             for q in load_golden(golden)]  # fmt: skip
    for question, filters in asked[:3]:  # warm lazy loads
        kb.ask(question, 5, filters, "extractive")
    stages: dict[str, list[float]] = {}
    walls: list[float] = []
    for question, filters in asked:
        forget_queries(kb)
        started = time.perf_counter()
        response = kb.ask(question, 5, filters, "extractive")
        walls.append((time.perf_counter() - started) * 1000)
        for stage, ms in response.timings_ms.items():
            stages.setdefault(stage, []).append(ms)
    return {"questions": len(asked), "ask": percentiles(walls),
            "stages_p50": {s: percentiles(v)["p50"] for s, v in stages.items()}}  # fmt: skip


def main(argv: list[str] | None = None) -> None:
    """`python -m kenning.bench.latency GOLDEN --kb KB`: ask latency over a golden set's
    questions (`golden_latency`), printed as JSON with the load average before and after."""
    import argparse
    import os

    from kenning import KnowledgeBase, load_settings

    parser = argparse.ArgumentParser(description=main.__doc__.split("\n\n")[0])
    parser.add_argument("golden", type=Path)
    parser.add_argument("--kb", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, default=None,
                        help="source files (default: the `corpus` folder beside the golden set)")
    args = parser.parse_args(argv)
    corpus = args.corpus if args.corpus is not None else args.golden.parent / "corpus"
    before = os.getloadavg()
    with KnowledgeBase(args.kb, load_settings(home=args.kb, git_history=False)) as kb:
        result = golden_latency(kb, args.golden, corpus)
    print(json.dumps({**result, "load_average": [before[0], os.getloadavg()[0]]}))


if __name__ == "__main__":
    main()
