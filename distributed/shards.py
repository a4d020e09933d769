"""Splitting a knowledge base into shards by document; each shard is an ordinary one.

A shard starts as a consistent copy of the whole SQLite file (SQLite's online backup, so a
server may keep answering from the original) and drops the documents of the other shards
through the store's own deletes. Chunk rowids are kept, so they stay unique across the
shards of one split, which `search.py` relies on to break ties as one knowledge base does.
People are kept whole in every shard (names resolve the same everywhere; what a caller sees
of a person still comes from the documents they may read); question and rating logs stay
with the original.

Given the previous split of the same knowledge base (a publish's current snapshot), a shard
whose documents, chunks, evidence and people are all as they were there is copied from it
instead: it needs no deletes, no vector index rebuilt and no VACUUM, so a publish after a small
ingest rewrites only the shards the changed documents fall in.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
from pathlib import Path

from kenning.config import Settings
from kenning.distributed.search import SHARD_META
from kenning.distributed.shard_reads import shard_of
from kenning.errors import KenningError
from kenning.index.embeddings import Embedder
from kenning.index.manifest import MANIFEST_FILE
from kenning.kb import DB_FILE, KnowledgeBase

__all__ = ["shard_folder", "shard_of", "split_knowledge_base"]
CLEAR_LOGS = ("DELETE FROM questions", "DELETE FROM feedback")
# What a shard holds of its documents (and of everyone): equal fingerprints, equal shards.
FINGERPRINT_READS = (
    "SELECT * FROM documents WHERE id IN ({ids}) ORDER BY id",
    "SELECT rowid, id, document_id FROM chunks WHERE document_id IN ({ids}) ORDER BY rowid",
    "SELECT * FROM evidence WHERE document_id IN ({ids}) ORDER BY document_id, person_id, role, "
    "detail, mention, weight",
    "SELECT * FROM people ORDER BY id",
)


def shard_folder(out: Path, index: int) -> Path:
    """The folder of shard `index` under `out`."""
    return out / f"shard-{index:02d}"


def split_knowledge_base(
    kb: Path, shards: int, out: Path, settings: Settings, embedder: Embedder | None = None,
    previous: Path | None = None,
) -> list[dict[str, int | str | bool]]:
    """Split the knowledge base at `kb` into `shards` knowledge bases under `out` (`embedder`:
    one to use instead of the one the settings name, as for `KnowledgeBase`), copying from
    `previous` (an earlier split of it into as many shards) each shard that has not changed.

    Returns:
        Per shard: its folder, documents, chunks and whether it was copied from `previous`.

    Raises:
        KenningError: fewer than one shard, `out` holds a shard already, or `kb` is no
            knowledge base.
    """
    if shards < 1:
        raise KenningError("--shards must be at least 1")
    if not (kb / DB_FILE).is_file():
        raise KenningError(f"no knowledge base at {kb}")
    folders = [shard_folder(out, i) for i in range(shards)]
    taken = [str(f) for f in folders if f.exists() and any(f.iterdir())]
    if taken:
        raise KenningError(f"not empty, remove it first: {', '.join(taken)}")
    summary: list[dict[str, int | str | bool]] = []
    with KnowledgeBase(kb, settings, embedder) as source:
        owner = {doc_id: shard_of(doc_id, shards) for doc_id in source.store.sources()}
        for index, folder in enumerate(folders):
            folder.mkdir(parents=True, exist_ok=True)
            owned = sorted(doc for doc, at in owner.items() if at == index)
            before = shard_folder(previous, index) if previous is not None else None
            if before is not None and _unchanged(source, kb, before, owned):
                summary.append(_copy_shard(before, folder, settings, embedder))
                continue
            copy = sqlite3.connect(str(folder / DB_FILE))
            with source.store._lock:
                source.store.conn.backup(copy)
            copy.close()
            if (kb / MANIFEST_FILE).is_file():  # the model and dimension the shard holds
                shutil.copyfile(kb / MANIFEST_FILE, folder / MANIFEST_FILE)
            with KnowledgeBase(folder, settings, embedder) as shard:
                for doc_id, at in owner.items():
                    if at != index:
                        shard.store.delete_document(doc_id)
                with shard.store.log_write() as conn:
                    for statement in CLEAR_LOGS:
                        conn.execute(statement)
                shard.store.set_meta(SHARD_META, f"{index}/{shards}")
                shard.cache.save()  # the vector index rebuilt from the shard's own chunks
                stats = shard.stats()
                shard.store.conn.execute("VACUUM")
            summary.append({"folder": str(folder), "documents": stats["documents"],
                            "chunks": stats["chunks"], "copied": False})  # fmt: skip
    return summary


def _fingerprint(conn: sqlite3.Connection, owned: list[str]) -> str:
    """A hash of what a shard owning these documents holds (`FINGERPRINT_READS`)."""
    digest = hashlib.sha256()
    conn.execute("CREATE TEMP TABLE IF NOT EXISTS kenning_owned (id TEXT PRIMARY KEY)")
    conn.execute("DELETE FROM kenning_owned")
    conn.executemany("INSERT INTO kenning_owned VALUES (?)", [(d,) for d in owned])
    for read in FINGERPRINT_READS:
        for row in conn.execute(read.format(ids="SELECT id FROM kenning_owned")):
            digest.update(repr(row).encode("utf-8"))
    conn.execute("DELETE FROM kenning_owned")
    return digest.hexdigest()


def _unchanged(source: KnowledgeBase, kb: Path, before: Path, owned: list[str]) -> bool:
    """Whether the shard at `before` holds exactly what a new split would put in it."""
    if not (before / DB_FILE).is_file() or not (kb / MANIFEST_FILE).is_file():
        return False
    if not (before / MANIFEST_FILE).is_file() or _model(before) != _model(kb):
        return False
    with source.store._lock:
        wanted = _fingerprint(source.store.conn, owned)
    old = sqlite3.connect(f"file:{before / DB_FILE}?mode=ro", uri=True)
    try:
        held = [r[0] for r in old.execute("SELECT id FROM documents ORDER BY id")]
        return held == owned and _fingerprint(old, owned) == wanted
    except sqlite3.Error:  # a damaged or older shard: split it again
        return False
    finally:
        old.close()


def _model(folder: Path) -> dict[str, object]:
    """What a knowledge base's manifest says of its model and chunking (not of its index)."""
    fields = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
    return {k: v for k, v in fields.items() if k not in ("vector_generation", "vectors")}


def _copy_shard(before: Path, folder: Path, settings: Settings,
                embedder: Embedder | None) -> dict[str, int | str | bool]:  # fmt: skip
    """The shard at `before` copied to `folder` (its vector index with it), logs cleared."""
    old = sqlite3.connect(f"file:{before / DB_FILE}?mode=ro", uri=True)
    copy = sqlite3.connect(str(folder / DB_FILE))
    try:
        old.backup(copy)
    finally:
        old.close()
        copy.close()
    for name in (MANIFEST_FILE, *(p.name for p in before.glob("vectors.faiss*"))):
        shutil.copyfile(before / name, folder / name)
    with KnowledgeBase(folder, settings, embedder) as shard:
        with shard.store.log_write() as conn:
            for statement in CLEAR_LOGS:
                conn.execute(statement)
        stats = shard.stats()
    return {"folder": str(folder), "documents": stats["documents"], "chunks": stats["chunks"],
            "copied": True}  # fmt: skip
