"""The manifest: a knowledge base refuses another embedding model or quantisation, and says
which store generation its saved vectors hold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import GOOD, hash_settings

from kenning import KnowledgeBase
from kenning.errors import IndexMismatchError, KenningError
from kenning.index.embeddings import HashEmbedder
from kenning.index.manifest import MANIFEST_FILE, Manifest


def test_model_mismatch_is_refused(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    with KnowledgeBase(home, hash_settings(home)) as kb:
        kb.ingest([GOOD / "markdown"])
    manifest = json.loads((home / "manifest.json").read_text())
    assert manifest["embedding_model"] == "hash" and manifest["vectors"] > 0
    manifest["embedding_model"] = "some-other-model"
    (home / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(IndexMismatchError, match="built with embedding model 'some-other-model'"):
        KnowledgeBase(home, hash_settings(home))


def test_a_new_folder_takes_any_model_and_float32_by_default(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path)
    assert not manifest
    manifest.check_model("anything")
    assert manifest.quantization("auto") == "none"
    assert manifest.quantization("int8") == "int8"
    assert manifest.saved_generation() is None


def test_quantization_follows_the_knowledge_base_and_refuses_another(tmp_path: Path) -> None:
    (tmp_path / MANIFEST_FILE).write_text(
        json.dumps({"embedding_model": "m", "embedding_quantization": "int8"})
    )
    manifest = Manifest(tmp_path)
    assert manifest.quantization("auto") == "int8"
    assert manifest.quantization("int8") == "int8"
    with pytest.raises(IndexMismatchError, match="quantization 'int8', not 'none'"):
        manifest.quantization("none")
    with pytest.raises(IndexMismatchError, match="KENNING_EMBEDDING_QUANTIZATION=int8"):
        manifest.quantization("auto", HashEmbedder())  # an explicit embedder's own wins


def test_write_replaces_the_file_and_saved_generation_reads_it_now(tmp_path: Path) -> None:
    reader, writer = Manifest(tmp_path), Manifest(tmp_path)  # as in two processes
    writer.write({"embedding_model": "hash", "vector_generation": 7})
    assert reader.saved_generation() == 7
    assert not reader  # what it read when it opened: nothing yet
    assert Manifest(tmp_path).fields["vector_generation"] == 7
    assert [p.name for p in tmp_path.iterdir()] == [MANIFEST_FILE]  # no temporary file left


def test_an_unreadable_manifest_is_an_error_naming_it(tmp_path: Path) -> None:
    manifest = Manifest(tmp_path)
    (tmp_path / MANIFEST_FILE).write_text("{not json")
    with pytest.raises(KenningError, match=f"{MANIFEST_FILE}: unreadable manifest"):
        Manifest(tmp_path)
    assert manifest.saved_generation() is None  # a reader does not fail: it rebuilds instead
