"""The bundled demo with the real packaged model: its questions find their evidence, are
answered, abstained on, and name the right people.

A question is answered correctly when Kenning does not abstain and its answer holds one of
the question's key facts: the evidence quotes of at most `SHORT_ANSWER_WORDS` words (the
length `kenning eval` treats as an answer span), compared after SQuAD-style normalisation.
A who-to-ask question (tag `who`) is also answered when the answer names an expected expert
or the first expert shown is one: that is where a person reads who to ask.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from support import DEMO

from kenning.eval.golden import load_golden
from kenning.eval.metrics import SHORT_ANSWER_WORDS, normalise_answer

QUESTIONS = [json.loads(line) for line in (DEMO / "questions.jsonl").read_text().splitlines()]
FRENCH_FILE = [json.loads(line) for line in (DEMO / "questions.fr.jsonl").read_text().splitlines()]
# French questions about the demo's French pages; the others translate English questions.
FRENCH_SOURCES = [q for q in FRENCH_FILE if "fr-source" in q["tags"]]
FRENCH = [q for q in FRENCH_FILE if "fr-source" not in q["tags"]]
ANSWERABLE = [q for q in QUESTIONS if not q.get("must_abstain")]
MUST_ABSTAIN = [q for q in QUESTIONS if q.get("must_abstain")]
WHO = [q for q in ANSWERABLE if "who" in q.get("tags", [])]
TEXT_SOURCES = {".md", ".txt", ".html", ".vtt", ".srt"}  # quotes checked against the file


def key_facts(item: dict) -> list[str]:
    """The short evidence quotes of a question: the facts a correct answer states."""
    return [e["text"] for e in item["evidence"]
            if e.get("text") and len(e["text"].split()) <= SHORT_ANSWER_WORDS]  # fmt: skip


def states(text: str, facts: list[str]) -> bool:
    """True when the text holds one of the facts, both normalised as SQuAD answers are."""
    padded = f" {normalise_answer(text)} "
    return any(f" {normalise_answer(fact)} " in padded for fact in facts if normalise_answer(fact))


def answered(item: dict, response) -> bool:  # noqa: ANN001 - an AskResponse
    if response.abstained:
        return False
    if states(response.answer, key_facts(item)):
        return True
    if "who" not in item.get("tags", []):
        return False
    gold = {name.lower() for name in item["experts"]}
    first = response.experts[0].name.lower() if response.experts else None
    return first in gold or states(response.answer, item["experts"])


# ---- the golden files themselves (fast) -----------------------------------------------------


def test_demo_golden_sets_load_and_have_the_promised_shape() -> None:
    english = load_golden(DEMO / "questions.jsonl")
    french = load_golden(DEMO / "questions.fr.jsonl")
    assert len(english) >= 40 and len(MUST_ABSTAIN) >= 5
    assert len(WHO) >= 15 and all(q["experts"] for q in WHO)
    assert len(french) >= 20
    assert all(not q.must_abstain or (not q.evidence and not q.experts) for q in english)


def test_every_answerable_demo_question_has_a_key_fact() -> None:
    assert [q["id"] for q in ANSWERABLE if not key_facts(q)] == []


@pytest.mark.parametrize("item", ANSWERABLE + FRENCH_SOURCES,
                         ids=[q["id"] for q in ANSWERABLE + FRENCH_SOURCES])  # fmt: skip
def test_demo_evidence_quotes_are_in_their_source_files(item: dict) -> None:
    for span in item["evidence"]:
        path = DEMO / span["source"]
        assert path.is_file(), span["source"]
        if path.suffix in TEXT_SOURCES:
            assert " ".join(span["text"].split()) in " ".join(path.read_text().split()), span


def test_french_questions_translate_english_ones_with_the_same_evidence() -> None:
    english = {q["id"]: q for q in QUESTIONS}
    for item in FRENCH:
        original = english[item["id"]]
        assert item["question"] != original["question"]
        assert "fr" in item["tags"]
        for key in ("answer", "evidence", "experts", "must_abstain"):
            assert item.get(key) == original.get(key), (item["id"], key)


def test_french_source_questions_ask_about_french_pages() -> None:
    assert len(FRENCH_SOURCES) >= 5
    english = {q["id"] for q in QUESTIONS}
    for item in FRENCH_SOURCES:
        assert item["id"] not in english and "fr" in item["tags"] and item["evidence"]


# ---- retrieval (slow) -----------------------------------------------------------------------


# Measured misses: the question's evidence document is not in the top 5.
MISSES = {
    "ledger-cutover": "the support-sync transcript (the only source of the 38 seconds) ranks "
    "below the ledger planning notes, the capacity plan and the runbook, which share its words",
}
RETRIEVAL = [
    pytest.param(q, id=q["id"], marks=pytest.mark.xfail(strict=True, reason=MISSES[q["id"]]))
    if q["id"] in MISSES else pytest.param(q, id=q["id"])
    for q in ANSWERABLE
]  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("item", RETRIEVAL)
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
    # A PDF's passages are cited by the section its fonts show and by page.
    hits = demo_kb.search("Mapforge could not provide a SOC 2 Type II report", k=5)
    pdf = next(h for h in hits if "could not provide" in h.text)
    assert pdf.source.endswith(".pdf") and pdf.location == "4. Findings by vendor, page 2"
    vtt = demo_kb.search("solver memory use", k=5, filters={"kind": "transcript"})[0]
    assert vtt.start is not None and vtt.end is not None and vtt.speakers


# ---- answers, abstention and who to ask (slow) ----------------------------------------------


@pytest.fixture(scope="module")
def responses(demo_kb) -> dict:
    """Every demo question asked once, by id."""
    return {q["id"]: demo_kb.ask(q["question"]) for q in QUESTIONS}


def strong_names(response) -> list[str]:  # noqa: ANN001 - an AskResponse
    return [e.name for e in response.experts if e.level == "strong"]


@pytest.mark.slow
def test_at_least_90_percent_of_answerable_demo_questions_are_answered(responses) -> None:
    wrong = [q["id"] for q in ANSWERABLE if not answered(q, responses[q["id"]])]
    assert 1 - len(wrong) / len(ANSWERABLE) >= 0.9, wrong


@pytest.mark.slow
def test_french_questions_about_french_pages_are_answered_in_french(demo_kb) -> None:
    """The demo's French pages answer French questions with their own words, even with the
    English model; their typos are corrected to French words, never to English ones."""
    wrong = {}
    for item in FRENCH_SOURCES:
        response = demo_kb.ask(item["question"])
        if not answered(item, response) or response.corrected_question is not None:
            wrong[item["id"]] = (response.corrected_question, response.answer[:200])
    assert wrong == {}
    typo = demo_kb.ask("Comment demander le télétravial ?")
    assert typo.corrected_question == "Comment demander le télétravail ?" and not typo.abstained
    # The translated questions are about English pages: no French word becomes an English one.
    corrected = {q["id"]: demo_kb.ask(q["question"]).corrected_question for q in FRENCH}
    assert {i: c for i, c in corrected.items() if c} == {}


@pytest.mark.slow
def test_every_must_abstain_demo_question_abstains(responses) -> None:
    assert [q["id"] for q in MUST_ABSTAIN if not responses[q["id"]].abstained] == []


@pytest.mark.slow
def test_strong_experts_are_right_on_who_to_ask_demo_questions(responses) -> None:
    strong = [(q["id"], name in q["experts"]) for q in WHO
              for name in strong_names(responses[q["id"]])]  # fmt: skip
    assert strong and sum(right for _, right in strong) / len(strong) >= 0.9, strong


@pytest.mark.slow
def test_no_abstained_demo_answer_shows_a_strong_expert(responses) -> None:
    abstained = {i: r for i, r in responses.items() if r.abstained}
    assert abstained
    assert {i: strong_names(r) for i, r in abstained.items() if strong_names(r)} == {}


@pytest.mark.slow
def test_no_must_abstain_demo_question_shows_a_strong_expert(responses) -> None:
    shown = {q["id"]: strong_names(responses[q["id"]]) for q in MUST_ABSTAIN}
    assert {i: names for i, names in shown.items() if names} == {}
