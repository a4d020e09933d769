"""The bundled demo with the real packaged model: its questions find their evidence."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import DEMO

QUESTIONS = [json.loads(line) for line in (DEMO / "questions.jsonl").read_text().splitlines()]
ANSWERABLE = [q for q in QUESTIONS if not q.get("must_abstain")]


@pytest.mark.slow
@pytest.mark.parametrize("item", ANSWERABLE, ids=[q["question"][:40] for q in ANSWERABLE])
def test_demo_question_finds_its_evidence_in_the_top_5(demo_kb, item: dict) -> None:
    hits = demo_kb.search(item["question"], k=5)
    expected = {str((DEMO / e["source"]).resolve()) for e in item["evidence"]}
    assert expected & {h.source for h in hits}, [Path(h.source).name for h in hits]


def holds_quote(hits, item: dict) -> bool:
    quotes = [" ".join(e["text"].split()) for e in item["evidence"]]
    texts = [" ".join(h.text.split()) for h in hits]
    return any(q in t for q in quotes for t in texts)


@pytest.mark.slow
def test_most_demo_questions_find_the_quoted_passage_in_the_top_5(demo_kb) -> None:
    found = [holds_quote(demo_kb.search(q["question"], k=5), q) for q in ANSWERABLE]
    assert sum(found) / len(found) >= 0.8, found


@pytest.mark.slow
def test_demo_citations_carry_page_and_timestamp(demo_kb) -> None:
    pdf = demo_kb.search("Mapforge SOC 2 Type II report", k=1)[0]
    assert pdf.source.endswith(".pdf") and pdf.location == "page 2"
    vtt = demo_kb.search("solver memory use", k=5, filters={"kind": "transcript"})[0]
    assert vtt.start is not None and vtt.end is not None and vtt.speakers
