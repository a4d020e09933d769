"""The dense index switches to IVF by size, and stays correct: same top results as exact
search, removed ids never come back, filters hold, and it survives a save and a reload."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import faiss
import numpy as np
import pytest
from support import DEMO, hash_settings

from kenning import KnowledgeBase
from kenning.index.faiss_index import BITMAP_IDS, AnnOptions, FaissIndex, tombstones_path

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


def test_switches_to_ivf_at_the_threshold_and_agrees_with_exact(pair) -> None:
    exact, auto, _, queries = pair
    assert exact.kind == "flat" and auto.kind == "ivf"
    assert len(auto) == len(exact) == 3000
    assert recall(exact, auto, queries) >= 0.95
    for query in queries:
        assert top_ids(auto, query, 1) == top_ids(exact, query, 1)
        # Scores are exact inner products, not approximations.
        (best, score), = auto.search(query, 1)
        assert score == pytest.approx(float(exact.search(query, 1)[0][1]), abs=1e-5)


def test_fewer_probes_lose_recall_and_all_probes_are_exact(pair) -> None:
    """nprobe is what trades recall: the index is really approximate, and really IVF."""
    exact, auto, _, queries = pair
    assert auto.nlist == AnnOptions().nlist_for(1200)  # trained when the second batch switched it
    one = FaissIndex(DIM, replace(auto.options, nprobe=1), auto.index)
    every = FaissIndex(DIM, replace(auto.options, nprobe=auto.nlist), auto.index)
    assert recall(exact, one, queries) < recall(exact, auto, queries)
    for query in queries:
        assert top_ids(every, query) == top_ids(exact, query)


def test_small_index_stays_exact() -> None:
    index = FaissIndex(DIM, AnnOptions(threshold=1000))
    index.add(np.arange(999), clustered(999))
    assert index.kind == "flat" and index.nlist == 0
    index.add(np.array([5000]), clustered(1, seed=3))
    assert index.kind == "ivf" and len(index) == 1000


def test_cells_are_trained_again_when_the_index_has_grown_fourfold() -> None:
    options = AnnOptions(threshold=1000)
    index = FaissIndex(DIM, options)
    vectors = clustered(9000, seed=4)
    index.add(np.arange(1000), vectors[:1000])
    first = index.nlist
    assert index.kind == "ivf" and first == options.nlist_for(1000)
    index.add(np.arange(1000, 3900), vectors[1000:3900])  # 3.9x: the same cells
    assert index.nlist == first
    index.add(np.arange(3900, 9000), vectors[3900:])  # past 4x: trained again on all of them
    assert index.nlist == options.nlist_for(9000) >= 2 * first
    assert len(index) == 9000 and sorted(index._live()[0].tolist()) == list(range(9000))
    exact = FaissIndex(DIM, AnnOptions(mode="flat"))
    exact.add(np.arange(9000), vectors)
    assert recall(exact, index, clustered(60, seed=5)) >= 0.95


def test_removed_ids_never_come_back(pair) -> None:
    exact, auto, ids, queries = pair
    gone = ids[:250]
    exact.remove(gone)
    auto.remove(gone)
    assert auto.kind == "ivf" and len(auto) == 2750
    for query in queries:
        assert not set(top_ids(auto, query, 20)) & set(gone.tolist())
        # even when the filter asks for them
        assert not set(top_ids(auto, query, 5, ids[200:400])) & set(gone.tolist())
    assert recall(exact, auto, queries) >= 0.95
    # the same vectors again, under a removed id, are found under it once
    auto.add(gone[:1], queries[:1])
    assert top_ids(auto, queries[0], 1) == [int(gone[0])]
    assert len(auto) == 2751


def test_many_removals_shrink_back_to_exact(pair) -> None:
    exact, auto, ids, queries = pair
    auto.remove(ids[:2000])  # 1000 left: still IVF, its cells emptier
    assert auto.kind == "ivf" and len(auto) == 1000
    auto.remove(ids[2000:2600])  # 400 left, under half the threshold: exact again
    exact.remove(ids[:2600])
    assert auto.kind == "flat" and len(auto) == 400
    assert recall(exact, auto, queries) == 1.0


@pytest.mark.parametrize("size", [50, 150, 1500])  # every cell (exact), and nprobe / share
def test_filters_are_honoured(pair, size: int) -> None:
    exact, auto, ids, queries = pair
    allowed = np.random.default_rng(size).choice(ids, size, replace=False)
    for query in queries:
        found = top_ids(auto, query, 10, allowed)
        assert set(found) <= set(allowed.tolist())
        assert len(found) == 10
        if size <= auto.options.exact_filter_limit:
            assert found == top_ids(exact, query, 10, allowed)
    assert recall(exact, auto, queries, allowed) >= 0.95


@pytest.mark.parametrize("threshold", [10_000, 1000])  # flat, then IVF
def test_filters_over_ids_too_large_for_a_bitmap(threshold: int) -> None:
    index = FaissIndex(DIM, AnnOptions(threshold=threshold, exact_filter_limit=100))
    ids = np.arange(3000, dtype=np.int64) + BITMAP_IDS - 1000  # both sides of the limit
    index.add(ids, clustered(3000))
    for allowed in (ids[::40], ids[::2]):  # exact scan, and probes
        for query in clustered(10, seed=2):
            found = top_ids(index, query, 10, allowed)
            assert len(found) == 10 and set(found) <= set(allowed.tolist())


def test_saved_and_reloaded(pair, tmp_path: Path) -> None:
    _, auto, ids, queries = pair
    auto.remove(ids[:100])
    path = tmp_path / "vectors.faiss"
    auto.save(path)
    assert not list(tmp_path.glob("*.tmp"))
    loaded = FaissIndex.load(path, DIM, AnnOptions(threshold=1000))
    assert loaded.kind == "ivf" and len(loaded) == 2900 and loaded.nlist == auto.nlist
    for query in queries[:20]:
        assert loaded.search(query, 10) == auto.search(query, 10)
        assert not set(top_ids(loaded, query, 20)) & set(ids[:100].tolist())
    # a setting that forces exact search rebuilds it as flat on load
    forced = FaissIndex.load(path, DIM, AnnOptions(mode="flat"))
    assert forced.kind == "flat" and len(forced) == 2900
    with pytest.raises(ValueError, match="dimension"):
        FaissIndex.load(path, DIM + 1)


def test_an_hnsw_index_of_the_previous_version_is_rebuilt_on_load(pair, tmp_path: Path) -> None:
    exact, _, ids, queries = pair
    stored_ids, vectors = exact._live()
    hnsw = faiss.IndexIDMap2(faiss.IndexHNSWFlat(DIM, 16, faiss.METRIC_INNER_PRODUCT))
    hnsw.add_with_ids(vectors, stored_ids)
    path = tmp_path / "vectors.faiss"
    faiss.write_index(hnsw, str(path))
    np.save(tombstones_path(path), ids[:100])  # removed ids, as that version kept them
    loaded = FaissIndex.load(path, DIM, AnnOptions(threshold=1000))
    assert loaded.kind == "ivf" and len(loaded) == 2900
    exact.remove(ids[:100])
    assert recall(exact, loaded, queries) >= 0.95
    assert not {i for q in queries for i in top_ids(loaded, q, 20)} & set(ids[:100].tolist())
    loaded.save(path)
    assert not tombstones_path(path).exists()
    small = FaissIndex.load(path, DIM, AnnOptions(threshold=5000))  # saved IVF, kept as is
    assert small.kind == "ivf" and len(small) == 2900


def test_knowledge_base_switches_by_size_and_stays_correct(tmp_path: Path) -> None:
    corpus = tmp_path / "demo"
    shutil.copytree(DEMO, corpus)
    flat_kb = KnowledgeBase(tmp_path / "flat", hash_settings(tmp_path / "flat",
                                                             vector_index="flat"))  # fmt: skip
    ann_home = tmp_path / "ann"
    ann_kb = KnowledgeBase(ann_home, hash_settings(ann_home, ann_threshold=20))
    for base in (flat_kb, ann_kb):
        assert not base.ingest([corpus]).failed
    assert flat_kb.vectors.kind == "flat" and ann_kb.vectors.kind == "ivf"
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
    assert reopened.vectors.kind == "ivf"
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


@pytest.mark.parametrize("policy", [None, "ACTIVE"])
def test_loading_faiss_leaves_the_environment_as_it_was(policy: str | None) -> None:
    # FAISS's OpenMP threads sleep when idle unless the user chose otherwise; the variable is
    # set only while FAISS loads, so child processes are not affected.
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if policy:
        env["OMP_WAIT_POLICY"] = policy
    code = "import os, kenning.index.faiss_index; print(os.environ.get('OMP_WAIT_POLICY'))"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)  # fmt: skip
    assert out.stdout.strip() == str(policy)
