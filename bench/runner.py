"""Runs the benchmark steps and renders the tables printed by `kenning bench`."""

from __future__ import annotations

import os
import platform
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

DEMO = Path(__file__).resolve().parent.parent / "demo"
DEMO_QUESTION = "How do we fail over the payments database?"
STEPS = ("ingest", "latency", "server", "ann")


@dataclass
class BenchOptions:
    """What `kenning bench` measures (see `kenning bench --help`)."""

    data: Path
    max_files: int | None = None
    pdf: bool = False
    sizes: list[int] = field(default_factory=lambda: [10_000, 100_000])
    questions: int = 100
    ann_size: int = 1_000_000
    server: bool = True
    clients: int = 8
    load_seconds: float = 30.0
    workdir: Path | None = None
    steps: tuple[str, ...] = STEPS
    kb: Path | None = None  # without the ingest step: the knowledge base to measure
    ray: str | None = None  # a Ray cluster ("auto" or HOST:PORT): also ingest on it


def machine() -> str:
    """The machine in one line: CPU model, cores, memory, load."""
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"{model}, {os.cpu_count()} cores, {memory:.0f} GiB, load average {load}"


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ingest_section(corpus_bytes: int, files: int, result: dict[str, dict[str, Any]]) -> str:
    """The ingestion table: throughput of both pipelines, re-ingest, peak memory."""
    mb = corpus_bytes / 1e6
    rows = []
    for name, label in [("kenning", "Kenning"), ("langchain", "LangChain 1000/200 + FAISS")]:
        r = result[name]
        s = r["seconds"]
        rows.append([label, files, r["chunks"], f"{s:.1f}", f"{files / s:.2f}",
                     f"{r['chunks'] / s:.1f}", f"{mb / s:.3f}",
                     f"{r['peak_rss_mb']:.0f}"])  # fmt: skip
    k, lc = result["kenning"], result["langchain"]
    again = k["reingest_seconds"]
    summary = (
        f"Corpus: {files} files, {mb:.1f} MB. Kenning is {lc['seconds'] / k['seconds']:.2f}x "
        f"the LangChain pipeline's throughput (same files, same model; time ratio). Re-ingest "
        f"of the unchanged corpus: {again:.2f} s ({k['unchanged']} files unchanged), "
        f"{k['seconds'] / again:.0f}x faster than the first ingest."
    )
    table = _table(["pipeline", "files", "chunks", "seconds", "files/s", "chunks/s", "MB/s",
                    "peak RSS MB"], rows)  # fmt: skip
    return f"{table}\n\n{summary}"


def latency_section(results: list[dict[str, Any]]) -> str:
    """Search and ask latency by size and filter."""
    rows = []
    for result in results:
        for row in result["rows"]:
            rows.append([result["chunks"], result["kind"], row["operation"], row["filter"],
                         row["p50"], row["p95"], row["p99"]])  # fmt: skip
    sizes = "; ".join(
        f"{r['chunks']} chunks: SQLite {r['disk']['sqlite_mb']} MB, vectors "
        f"{r['disk']['vectors_mb']} MB" for r in results
    )
    table = _table(["chunks", "index", "operation", "filter", "p50 ms", "p95 ms", "p99 ms"],
                   rows)  # fmt: skip
    return f"{table}\n\nOn disk: {sizes}."


def ann_section(result: dict[str, Any]) -> str:
    """The approximate index at scale."""
    rows = [[result["vectors"], result["kind"], r["filter"], r["recall@10"], r["p50"], r["p95"],
             r["p99"], r["exact_p50"]] for r in result["searches"]]  # fmt: skip
    table = _table(["vectors", "index", "filter", "recall@10", "p50 ms", "p95 ms", "p99 ms",
                    "exact p50 ms"], rows)  # fmt: skip
    return (
        f"{table}\n\nBuilt in {result['build_s']} s ({result['build_vectors_per_s']} vectors/s; "
        f"IVF nlist={result['nlist']}, nprobe={result['nprobe']}; the slowest add, which "
        f"switched or trained the cells again, {result['slowest_add_s']} s); "
        f"{result['bytes_per_vector']} bytes per vector in memory, {result['disk_mb']} MB on "
        f"disk; peak RSS grew {result['peak_rss_growth_mb']} MB while building (the exact "
        "index used as ground truth included)."
    )


def server_section(first_answer: float | None, load: dict[str, Any] | None) -> str:
    """The server: first answer after start, and concurrent clients."""
    parts = []
    if first_answer is not None:
        parts.append(f"`kenning serve` on the demo answered its first question "
                     f"{first_answer:.2f} s after the process started.")  # fmt: skip
    if load:
        rows = [[op, load["clients"], load[op]["p50"], load[op]["p95"], load[op]["p99"]]
                for op in ("search", "ask")]  # fmt: skip
        parts.append(_table(["endpoint", "clients", "p50 ms", "p95 ms", "p99 ms"], rows))
        parts.append(
            f"{load['requests_per_s']} requests/s ({load['answers_per_s']} answers/s) over "
            f"{load['seconds']} s "
            f"({load['errors']} errors{': ' + load['first_error'] if load['errors'] else ''}), "
            f"on the {load['chunks']}-chunk knowledge base."
        )
    return "\n\n".join(parts)


