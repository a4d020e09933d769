"""Follow-ups made standalone, history bounds, the LLM rewrite's sanity check, and retrieval
that weighs the previous turn."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from kenning.errors import InvalidRequest
from kenning.index.retriever import Retrieval
from kenning.qa.conversation import Turn, check_history, rewrite, sane_rewrite, weigh_previous
from kenning.schema import Hit

FAILOVER = "How do we fail over the payments database?"
OWNERS = "- Runbook owner: Jonas Becker (@jbecker) - Ledger: Sofia Marchetti [1]"
PEOPLE = ("Jonas Becker", "Sofia Marchetti", "Priya Raman")


def history(*pairs: tuple[str, str]) -> list[Turn]:
    turns: list[Turn] = []
    for question, answer in pairs:
        turns += [Turn("user", question), Turn("assistant", answer)]
    return turns


@pytest.mark.parametrize(
    ("earlier", "question", "expected"),
    [
        ([(FAILOVER, "Scale capture-worker to zero. [1]")], "and who owns it?",
         "who owns the payments database?"),
        ([(FAILOVER, "..."), ("who owns it?", OWNERS)], "how do I page him?",
         "how do I page Jonas Becker?"),
        ([("What is the hotel cap per night for a business trip to Munich?", "€180 [1]")],
         "what about Hamburg?", "What is the hotel cap per night for a business trip to Hamburg?"),
        ([("How long do we keep driver GPS traces?", "30 days [1]")],
         "what about payment and invoice records?",
         "How long do we keep payment and invoice records?"),
        ([("Which PostgreSQL version is the payments ledger moving to?", "16 [1]")], "and by when?",
         "Which PostgreSQL version is the payments ledger moving to, and by when?"),
        ([("When are normal production deploys allowed?", "Monday to Thursday [1]")],
         "and during the peak-season freeze?",
         "When are normal production deploys allowed during the peak-season freeze?"),
        ([("How many nodes does the highmem pool grow to by September?", "six [1]")],
         "who tracks its memory use?", "who tracks the highmem pool's memory use?"),
    ],
)  # fmt: skip
def test_follow_ups_carry_the_subject_of_the_earlier_turn(earlier, question, expected) -> None:
    found = rewrite(question, history(*earlier), PEOPLE)
    assert found.question == expected
    assert found.follow_up and found.previous


@pytest.mark.parametrize(
    "question",
    [
        "What is the hotel cap per night for a business trip to Munich?",
        "How long do we keep driver GPS traces?",
        "What is the on-call policy and who maintains it?",  # "it" has its noun in the question
        "Who is on call for the payments-primary rotation?",
        "Is there a freeze on deploys in December?",  # existential "there"
    ],
)
def test_standalone_questions_and_topic_switches_are_left_alone(question) -> None:
    found = rewrite(question, history((FAILOVER, "Scale capture-worker to zero. [1]")), PEOPLE)
    assert found.question == question and not found.follow_up


def test_no_history_no_rewrite() -> None:
    assert rewrite("and who owns it?", [], PEOPLE).question == "and who owns it?"


def test_history_bounds() -> None:
    turns = [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]
    assert check_history(turns, 2, 100) == (Turn("user", "hi"), Turn("assistant", "hello"))
    with pytest.raises(InvalidRequest, match="at most 1"):
        check_history(turns, 1, 100)
    with pytest.raises(InvalidRequest, match="characters"):
        check_history(turns, 2, 5)
    with pytest.raises(InvalidRequest, match="role"):
        check_history([{"role": "system", "content": "x"}], 2, 100)
    with pytest.raises(InvalidRequest, match="text"):
        check_history([{"role": "user", "content": 3}], 2, 100)


@pytest.mark.parametrize(
    ("candidate", "sane"),
    [
        ("Who owns the payments database?", True),
        ("", False),
        (None, False),
        ("Jonas Becker owns it [1].", False),  # an answer, not a question
        ("Who owns the Kubernetes cluster in Singapore?", False),  # words from nowhere
        ("How do we fail over the payments database?", False),  # dropped the question's words
    ],
)
def test_llm_rewrites_are_checked(candidate, sane) -> None:
    earlier = history((FAILOVER, "Scale capture-worker to zero. [1]"))
    assert sane_rewrite(candidate, "and who owns it?", earlier) is sane


def _hit(n: int) -> Hit:
    return Hit(rank=n, score=0.0, document_id=f"d{n}", title=f"t{n}", source=f"s{n}",
               kind="document", text=f"text {n}", location="", start=None, end=None,
               speakers=[])  # fmt: skip


def test_previous_turn_passages_are_weighed_in() -> None:
    current = Retrieval(hits=[_hit(1), _hit(2), _hit(3)], rowids=[1, 2, 3],
                        dense_scores={1: 0.5, 2: 0.4, 3: 0.3})  # fmt: skip
    previous = Retrieval(hits=[_hit(3), _hit(9)], rowids=[3, 9], dense_scores={3: 0.9, 9: 0.9})
    merged = weigh_previous(current, previous, 3, 0.5)
    assert merged.rowids[:2] == [1, 3]  # 3 rose above 2: the previous turn found it first
    assert [h.rank for h in merged.hits] == [1, 2, 3]
    assert merged.best_dense_score() == 0.5  # confidence stays the follow-up's own


def test_after_a_first_answer_the_follow_up_parser_loads_in_the_background(tmp_path) -> None:
    # A fresh process: the parser takes seconds to load, and is loaded while the first
    # answer is read, so that a follow-up does not wait for it.
    script = (
        "import sys, time\n"
        "from pathlib import Path\n"
        "from support import GOOD, hash_settings\n"
        "from kenning import KnowledgeBase\n"
        "from kenning.qa import conversation\n"
        f"home = Path({str(tmp_path / 'kb')!r})\n"
        "with KnowledgeBase(home, hash_settings(home)) as kb:\n"
        "    kb.ingest([GOOD / 'markdown'])\n"
        "    assert conversation._nlp.cache_info().currsize == 0\n"
        "    kb.ask('How do I flush the cache?')\n"
        "    deadline = time.monotonic() + 120\n"
        "    while conversation._nlp.cache_info().currsize == 0 and time.monotonic() < deadline:\n"
        "        time.sleep(0.2)\n"
        "    print(conversation._nlp.cache_info().currsize)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=Path(__file__).parents[1], timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("1")
