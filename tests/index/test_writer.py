"""The document writer: documents are embedded and stored atomically, the vector index follows
the store write by write, and a document that cannot be stored fails alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from kenning.config import load_settings
from kenning.index.embeddings import HashEmbedder
from kenning.index.manifest import Manifest
from kenning.index.store import Store
from kenning.index.vector_cache import VectorCache
from kenning.index.writer import DocumentWriter, embedding_text
from kenning.ingest.pipeline import Prepared
from kenning.schema import Chunk, Document, Person

JANE = Person(id="jane-doe", name="Jane Doe", aliases=("jane@corp.example",))


@dataclass
class Folder:
    """A knowledge base folder opened piece by piece, as `KnowledgeBase` wires it."""

    home: Path
    store: Store
    cache: VectorCache
    writer: DocumentWriter
    embedder: HashEmbedder

    def dense_sources(self, text: str, k: int = 10) -> list[str]:
        """The sources of the chunks whose vectors are nearest to the text's, best first."""
        found = self.cache.vectors.search(self.embedder.embed_query(text), k)
        rows = self.store.hit_rows([rowid for rowid, _ in found])
        return [rows[rowid]["source"] for rowid, _ in found]


def open_folder(home: Path) -> Folder:
    home.mkdir(parents=True, exist_ok=True)
    embedder = HashEmbedder()
    store = Store(home / "kenning.sqlite")
    settings = load_settings(home=home, embedding_model="hash")
    cache = VectorCache(home, store, Manifest(home), settings, "test-chunking", lambda: embedder)
    return Folder(home, store, cache, DocumentWriter(store, cache, lambda: embedder), embedder)


@pytest.fixture
def folder(tmp_path: Path) -> Iterator[Folder]:
    opened = open_folder(tmp_path / "kb")
    opened.writer.begin()
    yield opened
    opened.store.close()


def prepared(name: str, *texts: str, chunk_ids: list[str] | None = None) -> Prepared:
    source = f"/corp/{name}.md"
    document = Document(id=Document.id_for(source), source=source, title=name.title(),
                        kind="document", content_hash=f"hash-{name}")  # fmt: skip
    ids = chunk_ids or [f"{document.id}-{n}" for n in range(len(texts))]
    chunks = [Chunk(id=i, document_id=document.id, ord=n, text=t, location=document.title)
              for n, (i, t) in enumerate(zip(ids, texts, strict=True))]  # fmt: skip
    return Prepared(document, chunks, [JANE])


def test_written_documents_are_stored_with_one_vector_per_chunk(folder: Folder) -> None:
    failures = folder.writer.write(
        [prepared("runbook", "Flush the edge cache.", "Verify the ledger."),
         prepared("faq", "Payroll runs on Fridays.")]  # fmt: skip
    )
    assert failures == [None, None]
    assert len(folder.cache.vectors) == folder.store.count_chunks() == 3
    assert folder.writer.content_hash("/corp/faq.md")[1] == "hash-faq"
    assert [p.id for p in folder.writer.people()] == ["jane-doe"]
    assert folder.dense_sources("Faq\nPayroll runs on Fridays.")[0] == "/corp/faq.md"


def test_a_document_that_cannot_be_stored_fails_alone(folder: Folder) -> None:
    bad = prepared("bad", "one text", "two texts", chunk_ids=["same-id", "same-id"])
    failures = folder.writer.write(
        [prepared("runbook", "Flush the edge cache."), bad, prepared("faq", "Payroll.")]
    )
    assert failures[0] is None and failures[2] is None
    assert failures[1].startswith("could not store: IntegrityError")
    assert set(folder.writer.sources().values()) == {"/corp/runbook.md", "/corp/faq.md"}
    assert len(folder.cache.vectors) == folder.store.count_chunks() == 2


def test_a_new_version_replaces_the_old_chunks_and_vectors(folder: Folder) -> None:
    folder.writer.write([prepared("runbook", "Flush the zebrafish cache.")])
    folder.writer.write([prepared("runbook", "Flush the hippocampus cache.")])
    assert len(folder.cache.vectors) == folder.store.count_chunks() == 1
    assert folder.writer.stats()["documents"] == 1
    assert folder.dense_sources("Runbook\nFlush the zebrafish cache.") == ["/corp/runbook.md"]


def test_delete_removes_vectors_and_saves_for_the_next_process(folder: Folder) -> None:
    folder.writer.write([prepared("runbook", "Flush the cache."), prepared("faq", "Payroll.")])
    folder.writer.finish(changed=True)
    (document_id,) = [i for i, s in folder.writer.sources().items() if s.endswith("faq.md")]
    folder.writer.delete([document_id])
    assert len(folder.cache.vectors) == folder.store.count_chunks() == 1
    manifest = json.loads((folder.home / "manifest.json").read_text())
    assert manifest["vector_generation"] == folder.store.generation
    assert manifest["vectors"] == 1 and manifest["chunking"] == "test-chunking"
    later = open_folder(folder.home)
    assert len(later.cache.vectors) == 1
    later.store.close()


def test_finish_saves_when_documents_changed_or_nothing_was_ever_saved(folder: Folder) -> None:
    saved = folder.home / "manifest.json"
    folder.writer.finish(changed=False)  # a first run that found nothing still saves
    assert json.loads(saved.read_text())["vectors"] == 0
    first = saved.stat().st_mtime_ns
    folder.writer.finish(changed=False)
    assert saved.stat().st_mtime_ns == first
    folder.writer.write([prepared("runbook", "Flush the cache.")])
    folder.writer.finish(changed=True)
    assert json.loads(saved.read_text())["vectors"] == 1


def test_saving_people_keeps_the_saved_index_valid(folder: Folder) -> None:
    folder.writer.write([prepared("runbook", "Flush the cache.")])
    folder.writer.save_people([JANE], listed=[JANE])
    folder.writer.finish(changed=True)
    later = open_folder(folder.home)
    assert json.loads((folder.home / "manifest.json").read_text())["vector_generation"] == (
        later.store.generation
    )
    later.store.close()


def test_embedding_text_puts_title_and_heading_before_the_chunk() -> None:
    document = Document(id="d", source="/x.md", title="Runbook", kind="document")
    plain = Chunk(id="c", document_id="d", ord=0, text="Flush.", location="Runbook")
    assert embedding_text(document, plain) == "Runbook\nFlush."
    headed = Chunk(id="c", document_id="d", ord=0, text="Flush.", location="", heading="Steps")
    assert embedding_text(document, headed) == "Runbook — Steps\nFlush."
