"""The log of questions and ratings (index/question_log.py), against a real store."""

from __future__ import annotations

from kenning.index.store import Store


def test_knowledge_gaps_group_questions_most_asked_first(store: Store) -> None:
    store.log_question("Who owns payroll?", True, None, 10.0, "extractive")
    store.log_question("who owns payroll?", False, 0.2, 10.0, "extractive")
    store.log_question("How do I flush the cache?", False, 0.9, 10.0, "extractive")
    store.log_question("Where is the VPN guide?", False, 0.3, 10.0, "llm")
    gaps = store.knowledge_gaps(low_score=0.5)
    assert [(g["question"].lower(), g["times"]) for g in gaps] == [
        ("who owns payroll?", 2), ("where is the vpn guide?", 1),
    ]  # fmt: skip
    assert set(gaps[0]) == {"question", "times", "last_asked", "best_score"}
    assert gaps[0]["best_score"] == 0.2 and gaps[1]["best_score"] == 0.3
    assert len(store.knowledge_gaps(low_score=0.5, limit=1)) == 1
    assert [g["times"] for g in store.knowledge_gaps(low_score=0.25)] == [2]  # abstained


def test_feedback_summary_counts_and_shows_the_latest(store: Store) -> None:
    assert store.feedback_summary() == {"total": 0, "helpful": 0, "unhelpful": 0, "recent": []}
    store.add_feedback("q1", True, "clear")
    store.add_feedback("q2", False, "wrong page")
    store.add_feedback("q3", True)
    summary = store.feedback_summary(recent=2)
    assert (summary["total"], summary["helpful"], summary["unhelpful"]) == (3, 2, 1)
    assert [(r["question"], r["helpful"], r["comment"]) for r in summary["recent"]] == [
        ("q3", True, ""), ("q2", False, "wrong page"),
    ]  # fmt: skip
    assert set(summary["recent"][0]) == {"created", "question", "helpful", "comment"}


def test_question_counts(store: Store) -> None:
    assert store.question_counts() == {"asked": 0, "abstained": 0, "mean_latency_ms": 0.0}
    store.log_question("a", True, None, 10.0, "extractive")
    store.log_question("b", False, 0.8, 20.25, "extractive")
    assert store.question_counts() == {"asked": 2, "abstained": 1, "mean_latency_ms": 15.1}


def test_a_viewer_sees_only_entries_of_askers_who_read_no_more(store: Store) -> None:
    store.log_question("hr question", True, None, 1.0, "extractive", ("hr",))
    store.log_question("public question", True, None, 1.0, "extractive", ())
    store.add_feedback("hr question", False, "hr only", ("hr",))
    store.add_feedback("admin question", True, "", None)
    assert {g["question"] for g in store.knowledge_gaps(0.5, groups=())} == {"public question"}
    assert len(store.knowledge_gaps(0.5, groups=("hr", "eng"))) == 2
    assert len(store.knowledge_gaps(0.5)) == 2
    assert store.question_counts(groups=())["asked"] == 1
    assert store.feedback_summary(groups=())["total"] == 0
    hr = store.feedback_summary(groups=("hr",))
    assert hr["total"] == 1 and hr["recent"][0]["comment"] == "hr only"
    assert store.feedback_summary()["total"] == 2  # the unrestricted viewer sees everything


def test_logging_does_not_change_the_store_generation(store: Store) -> None:
    """The vector index on disk stays current while people ask and rate."""
    generation = store.generation
    store.log_question("q", False, 0.9, 1.0, "extractive")
    store.add_feedback("q", True)
    assert store.generation == generation
