"""Identical chunks are embedded once, and an unchanged corpus is not embedded again."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from support import hash_settings

from kenning import KnowledgeBase
from kenning.index.embeddings import HashEmbedder


class CountingEmbedder(HashEmbedder):
    """The real hashing embedder, counting the texts it is given."""

    def __init__(self) -> None:
        super().__init__()
        self.texts: list[str] = []

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        self.texts += texts
        return super().embed_documents(texts)


def test_identical_chunks_are_embedded_once_and_both_stored(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    body = "# Runbook\n\n## Restart\n\nRestart the ledger service, then check the queue depth.\n"
    (folder / "a.md").write_text(body)
    (folder / "b.md").write_text(body)  # same title and text: same embedding text
    (folder / "c.md").write_text("# Other\n\nSomething else entirely about invoices.\n")
    embedder = CountingEmbedder()
    home = tmp_path / "kb"
    with KnowledgeBase(home, hash_settings(home), embedder=embedder) as kb:
        report = kb.ingest([folder])
        assert report.count("added") == 3
        assert len(embedder.texts) == len(set(embedder.texts)) == 2
        hits = kb.search("restart the ledger service", 5)
        assert {Path(h.source).name for h in hits[:2]} == {"a.md", "b.md"}
        assert len(kb.vectors) == kb.stats()["chunks"] == 3

        embedder.texts.clear()
        again = kb.ingest([folder])
        assert again.count("unchanged") == 3 and embedder.texts == []
