"""Recognising the people a question names (index/people_in_query.py)."""

from __future__ import annotations

import pytest

from kenning.index.people_in_query import PersonMatcher
from kenning.schema import Person

PEOPLE = [
    Person(id="jane", name="Jane Doe", aliases=("jane@corp.example", "jdoe", "JD")),
    Person(id="jane-r", name="Jane Roe"),
    Person(id="priya", name="Priya Patel", aliases=("@ppatel",)),
    Person(id="mark", name="Mark Lee"),
    Person(id="solo", name="Ximena"),
]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("What did Priya say about the migration?", ["priya"]),  # a unique first name
        ("what did PRIYA PATEL decide", ["priya"]),
        ("ask @ppatel or jdoe", ["priya", "jane"]),  # handles, in order of mention
        ("did Jane Doe or Jane Roe approve it?", ["jane", "jane-r"]),
        ("what did Jane say?", []),  # two Janes: the first name is ambiguous
        ("we will mark the ticket", []),  # a first name that is a common word
        ("Mark Lee owns it", ["mark"]),
        ("mail jane@corp.example", []),  # e-mails are not matched in text
        ("Priya and Priya Patel and @ppatel", ["priya"]),  # once each
        ("JD and the priyanka team", []),  # too short, and only whole words
        ("Ximena's notes", ["solo"]),
        # A first name alone inside a longer proper name is someone else, or a place.
        ("Did Priya Sharma approve it?", []),
        ("What is the Lake Priya trail?", []),
        ("Ask Priya about the migration", ["priya"]),  # a capitalised word opening the text
        ("Mark Lee, Priya and Jane Doe", ["mark", "priya", "jane"]),
    ],
)
def test_people_named_in_a_question(text: str, found: list[str]) -> None:
    assert PersonMatcher(PEOPLE).find(text) == found


def test_no_people_finds_no_one() -> None:
    assert PersonMatcher([]).find("What did Priya say?") == []
