"""The store (index/store.py): atomic writes, the generation, what retrieval reads."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from kenning import KnowledgeBase
from kenning.index.embeddings import HashEmbedder
from kenning.index.store import Store
from kenning.schema import Chunk, Document, Filters, Person


def vectors(n: int, dimension: int = 256) -> np.ndarray:
    return np.ones((n, dimension), dtype=np.float32)


def test_every_write_bumps_the_generation(tmp_path: Path, people) -> None:
    store = Store(tmp_path / "kenning.sqlite")
    assert store.generation == 0
    doc = Document(id="notes", source="/notes.md", title="Notes", kind="document")
    chunks = [Chunk(id=f"n{n}", document_id="notes", ord=n, text=t, location="Notes")
              for n, t in enumerate(["one", "two"])]  # fmt: skip
    store.replace_document(doc, chunks, vectors(2), [])
    assert store.generation == store.last_write_generation == 1
    store.save_people([people["jane"]])
    store.delete_document("notes")
    assert store.generation == store.last_write_generation == 3
    store.close()
    assert Store(tmp_path / "kenning.sqlite").generation == 3  # kept on disk


def test_replacing_a_source_removes_its_earlier_chunks(store: Store, documents, people) -> None:
    before = store.filtered_rowids(Filters()).tolist()
    doc, chunks = documents[0]
    old = [r for r, row in store.hit_rows(before).items() if row["document_id"] == doc.id]
    moved = replace(doc, id="runbook-v2", title="Runbook v2")  # same source, new id
    new_chunks = [replace(c, id=f"v2-{c.ord}", document_id=moved.id) for c in chunks[1:]]
    removed, added = store.replace_document(moved, new_chunks, vectors(1), [people["jane"]])
    assert sorted(removed) == sorted(old) and len(added) == 1 and added[0] > max(before)
    assert store.document("runbook") is None and store.document("runbook-v2") is not None
    assert store.content_hash("/corp/runbook.md") == ("runbook-v2", "hash-runbook")
    assert store.sources()["runbook-v2"] == "/corp/runbook.md" and len(store.sources()) == 4
    assert store.lexical_search("cachectl", 5, Filters()) == []  # the old text left FTS too
    assert [r for r, _ in store.lexical_search("hit ratio", 5, Filters())] == added


def test_a_failed_write_leaves_the_last_good_state(store: Store, documents) -> None:
    """A write that fails half-way (here: one vector short) changes nothing, generation
    included, so the vector index on disk still matches."""
    generation = store.generation
    stats = store.stats()
    doc, chunks = documents[0]
    broken = replace(doc, title="Half written")
    with pytest.raises(ValueError):
        store.replace_document(broken, chunks, vectors(1), [Person(id="p-new", name="New")])
    assert store.generation == generation and store.stats() == stats
    assert store.document("runbook")["title"] == "Runbook"
    assert store.person("p-new") is None


def test_deleting_a_document_removes_its_chunks_and_evidence(store: Store) -> None:
    rowids = store.delete_document("payroll")
    assert len(rowids) == 1
    assert store.hit_rows(rowids) == {}
    assert store.evidence_of(["payroll"]) == []
    assert store.lexical_search("payroll", 5, Filters()) == []
    assert store.delete_document("payroll") == []


def test_people_directory_aliases_accumulate(store: Store, people) -> None:
    bob = people["bob"]
    store.save_people([bob], listed=[replace(bob, aliases=("Bobby",))])
    store.save_people([bob], listed=[replace(bob, aliases=("B. Stone",))])
    known = store.known_names(Filters(groups=()))
    assert known is not None
    assert known["p-bob"] == {"bob stone", "bobby", "b. stone"}
    assert store.person("p-bob") == bob  # aliases learnt from documents are kept


def test_hit_rows_carry_chunk_and_document_fields(store: Store) -> None:
    rowid = store.lexical_search("pelican", 1, Filters())[0][0]
    assert store.hit_rows([rowid]) == {
        rowid: {"rowid": rowid, "chunk_id": "sync-0", "document_id": "sync",
                "text": "Jane: the pelican balancer needs certificates.", "location": "Sync",
                "heading": "", "page": None, "start": None, "end": None, "speakers": ["Jane"],
                "lang": "", "title": "Sync", "source": "/corp/sync.md", "kind": "transcript"}
    }  # fmt: skip
    assert store.hit_rows([]) == {}


def test_embeddings_come_back_as_written(store: Store, documents) -> None:
    doc, chunks = documents[3]
    expected = HashEmbedder().embed_documents([c.text for c in chunks])
    generation, ids, stored = store.embeddings_snapshot(256)
    assert generation == store.generation and len(ids) == len(stored) == 6
    rows = store.hit_rows(ids.tolist())
    (rowid,) = [r for r, row in rows.items() if row["document_id"] == doc.id]
    assert np.array_equal(stored[ids.tolist().index(rowid)], expected[0])
    all_ids, all_vectors = store.all_embeddings(256)
    assert np.array_equal(all_ids, ids) and np.array_equal(all_vectors, stored)
    assert Store(store.path.parent / "empty.sqlite").all_embeddings(8)[1].shape == (0, 8)


def test_meta_values(store: Store) -> None:
    assert store.get_meta("missing") is None
    store.set_meta("model", "hash")
    store.set_meta("model", "minilm")
    assert store.get_meta("model") == "minilm"


def test_a_write_refreshes_the_cached_rowids(kb: KnowledgeBase, tmp_path: Path) -> None:
    """The rowids a group filter allows are cached, and a write makes the cache forget them."""
    (tmp_path / "a.md").write_text("# A\n\nPublic text.\n", encoding="utf-8")
    kb.ingest([tmp_path / "a.md"])
    public = Filters(groups=())
    before = kb.store.filtered_rowids(public)
    assert kb.store.filtered_rowids(public) is before  # served from the cache
    (tmp_path / "b.md").write_text("# B\n\nMore public text.\n", encoding="utf-8")
    (tmp_path / "c.md").write_text("---\ngroups: [hr]\n---\n# C\n\nHR text.\n", encoding="utf-8")
    kb.ingest([tmp_path / "b.md", tmp_path / "c.md"])
    after = kb.store.filtered_rowids(public)
    assert len(after) == len(before) + 1  # b, not c
    assert len(kb.store.filtered_rowids(Filters(groups=("hr",)))) == len(before) + 2
    document = kb.search("HR text", k=1)[0].document_id
    kb.delete(document)
    assert len(kb.store.filtered_rowids(Filters(groups=("hr",)))) == len(before) + 1


def test_filtered_rowids_with_an_extra_condition(store: Store) -> None:
    from kenning.index.filters import PERSON_CHUNKS

    bob = store.filtered_rowids(Filters(), PERSON_CHUNKS, ["p-bob", "p-bob"])
    rows = store.hit_rows(bob.tolist())
    # Bob owns payroll and speaks in the second chunk of the sync, not in the first.
    assert sorted(row["chunk_id"] for row in rows.values()) == ["payroll-0", "sync-1"]
    public = store.filtered_rowids(Filters(groups=()), PERSON_CHUNKS, ["p-bob", "p-bob"])
    assert public.tolist() == []
