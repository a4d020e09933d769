"""The vector cache: SQLite is the source of truth, the saved FAISS index is used only when it
matches the store, and writes made by another process are picked up."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import GOOD, hash_settings

from kenning import KnowledgeBase
from kenning.index import vector_cache
from kenning.index.vectors import load_vector_index


def note(folder: Path, name: str, word: str) -> Path:
    """A small Markdown note whose only distinctive word is `word`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(f"# {name.title()}\n\nThe {word} procedure: restart, then check the {word}.\n")
    return path


def open_kb(home: Path) -> KnowledgeBase:
    return KnowledgeBase(home, hash_settings(home))


def found_by_vectors(kb: KnowledgeBase, query: str, name: str) -> bool:
    """The best hit for the query is the named file and its vector is in the index."""
    found = kb.retrieve(query, k=1)
    return Path(found.hits[0].source).stem == name and found.rowids[0] in found.dense_scores


def test_stale_or_lost_vector_index_is_rebuilt_from_the_store(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    with open_kb(home) as kb:
        kb.ingest([GOOD / "markdown"])
        chunks = kb.stats()["chunks"]
    (home / "vectors.faiss").unlink()  # as if a crash happened before the index was saved
    with open_kb(home) as kb:
        assert len(kb.vectors) == chunks
        assert Path(kb.search("zebrafish", k=1)[0].source).name == "runbook.md"


def test_an_index_saved_at_an_older_generation_is_rebuilt(tmp_path: Path) -> None:
    home, notes, old = tmp_path / "kb", tmp_path / "notes", tmp_path / "old"
    note(notes, "ledger", "ledger")
    with open_kb(home) as kb:
        kb.ingest([notes])
    old.mkdir()
    for name in ("vectors.faiss", "manifest.json"):
        shutil.copy(home / name, old / name)
    note(notes, "ledger", "quorum")  # the same number of chunks, other vectors
    with open_kb(home) as kb:
        assert kb.ingest([notes]).count("updated") == 1
    for name in ("vectors.faiss", "manifest.json"):  # a crash after the write, before the save
        shutil.copy(old / name, home / name)
    with open_kb(home) as kb:
        assert len(kb.vectors) == kb.stats()["chunks"] == 1
        assert found_by_vectors(kb, "quorum procedure", "ledger")


def test_an_index_without_one_vector_per_chunk_is_rebuilt(tmp_path: Path) -> None:
    home, notes, old = tmp_path / "kb", tmp_path / "notes", tmp_path / "old"
    note(notes, "ledger", "ledger")
    with open_kb(home) as kb:
        kb.ingest([notes])
    old.mkdir()
    shutil.copy(home / "vectors.faiss", old / "vectors.faiss")
    note(notes, "quorum", "quorum")
    with open_kb(home) as kb:
        kb.ingest([notes])
    shutil.copy(old / "vectors.faiss", home / "vectors.faiss")  # the current manifest, old file
    assert len(load_vector_index(home / "vectors.faiss", 256)) == 1
    with open_kb(home) as kb:
        assert len(kb.vectors) == 2
        assert found_by_vectors(kb, "quorum procedure", "quorum")


def test_an_unreadable_index_file_is_rebuilt(tmp_path: Path, caplog) -> None:
    home = tmp_path / "kb"
    with open_kb(home) as kb:
        kb.ingest([note(tmp_path / "notes", "ledger", "ledger")])
    (home / "vectors.faiss").write_bytes(b"not a FAISS index")
    with open_kb(home) as kb:
        assert found_by_vectors(kb, "ledger", "ledger")
    assert "rebuilding unreadable vector index" in caplog.text


def test_a_knowledge_base_written_by_another_process_is_seen_once_it_saves(
    tmp_path: Path,
) -> None:
    home, notes = tmp_path / "kb", tmp_path / "notes"
    note(notes, "ledger", "ledger")
    with open_kb(home) as writer:
        writer.ingest([notes])
    reader = open_kb(home)  # a server, say, while the CLI ingests
    assert found_by_vectors(reader, "ledger", "ledger")
    note(notes, "quorum", "quorum")
    with open_kb(home) as writer:
        writer.ingest([notes])
    assert found_by_vectors(reader, "quorum procedure", "quorum")
    assert len(reader.vectors) == 2
    reader.close()


def test_writes_without_a_save_are_picked_up_after_a_quiet_period(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, notes = tmp_path / "kb", tmp_path / "notes"
    note(notes, "ledger", "ledger")
    note(notes, "quorum", "quorum")
    with open_kb(home) as kb:
        kb.ingest([notes])
    reader = open_kb(home)
    assert len(reader.vectors) == 2
    crashed = open_kb(home)  # deletes a document, then dies before saving its index
    (document_id,) = [i for i, s in crashed.store.sources().items() if s.endswith("quorum.md")]
    crashed.store.delete_document(document_id)
    crashed.close()
    hits = reader.search("quorum procedure", k=2)
    assert [Path(h.source).stem for h in hits] == ["ledger"]  # the gone chunk is dropped
    assert len(reader.vectors) == 2  # the other process may still save: keep the old index
    monkeypatch.setattr(vector_cache, "REFRESH_QUIET_SECONDS", 0.0)
    reader.search("quorum procedure", k=2)
    assert len(reader.vectors) == 1  # no save came: rebuilt from the store
    reader.close()


def test_interleaved_writers_both_end_up_in_the_saved_index(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    first, second = open_kb(home), open_kb(home)
    first.ingest([note(tmp_path / "a", "ledger", "ledger")])
    second.ingest([note(tmp_path / "b", "quorum", "quorum")])
    first.ingest([note(tmp_path / "c", "canary", "canary")])  # misses the second's write
    first.close()
    second.close()
    manifest = json.loads((home / "manifest.json").read_text())
    with open_kb(home) as kb:
        assert manifest["vector_generation"] == kb.store.generation
        assert len(load_vector_index(home / "vectors.faiss", 256)) == kb.stats()["chunks"] == 3
        for word in ("ledger", "quorum", "canary"):
            assert found_by_vectors(kb, f"{word} procedure", word)