def run(options: BenchOptions) -> str:
    """Run every step; returns the Markdown report."""
    from kenning.bench import ann, corpus, ingest, latency, scale, server

    started = datetime.now(UTC)
    header = [
        f"Machine: {machine()}",
        f"Date: {started.strftime('%Y-%m-%d %H:%M')} UTC; Python {platform.python_version()}",
        f"Command: kenning bench {' '.join(sys.argv[2:]) if sys.argv[1:2] == ['bench'] else ''}",
    ]
    own_workdir = options.workdir is None
    workdir = Path(tempfile.mkdtemp(prefix="kenning-bench-")) if own_workdir else options.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    sections: list[str] = []
    try:
        home = workdir / "kb"
        if "ingest" in options.steps:
            files = corpus.collect(options.data, workdir, options.max_files, options.pdf)
            _log(f"ingest: {len(files.files)} files, {files.bytes / 1e6:.1f} MB, both pipelines")
            result = ingest.compare(files.files, workdir)
            sections.append("### Ingestion\n\n"
                            + ingest_section(files.bytes, len(files.files), result))  # fmt: skip
            print(sections[-1], file=sys.stderr)
            if options.ray is not None:
                from kenning.bench import ray

                _log(f"ingest: the same files here and on the Ray cluster at {options.ray}")
                both = ray.ingest_both(files.files, workdir / "ray", options.ray)
                sections.append("### Ingestion on Ray\n\n" + ray.section(
                    options.ray, ray.cluster_nodes(options.ray), len(files.files), both))
                print(sections[-1], file=sys.stderr)
                if options.server and "server" in options.steps and options.clients:
                    _log(f"server: {options.clients} clients here and through Ray Serve")
                    served = ray.serve_both(both["ray"]["home"], workdir / "ray", options.ray,
                                            latency.questions(options.data, options.questions),
                                            options.clients, options.load_seconds)  # fmt: skip
                    sections.append("### Served through Ray Serve\n\n"
                                    + ray.serve_section(options.ray, served))  # fmt: skip
                    print(sections[-1], file=sys.stderr)
        elif options.kb is None:
            raise FileNotFoundError("without the ingest step, name a knowledge base with --kb")
        else:
            shutil.copytree(options.kb, home)  # grown below: never the original

        from kenning import KnowledgeBase, load_settings

        if own_workdir is False and "ingest" in options.steps:
            # A copy as ingested, before it grows: `--steps ann --kb` can start from it.
            shutil.copytree(home, workdir / "kb-ingested", dirs_exist_ok=True)
        asked = latency.questions(options.data, options.questions)
        with KnowledgeBase(home, load_settings(home=home)) as kb:
            dimension = kb.embedder.dimension
            real = kb.store.all_embeddings(dimension)[1].copy()
            query_vectors = kb.embedder.embed_documents(asked)
        latency_results = []
        largest = home
        for size in sorted(options.sizes) if "latency" in options.steps else []:
            _log(f"latency: growing the knowledge base to {size} chunks")
            chunks = scale.grow(home, size, dimension)
            with KnowledgeBase(home, load_settings(home=home)) as kb:
                kind = kb.vectors.kind
                _log(f"latency: {chunks} chunks ({kind}), {len(asked)} questions")
                rows = latency.latency_table(kb, asked)
                disk = latency.disk_mb(home, kb.vectors)
            latency_results.append({"chunks": chunks, "kind": kind, "rows": rows,
                                    "disk": disk})  # fmt: skip
            largest = home
        if latency_results:
            sections.append("### Search and ask latency (Python API, one caller)\n\n"
                            + latency_section(latency_results))  # fmt: skip
            print(sections[-1], file=sys.stderr)

        if options.server and "server" in options.steps:
            demo_home = workdir / "demo-kb"
            with KnowledgeBase(demo_home, load_settings(home=demo_home)) as kb:
                kb.ingest([DEMO])
            _log("server: first answer on the demo")
            try:
                first = server.first_answer_seconds(demo_home, DEMO_QUESTION)
                load = None
                if options.clients:
                    _log(f"server: {options.clients} clients for {options.load_seconds:.0f} s")
                    load = server.concurrent_load(largest, asked, options.clients,
                                                  options.load_seconds)  # fmt: skip
                    with KnowledgeBase(largest, load_settings(home=largest)) as kb:
                        load["chunks"] = kb.stats()["chunks"]
                text = server_section(first, load)
            except (RuntimeError, TimeoutError, OSError) as exc:  # the other steps still count
                text = f"Server step failed: {type(exc).__name__}: {exc}"
            sections.append("### Server on loopback\n\n" + text)
            print(sections[-1], file=sys.stderr)

        if options.ann_size and "ann" in options.steps:
            _log(f"ann: {options.ann_size} synthetic vectors")
            result_ann = ann.run(real, query_vectors, options.ann_size)
            sections.append(f"### Approximate index at {options.ann_size} vectors\n\n"
                            + ann_section(result_ann))  # fmt: skip
    finally:
        if own_workdir:
            shutil.rmtree(workdir, ignore_errors=True)
    header.append(f"Load average at the end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
                  f"took {(datetime.now(UTC) - started).total_seconds() / 60:.1f} min")  # fmt: skip
    return "\n".join(f"{line}  " for line in header) + "\n\n" + "\n\n".join(sections)
