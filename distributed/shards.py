"""Splitting a knowledge base into shards by document; each shard is an ordinary one.

A shard starts as a consistent copy of the whole SQLite file (SQLite's online backup, so a
server may keep answering from the original) and drops the documents of the other shards
through the store's own deletes. Chunk rowids are kept, so they stay unique across the
shards of one split, which `search.py` relies on to break ties as one knowledge base does.
People are kept whole in every shard (names resolve the same everywhere; what a caller sees
of a person still comes from the documents they may read); question and rating logs stay
with the original.
"""

from __future__ import annotations

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


def shard_folder(out: Path, index: int) -> Path:
    """The folder of shard `index` under `out`."""
    return out / f"shard-{index:02d}"


def split_knowledge_base(
    kb: Path, shards: int, out: Path, settings: Settings, embedder: Embedder | None = None
) -> list[dict[str, int | str]]:
    """Split the knowledge base at `kb` into `shards` knowledge bases under `out` (`embedder`:
    one to use instead of the one the settings name, as for `KnowledgeBase`).

    Returns:
        Per shard: its folder, documents and chunks.

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
    summary: list[dict[str, int | str]] = []
    with KnowledgeBase(kb, settings, embedder) as source:
        owner = {doc_id: shard_of(doc_id, shards) for doc_id in source.store.sources()}
        for index, folder in enumerate(folders):
            folder.mkdir(parents=True, exist_ok=True)
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
                            "chunks": stats["chunks"]})  # fmt: skip
    return summary
