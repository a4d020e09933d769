"""Follow-up forms of golden questions (`kenning.eval.followups`), with spaCy's real model."""

from __future__ import annotations

from kenning.eval.followups import followup_of


def test_the_subject_becomes_a_pronoun_and_the_earlier_turn_names_it() -> None:
    assert followup_of("When did the Normans conquer England?") == (
        "What do you know about the Normans?", "When did they conquer England?")  # fmt: skip
    earlier, followup = followup_of("What was Tesla's first job?")
    assert earlier == "What do you know about Tesla?" and followup == "What was their first job?"


def test_a_question_without_a_named_subject_has_no_follow_up_form() -> None:
    assert followup_of("what is the capital") is None
