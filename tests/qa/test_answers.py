"""Extractive answers, citation checks and expert ranking on real passages."""

from __future__ import annotations

import re

from kenning.index.embeddings import HashEmbedder
from kenning.qa.citations import check_answer, renumber
from kenning.qa.extractive import choose_sentences, split_sentences
from kenning.schema import Hit


def hit(text: str, kind: str = "document", title: str = "Doc") -> Hit:
    return Hit(rank=1, score=1.0, document_id="d", title=title, source="/x", kind=kind,
               text=text, location="", start=None, end=None, speakers=[])  # fmt: skip


RUNBOOK = hit(
    "To flush the cache, drain traffic from the region first.\n"
    "Then run the flush job and wait\nfor the green check.\n"
    "- [ ] Verify the zebrafish header on three pages.\n"
    "| Region | Owner |\n|---|---|\n| eu | Jane |"
)


def test_sentences_rejoin_wrapped_lines_and_skip_tables() -> None:
    texts = [s.plain for s in split_sentences(RUNBOOK, 0)]
    assert "Then run the flush job and wait for the green check." in texts
    assert "Verify the zebrafish header on three pages." in texts
    assert not any("Region" in t for t in texts)


def test_transcript_sentences_keep_the_speaker() -> None:
    turn = hit("Bob Stone: The wombat job failed twice. I restarted it by hand.", "transcript")
    sentences = split_sentences(turn, 0)
    assert sentences[0].speaker == "Bob Stone"
    assert sentences[0].text == "Bob Stone: “The wombat job failed twice.”"


def test_chosen_sentences_are_relevant_and_copied_verbatim() -> None:
    other = hit("Lunch is served at noon in the canteen on the second floor.")
    extract = choose_sentences("how do I flush the cache?", [RUNBOOK, other], HashEmbedder(), 3)
    assert extract.sentences
    assert all(s.hit_index == 0 for s in extract.sentences)
    for sentence in extract.sentences:
        assert sentence.plain.rstrip(".") in " ".join(RUNBOOK.text.split())


def test_check_answer_removes_bad_markers_and_unsupported_sentences() -> None:
    hits = [RUNBOOK, hit("Lunch is served at noon in the canteen on the second floor.")]
    reply = ("Drain traffic from the region first, then run the flush job [1]. "
             "Lunch is at noon in the canteen [2] [7]. "
             "The moon is made of green cheese and orbits Jupiter [1].")  # fmt: skip
    checked = check_answer(reply, hits, HashEmbedder(), threshold=0.5)
    assert checked.removed_markers == [7]
    assert "moon" not in checked.text
    assert checked.dropped == ["The moon is made of green cheese and orbits Jupiter."]
    assert re.findall(r"\[(\d)\]", checked.text) == ["1", "2"]


def test_unmarked_supported_sentence_gets_its_marker() -> None:
    checked = check_answer("Lunch is served at noon in the canteen.", [RUNBOOK,
                           hit("Lunch is served at noon in the canteen on the second floor.")],
                           HashEmbedder(), threshold=0.5)  # fmt: skip
    assert checked.text.endswith("[2]") and checked.cited == [2]


def test_renumber_in_order_of_first_use() -> None:
    assert renumber("A [3]. B [1]. C [3].", [3, 1]) == "A [1]. B [2]. C [1]."


def test_ask_abstains_and_names_only_people_near_the_topic(good_kb) -> None:
    kb, _ = good_kb
    kb.settings.abstain_threshold = 0.99
    response = kb.ask("Who rotates the TLS certificates?")
    assert response.abstained and not response.citations
    # Never a confident expert for a question Kenning could not answer: at most three
    # people, labelled as knowing neighbouring topics, those topics named in the reason.
    assert len(response.experts) <= 3
    for expert in response.experts:
        assert expert.level == "neighbouring" and expert.level != "strong"
        assert expert.reasons[0].startswith("knows neighbouring topics (“")
    if response.experts:
        assert "neighbouring topics" in response.answer
        assert response.experts[0].name in response.answer


def test_experts_prefer_owners_and_speakers(good_kb) -> None:
    kb, _ = good_kb
    experts = kb.experts("zebrafish cache flush verify")
    assert experts[0].name == "Jane Doe"
    assert any("owner of “Cache flush runbook”" in r for r in experts[0].reasons)
    spoken = kb.experts("wombat batch job restarted")
    assert spoken[0].name == "Bob Stone"
    assert any(r.startswith("spoke ") for r in spoken[0].reasons)
