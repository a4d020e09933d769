"""Ingestion throughput: Kenning against the common LangChain pipeline on the same files.

Each pipeline runs in its own fresh process (spawned), so its peak memory is its own and no
cache of one helps the other; the embedding model is loaded before the clock starts in both.
"""

from __future__ import annotations

import multiprocessing
import resource
import time
from pathlib import Path
from typing import Any

LANGCHAIN_CHUNK = 1000
LANGCHAIN_OVERLAP = 200
LANGCHAIN_BATCH = 32  # HuggingFaceEmbeddings' default encode batch


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def kenning_child(files: list[str], home: str) -> dict[str, Any]:
    """Ingest into a new knowledge base, then again unchanged; runs in a child process."""
    from kenning import KnowledgeBase, load_settings

    kb = KnowledgeBase(home, load_settings(home=home))
    kb.embedder.embed_query("warm up")  # loading the model is not ingesting
    started = time.perf_counter()
    report = kb.ingest(files)
    first = time.perf_counter() - started
    peak = _peak_rss_mb()
    started = time.perf_counter()
    again = kb.ingest(files)
    second = time.perf_counter() - started
    stats = kb.stats()
    kb.close()
    return {
        "seconds": first, "reingest_seconds": second, "peak_rss_mb": peak,
        "chunks": stats["chunks"], "documents": stats["documents"],
        "failed": len(report.failed), "unchanged": again.count("unchanged"),
    }  # fmt: skip


def langchain_child(files: list[str], folder: str) -> dict[str, Any]:
    """RecursiveCharacterTextSplitter(1000, 200) + the same model + FAISS, as LangChain's
    TextLoader/PDFMinerLoader, HuggingFaceEmbeddings and FAISS.from_documents do it."""
    import faiss
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from kenning.index.embeddings import SentenceTransformerEmbedder

    model = SentenceTransformerEmbedder().model  # the packaged all-MiniLM-L6-v2
    model.encode(["warm up"])
    started = time.perf_counter()
    documents = []
    for name in files:
        path = Path(name)
        if path.suffix.lower() == ".pdf":
            from pdfminer.high_level import extract_text

            text = extract_text(str(path))
        else:
            text = path.read_text(encoding="utf-8", errors="replace")
        documents.append(Document(page_content=text, metadata={"source": name}))
    splitter = RecursiveCharacterTextSplitter(
        chunk_size=LANGCHAIN_CHUNK, chunk_overlap=LANGCHAIN_OVERLAP
    )
    chunks = splitter.split_documents(documents)
    vectors = model.encode(
        [c.page_content for c in chunks], batch_size=LANGCHAIN_BATCH,
        normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False,
    )  # fmt: skip
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    faiss.write_index(index, str(Path(folder) / "index.faiss"))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), "chunks": len(chunks),
            "documents": len(documents)}  # fmt: skip


def run_in_child(function: Any, *args: Any) -> dict[str, Any]:
    """Run `function(*args)` in a fresh spawned process and return its result."""
    context = multiprocessing.get_context("spawn")
    with context.Pool(1) as pool:
        return pool.apply(function, args)


def compare(files: list[Path], workdir: Path) -> dict[str, dict[str, Any]]:
    """Both pipelines on the same files: seconds, chunks, peak memory, re-ingest."""
    names = [str(p) for p in files]
    home = workdir / "kb"
    langchain_folder = workdir / "langchain"
    langchain_folder.mkdir(parents=True, exist_ok=True)
    kenning = run_in_child(kenning_child, names, str(home))
    langchain = run_in_child(langchain_child, names, str(langchain_folder))
    return {"kenning": kenning, "langchain": langchain}
