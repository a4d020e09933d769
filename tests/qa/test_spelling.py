"""Typo correction against the knowledge base's vocabulary, and acronyms learnt from it
"""

from __future__ import annotations

from collections import Counter

import pytest

from kenning.qa.acronyms import Acronyms, learn_acronyms
from kenning.qa.spelling import Speller

CORPUS = Counter(
    "deploy deploy service service production production payments database failover "
    "runbook owner memory solver depot faster after paydb kestrel".split()
)


@pytest.fixture(scope="module")
def speller() -> Speller:
    return Speller(CORPUS, english=frozenset({"quickly", "refund"}))


def test_typos_are_corrected_to_corpus_words(speller) -> None:
    text, corrections = speller.correct("how do i depoly a servise to prodution?")
    assert text == "how do i deploy a service to production?"
    assert [c.original for c in corrections] == ["depoly", "servise", "prodution"]


@pytest.mark.parametrize(
    "question",
    [
        "How do we fail over paydb?",  # a word the corpus knows
        "Did Jonsa approve the failover?",  # a name (capitalised inside the sentence)
        "What is SEVV1?",  # a code
        "Is paydb-3 a replica?",  # a code with a hyphen
        "How quickly is a refund made?",  # English words the corpus lacks
        "Why is the depots list empty?",  # an inflection of a corpus word
    ],
)
def test_words_the_corpus_knows_names_and_codes_are_never_corrected(speller, question) -> None:
    assert speller.correct(question) == (question, [])


def test_ties_prefer_shared_letters(speller) -> None:
    assert speller.correct("what about the nemroy use")[0] == "what about the memory use"
    assert speller.correct("how much astrr was it")[0] == "how much faster was it"


def test_possessives_and_capitals_at_the_start(speller) -> None:
    assert speller.correct("Depoly the solvr's memory")[0] == "Deploy the solver's memory"


def test_acronyms_are_learnt_from_definitions() -> None:
    found = learn_acronyms([
        "Fail over the payments database (paydb) with Patroni.",
        "SEV1 = severity 1, the highest level.",
        "| SLO | service level objective |\n|---|---|",
        "Ships keep ETAs (estimated arrival times) current.",
        "Kafka (Dmitri) and Payments (Jonas) were discussed.",  # not abbreviations
    ])  # fmt: skip
    assert found.expansions("how do I restore paydb?") == ["payments database"]
    assert found.expansions("who owns the payments database?") == ["paydb"]
    assert found.expansions("what is a SEV1?") == ["severity 1"]
    assert found.expansions("what is our SLO?") == ["service level objective"]
    assert found.expansions("are the ETAs right?") == ["estimated arrival times"]
    assert found.expansions("what did Dmitri say about Kafka?") == []


def test_people_aliases_expand_to_names() -> None:
    found = Acronyms()
    found.add_aliases([("Jonas Becker", ("JB", "jbecker", "payments lead", "jonas@x.example"))])
    assert found.expansions("what did JB decide?") == ["jonas becker"]
    assert found.expansions("what did the payments lead decide?") == []
