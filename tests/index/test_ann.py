"""The dense index switches to HNSW by size, and stays correct: same top results as exact
search, removed ids never come back, filters hold, and it survives a save and a reload."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
from support import DEMO, hash_settings

from kenning import KnowledgeBase
from kenning.index.faiss_index import AnnOptions, FaissIndex, tombstones_path

DIM = 48


def clustered(n: int, seed: int = 0) -> np.ndarray:
    """Unit vectors around 40 centres: neighbours are meaningful, unlike uniform noise."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(40, DIM))
    vectors = centres[rng.integers(0, 40, n)] + 0.6 * rng.normal(size=(n, DIM))
    return (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture
def pair() -> tuple[FaissIndex, FaissIndex, np.ndarray, np.ndarray]:
    """An exact index and an auto one past its threshold, holding the same 3000 vectors."""
    vectors = clustered(3000)
    ids = np.arange(100, 3100, dtype=np.int64)
    exact = FaissIndex(DIM, AnnOptions(mode="flat"))
    auto = FaissIndex(DIM, AnnOptions(threshold=1000, exact_filter_limit=200))
    for start in range(0, 3000, 600):  # added in batches, as ingest does
        exact.add(ids[start : start + 600], vectors[start : start + 600])
        auto.add(ids[start : start + 600], vectors[start : start + 600])
    return exact, auto, ids, clustered(60, seed=1)


def top_ids(index: FaissIndex, query: np.ndarray, k: int = 10, allowed=None) -> list[int]:
    return [i for i, _ in index.search(query, k, allowed)]


def recall(exact: FaissIndex, approx: FaissIndex, queries: np.ndarray, allowed=None) -> float:
    found = [
        len(set(top_ids(exact, q, 10, allowed)) & set(top_ids(approx, q, 10, allowed))) / 10
        for q in queries
    ]
    return float(np.mean(found))


def test_switches_to_hnsw_at_the_threshold_and_agrees_with_exact(pair) -> None:
    exact, auto, _, queries = pair
    assert exact.kind == "flat" and auto.kind == "hnsw"
    assert len(auto) == len(exact) == 3000
    assert recall(exact, auto, queries) >= 0.95
    for query in queries:
        assert top_ids(auto, query, 1) == top_ids(exact, query, 1)
        # Scores are exact inner products, not approximations.
        (best, score), = auto.search(query, 1)
        assert score == pytest.approx(float(exact.search(query, 1)[0][1]), abs=1e-5)


def test_small_index_stays_exact() -> None:
    index = FaissIndex(DIM, AnnOptions(threshold=1000))
    index.add(np.arange(999), clustered(999))
    assert index.kind == "flat"
    index.add(np.array([5000]), clustered(1, seed=3))
    assert index.kind == "hnsw" and len(index) == 1000


def test_removed_ids_never_come_back(pair) -> None:
    exact, auto, ids, queries = pair
    gone = ids[:250]
    exact.remove(gone)
    auto.remove(gone)
    assert auto.kind == "hnsw" and len(auto) == 2750
    for query in queries:
        assert not set(top_ids(auto, query, 20)) & set(gone.tolist())
        # even when the filter asks for them
        assert not set(top_ids(auto, query, 5, ids[200:400])) & set(gone.tolist())
    assert recall(exact, auto, queries) >= 0.95
    # the same vectors again, under a removed id, replace the old ones cleanly
    auto.add(gone[:1], queries[:1])
    assert top_ids(auto, queries[0], 1) == [int(gone[0])]


def test_many_removals_compact_the_graph_and_shrink_back_to_exact(pair) -> None:
    exact, auto, ids, queries = pair
    auto.remove(ids[:500])  # 17%: tombstones only
    assert auto.kind == "hnsw" and auto.index.ntotal == 3000
    auto.remove(ids[500:1000])  # past 20%: rebuilt without them
    assert auto.kind == "hnsw" and auto.index.ntotal == 2000 == len(auto)
    auto.remove(ids[1000:2600])  # 400 left, under half the threshold: exact again
    exact.remove(ids[:2600])
    assert auto.kind == "flat" and len(auto) == 400
    assert recall(exact, auto, queries) == 1.0


@pytest.mark.parametrize("size", [50, 150, 1500])  # exact scan of the allowed, and the graph
def test_filters_are_honoured(pair, size: int) -> None:
    exact, auto, ids, queries = pair
    allowed = np.random.default_rng(size).choice(ids, size, replace=False)
    for query in queries:
        found = top_ids(auto, query, 10, allowed)
        assert set(found) <= set(allowed.tolist())
        assert len(found) == 10
    assert recall(exact, auto, queries, allowed) >= 0.95


def test_saved_and_reloaded_with_tombstones(pair, tmp_path: Path) -> None:
    _, auto, ids, queries = pair
    auto.remove(ids[:100])
    path = tmp_path / "vectors.faiss"
    auto.save(path)
    assert tombstones_path(path).exists()
    loaded = FaissIndex.load(path, DIM, AnnOptions(threshold=1000))
    assert loaded.kind == "hnsw" and len(loaded) == 2900
    for query in queries[:20]:
        assert loaded.search(query, 10) == auto.search(query, 10)
        assert not set(top_ids(loaded, query, 20)) & set(ids[:100].tolist())
    # compacted: the tombstone file goes
    loaded.remove(ids[100:800])
    loaded.save(path)
    assert not tombstones_path(path).exists()
    assert len(FaissIndex.load(path, DIM)) == 2200


def test_knowledge_base_switches_by_size_and_stays_correct(tmp_path: Path) -> None:
    corpus = tmp_path / "demo"
    shutil.copytree(DEMO, corpus)
    flat_kb = KnowledgeBase(tmp_path / "flat", hash_settings(tmp_path / "flat",
                                                             vector_index="flat"))  # fmt: skip
    ann_home = tmp_path / "ann"
    ann_kb = KnowledgeBase(ann_home, hash_settings(ann_home, ann_threshold=20))
    for base in (flat_kb, ann_kb):
        assert not base.ingest([corpus]).failed
    assert flat_kb.vectors.kind == "flat" and ann_kb.vectors.kind == "hnsw"
    assert len(ann_kb.vectors) == ann_kb.stats()["chunks"] > 20
    questions = ["How do we fail over the payments database?", "solver memory use",
                 "Kafka consumer offsets", "customers charged twice"]  # fmt: skip
    for question in questions:
        assert [h.text for h in ann_kb.search(question, 5)] == [
            h.text for h in flat_kb.search(question, 5)
        ]
        hits = ann_kb.search(question, 5, filters={"kind": ["transcript"]})
        assert hits and all(h.kind == "transcript" for h in hits)

    runbook = next(h for h in ann_kb.search("payments database failover runbook", 10))
    assert ann_kb.delete(runbook.document_id)
    ann_kb.close()

    reopened = KnowledgeBase(ann_home, hash_settings(ann_home, ann_threshold=20))
    assert reopened.vectors.kind == "hnsw"
    assert len(reopened.vectors) == reopened.stats()["chunks"]
    for question in questions:
        assert runbook.document_id not in {
            h.document_id for h in reopened.search(question, 10)
        }
    reopened.close()
    flat_kb.close()


def test_remembered_filters_follow_the_store(good_kb, tmp_path: Path) -> None:
    kb, _ = good_kb
    filters = {"kind": ["transcript"]}
    first = kb.search("wombat batch job", 5, filters)
    assert first and all(h.kind == "transcript" for h in first)
    assert kb.search("wombat batch job", 5, filters) == first  # remembered, same answer
    # a new transcript is found at once under the same filter
    (tmp_path / "new.vtt").write_text(
        "WEBVTT\n\n00:00:01.000 --> 00:00:05.000\n<v Ann Lee>The narwhal rollout is done.\n"
    )
    kb.ingest([tmp_path / "new.vtt"])
    hits = kb.search("narwhal rollout", 3, filters)
    assert hits and hits[0].source.endswith("new.vtt")
    kb.delete(hits[0].document_id)
    assert all(not h.source.endswith("new.vtt") for h in kb.search("narwhal", 3, filters))
