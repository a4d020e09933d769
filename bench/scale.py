"""Grow a real knowledge base to N chunks for latency measurements.

The copies are real rows (documents, chunks, FTS5 entries, embeddings) written through the
store: each copied document keeps its kind, team and text, so BM25 posting lists and filter
selectivity grow as they would with more documents of the same organisation. Each copy's
vectors are its original's plus Gaussian noise, renormalised (cosine about 0.9 to the
original), so dense search does not see exact duplicates.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from kenning.index.store import Store
from kenning.schema import Chunk, Document

NOISE = 0.02  # per dimension; at 384 dimensions the copy keeps cosine ~0.9 to its original
SYNTHETIC_PREFIX = "synthetic://copy-"


def perturb(vectors: np.ndarray, rng: np.random.Generator, noise: float = NOISE) -> np.ndarray:
    """Real vectors moved by Gaussian noise and renormalised."""
    moved = vectors + rng.normal(scale=noise, size=vectors.shape).astype(np.float32)
    return (moved / np.linalg.norm(moved, axis=1, keepdims=True)).astype(np.float32)


def grow(home: Path, target_chunks: int, dimension: int, seed: int = 0) -> int:
    """Add synthetic copies of the stored documents until the store holds `target_chunks`.

    Returns:
        The number of chunks stored afterwards.
    """
    store = Store(home / "kenning.sqlite")
    try:
        if store.count_chunks() >= target_chunks:
            return store.count_chunks()
        rowids, vectors = store.all_embeddings(dimension)
        originals = [r for r in rowids.tolist()]
        rows: dict[int, dict] = {}
        for start in range(0, len(originals), 500):
            rows.update(store.hit_rows(originals[start : start + 500]))
        by_document: dict[str, list[tuple[dict, np.ndarray]]] = defaultdict(list)
        for rowid, vector in zip(originals, vectors, strict=True):
            row = rows[rowid]
            if not row["source"].startswith(SYNTHETIC_PREFIX):
                by_document[row["document_id"]].append((row, vector))
        documents = {d: store.document(d) for d in by_document}
        count = store.count_chunks()
        rng = np.random.default_rng(seed + count)
        batch = f"{count}-"  # copies of an earlier grow keep their sources: never replaced
        copy = 0
        while count < target_chunks:
            copy += 1
            for document_id, items in by_document.items():
                if count >= target_chunks:
                    break
                meta = documents[document_id] or {}
                source = f"{SYNTHETIC_PREFIX}{batch}{copy}/{meta.get('source', document_id)}"
                new_id = Document.id_for(source)
                document = Document(
                    id=new_id, source=source, title=meta.get("title", ""),
                    kind=meta.get("kind", "document"), created=meta.get("created"),
                    updated=meta.get("updated"), tags=tuple(meta.get("tags", ())),
                    team=meta.get("team"), groups=tuple(meta.get("groups", ())),
                    content_hash=f"synthetic-{copy}",
                )  # fmt: skip
                chunks = [
                    Chunk(
                        id=f"{new_id}:{n}", document_id=new_id, ord=n, text=row["text"],
                        location=row["location"], heading=row["heading"], page=row["page"],
                        start=row["start"], end=row["end"], speakers=tuple(row["speakers"]),
                    )  # fmt: skip
                    for n, (row, _) in enumerate(items)
                ]
                moved = perturb(np.stack([v for _, v in items]), rng)
                store.replace_document(document, chunks, moved, [])
                count += len(chunks)
        return store.count_chunks()
    finally:
        store.close()
