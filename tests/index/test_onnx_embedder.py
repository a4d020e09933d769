"""The ONNX Runtime path: same vectors as torch, no torch at start, safe fallbacks.

Real packaged all-MiniLM-L6-v2, a real export into a temporary cache, real ONNX Runtime.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from support import DEMO

from kenning import KnowledgeBase
from kenning.config import load_settings
from kenning.index.embeddings import (
    SentenceTransformerEmbedder,
    answer_embedder,
    create_embedder,
    packaged_model_path,
)
from kenning.index.onnx_embedder import OnnxEmbedder, OnnxUnavailable, export_folder

pytestmark = pytest.mark.slow

TEXTS = [
    "How do we fail over the payments database?",
    "",
    "Amara: the solver's memory use doubled after the upgrade. " * 60,  # past 256 word pieces
    "Décision : le budget de la télécommande est fixé à 12,50 €.",
    "short",
]


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("model-cache")


@pytest.fixture(scope="module")
def onnx(cache: Path) -> OnnxEmbedder:
    settings = load_settings(model_cache=cache, embedding_backend="onnx")
    embedder = create_embedder(settings)
    assert isinstance(embedder, OnnxEmbedder)
    return embedder


@pytest.fixture(scope="module")
def torch_embedder() -> SentenceTransformerEmbedder:
    embedder = create_embedder(load_settings(embedding_backend="torch"))
    assert isinstance(embedder, SentenceTransformerEmbedder)
    return embedder


def test_onnx_vectors_equal_torch_vectors(onnx, torch_embedder) -> None:
    """Truncation, padding across lengths, empty and non-English text: cosine 1 to torch."""
    expected = torch_embedder.embed_documents(TEXTS)
    got = onnx.embed_documents(TEXTS)
    assert got.shape == (len(TEXTS), 384) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-5)
    assert (expected * got).sum(axis=1).min() > 0.9999
    # Batches of different make-up give the same vector for the same text.
    alone = onnx.embed_documents([TEXTS[2]])
    assert float(alone[0] @ got[2]) > 0.99999
    assert float(onnx.embed_query(TEXTS[0]) @ expected[0]) > 0.9999


def test_export_is_reused_from_the_cache(cache, onnx) -> None:
    folder = export_folder(packaged_model_path(), cache)
    meta = json.loads((folder / "kenning-onnx.json").read_text())
    assert meta["pooling"] == "mean" and meta["max_seq_length"] == 256
    # The graph kept is ONNX Runtime's fused one (attention in one op: ~1.3x faster).
    import onnx

    ops = {node.op_type for node in onnx.load(str(folder / "model.onnx")).graph.node}
    assert "Attention" in ops and not (folder / "plain.onnx").exists()
    assert (folder / "model-int8.onnx").exists()  # for embedding_quantization = int8
    stamp = (folder / "model.onnx").stat().st_mtime_ns
    again = create_embedder(load_settings(model_cache=cache, embedding_backend="onnx"))
    assert isinstance(again, OnnxEmbedder)
    assert (folder / "model.onnx").stat().st_mtime_ns == stamp
    assert not [p for p in folder.parent.iterdir() if ".tmp-" in p.name]


def test_a_damaged_export_is_exported_again(tmp_path: Path) -> None:
    settings = load_settings(model_cache=tmp_path, embedding_backend="onnx")
    first = create_embedder(settings)
    folder = export_folder(packaged_model_path(), tmp_path)
    (folder / "model.onnx").write_bytes(b"not a model")
    second = create_embedder(settings)
    assert isinstance(second, OnnxEmbedder)
    assert float(first.embed_query("failover") @ second.embed_query("failover")) > 0.99999


def test_unusual_pipeline_falls_back_to_torch(tmp_path: Path, torch_embedder) -> None:
    """A model with a Dense layer is not exported: 'auto' uses torch, 'onnx' says why."""
    from sentence_transformers import models

    model = torch_embedder.model
    dense = models.Dense(384, 128)
    custom = type(model)(modules=[model[0], model[1], dense])
    custom.save(str(tmp_path / "dense-model"))
    name = str(tmp_path / "dense-model")
    auto = create_embedder(load_settings(embedding_model=name, model_cache=tmp_path / "c"))
    assert isinstance(auto, SentenceTransformerEmbedder) and auto.dimension == 128
    with pytest.raises(OnnxUnavailable, match="Dense"):
        settings = load_settings(embedding_model=name, model_cache=tmp_path / "c")
        create_embedder(settings.model_copy(update={"embedding_backend": "onnx"}))


def test_a_torch_built_kb_answers_through_onnx_the_same(tmp_path: Path, cache, onnx) -> None:
    home = tmp_path / "kb"
    with KnowledgeBase(home, load_settings(home=home, embedding_backend="torch")) as base:
        assert not base.ingest([DEMO]).failed
        question = "How do we fail over the payments database?"
        by_torch = [(h.document_id, h.location, round(h.score, 4)) for h in base.search(question)]
    settings = load_settings(home=home, embedding_backend="onnx", model_cache=cache)
    with KnowledgeBase(home, settings) as base:
        assert isinstance(base.embedder, OnnxEmbedder)
        by_onnx = [(h.document_id, h.location, round(h.score, 4)) for h in base.search(question)]
    assert by_onnx == by_torch


def test_serving_the_kb_never_imports_torch(tmp_path: Path, cache, onnx) -> None:
    """The API and UI start on ONNX Runtime alone: torch's import is what made start slow."""
    home = tmp_path / "kb"
    with KnowledgeBase(home, load_settings(home=home, model_cache=cache)) as base:
        assert not base.ingest([DEMO / "docs"]).failed
    code = (
        "import sys\n"
        "from kenning.api.app import create_app\n"
        "from kenning.config import load_settings\n"
        f"app = create_app(load_settings(home={str(home)!r}, model_cache={str(cache)!r}))\n"
        "service = app.state.service\n"
        "print(sorted(m for m in ('torch', 'sentence_transformers') if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_int8_is_kept_by_the_knowledge_base_built_with_it(tmp_path: Path, cache, onnx) -> None:
    """An int8 knowledge base answers through int8 when reopened on "auto", and refuses a
    float32 query model by name; its vectors stay close to float32 ones."""
    from kenning.errors import IndexMismatchError

    home = tmp_path / "kb"
    settings = load_settings(home=home, model_cache=cache, embedding_quantization="int8")
    question = "How do we fail over the payments database?"
    with KnowledgeBase(home, settings) as base:
        assert not base.ingest([DEMO / "docs"]).failed
        assert base.embedder.quantization == "int8"
        int8_top = base.search(question)[0].title
        vector = base.embedder.embed_documents(TEXTS)
    assert json.loads((home / "manifest.json").read_text())["embedding_quantization"] == "int8"
    assert (vector * onnx.embed_documents(TEXTS)).sum(axis=1).min() > 0.95
    with KnowledgeBase(home, load_settings(home=home, model_cache=cache)) as base:
        assert base.embedder.quantization == "int8"
        assert base.search(question)[0].title == int8_top
    with pytest.raises(IndexMismatchError, match="KENNING_EMBEDDING_QUANTIZATION=int8"):
        KnowledgeBase(home, load_settings(home=home, embedding_quantization="none"))


def test_a_float32_knowledge_base_stays_float32(tmp_path: Path, cache, onnx) -> None:
    from kenning.errors import IndexMismatchError

    home = tmp_path / "kb"
    with KnowledgeBase(home, load_settings(home=home, model_cache=cache)) as base:
        assert not base.ingest([DEMO / "docs"]).failed
        assert base.embedder.quantization == "none"
    assert json.loads((home / "manifest.json").read_text())["embedding_quantization"] == "none"
    with pytest.raises(IndexMismatchError, match="quantization 'none', not 'int8'"):
        KnowledgeBase(home, load_settings(home=home, embedding_quantization="int8"))


def test_answer_units_go_through_int8_with_the_same_answers(tmp_path: Path, cache, onnx) -> None:
    """Answer units are embedded with the int8 weights (passages stay float32); the demo's
    answers are the same sentences as through float32."""
    units = answer_embedder(onnx, load_settings())
    assert units.quantization == "int8" and units is onnx.int8() and units.name != onnx.name
    assert answer_embedder(onnx, load_settings(answer_quantization="none")) is onnx
    assert (units.embed_documents(TEXTS) * onnx.embed_documents(TEXTS)).sum(axis=1).min() > 0.95
    questions = ["What is the hotel cap per night for a trip to Munich?",
                 "How do we fail over the payments database?"]  # fmt: skip
    home = tmp_path / "kb"
    answers: dict[str, list[str]] = {}
    for quantization in ("int8", "none"):
        settings = load_settings(home=home, model_cache=cache, answer_quantization=quantization)
        with KnowledgeBase(home, settings) as base:
            if not answers:
                assert not base.ingest([DEMO / "docs"]).failed
            assert base.embedder.quantization == "none"
            answers[quantization] = [base.ask(q).answer for q in questions]
    assert answers["int8"] == answers["none"]
    assert "180" in answers["int8"][0] and answers["int8"][1].startswith("1. Declare an incident")


def test_an_unwritable_model_cache_falls_back_to_torch(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the cache folder would go")
    embedder = create_embedder(load_settings(model_cache=blocked))
    assert isinstance(embedder, SentenceTransformerEmbedder)
    with pytest.raises(OnnxUnavailable, match="cannot write the ONNX export"):
        create_embedder(load_settings(model_cache=blocked, embedding_backend="onnx"))
