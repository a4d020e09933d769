"""Adapters: real-format inputs become a corpus folder plus a golden set Kenning can run."""

from __future__ import annotations

import shutil
from pathlib import Path

import webvtt
from support import GOOD

from kenning.eval.datasets import beir, qmsum, sec10q
from kenning.eval.golden import load_golden

DATA = Path(__file__).parent / "data"


def test_qmsum_meetings_become_webvtt_and_golden(tmp_path: Path) -> None:
    golden = load_golden(qmsum.prepare(DATA / "qmsum", tmp_path))
    captions = list(webvtt.read(str(tmp_path / "corpus" / "Tiny001.vtt")))
    assert [c.voice for c in captions[:3]] == ["Project Manager"] * 2 + ["Industrial Designer"]
    assert captions[2].text.startswith("The titanium casing costs too much")
    assert captions[1].start_in_seconds >= captions[0].end_in_seconds - 0.001
    by_id = {q.id: q for q in golden}
    assert set(by_id) == {"Tiny001-0", "Tiny001-0-away", "Tiny001-1", "Tiny001-1-away",
                          "Tiny002-0", "Tiny002-0-away"}  # fmt: skip
    first = by_id["Tiny001-0"]
    # Gold span is turns 2-3; "Yeah." (under 4 words) would match anywhere and is left out.
    assert [e.text[:16] for e in first.evidence] == ["The titanium cas"]
    assert first.experts == ("Industrial Designer",)
    assert first.filters == {"source_prefix": "Tiny001.vtt"}
    away = by_id["Tiny001-0-away"]
    assert away.must_abstain and away.filters == {"source_prefix": "Tiny002.vtt"}
    without_away = load_golden(qmsum.prepare(DATA / "qmsum", tmp_path / "b", away=False))
    assert not any(q.must_abstain for q in without_away)


def test_beir_documents_become_files_and_qrels_evidence(tmp_path: Path) -> None:
    golden = load_golden(beir.prepare(DATA / "beir", tmp_path))
    files = sorted(p.name for p in (tmp_path / "corpus").iterdir())
    assert "d1.md" in files and "d2.md" in files
    assert (tmp_path / "corpus" / "d2.md").read_text().startswith("# Capybara gateway\n")
    assert [q.id for q in golden] == ["q1", "q2"]  # q3 has no judgement
    assert [e.source for e in golden[0].evidence] == ["d2.md"]
    (printers,) = golden[1].evidence  # score 0 is not relevant
    assert printers.source_only and printers.source.startswith("d_3-")


def test_sec10q_questions_get_document_evidence_and_clean_answers(tmp_path: Path) -> None:
    source = tmp_path / "sec10q"
    (source / "docs").mkdir(parents=True)
    shutil.copy(DATA / "sec10q" / "questions.csv", source)
    for name in ("2023 Q1 MSFT.pdf", "2023 Q2 MSFT.pdf", "2023 Q1 INTC.pdf"):
        shutil.copy(GOOD / "pdf" / "report.pdf", source / "docs" / name)
    golden = load_golden(sec10q.prepare(source, tmp_path / "out"))
    assert [e.source for e in golden[0].evidence] == ["2023 Q1 MSFT.pdf"]
    assert golden[0].answer.endswith("scanned contracts.")  # SOURCE(S) line dropped
    assert [e.source for e in golden[1].evidence] == ["2023 Q1 MSFT.pdf", "2023 Q2 MSFT.pdf"]
    assert golden[0].tags == ("MSFT", "Single-Doc Single-Chunk RAG", "Text")
    only_msft = load_golden(sec10q.prepare(source, tmp_path / "msft", company="MSFT"))
    assert len(only_msft) == 2
    assert sorted(p.name for p in (tmp_path / "msft" / "corpus").iterdir()) == [
        "2023 Q1 MSFT.pdf", "2023 Q2 MSFT.pdf"]  # fmt: skip
