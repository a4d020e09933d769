"""Metric values on cases small enough to check by hand."""

from __future__ import annotations

import math

import pytest

from kenning.eval import metrics
from kenning.eval.golden import EvidenceSpan
from kenning.eval.matching import contains_text, matches, same_source


def judged(flags: str, covered: list[set[int]] | None = None, evidence: int = 1) -> metrics.Judged:
    """'0101' -> relevant at ranks 2 and 4; by default each relevant passage holds item 0."""
    relevant = tuple(c == "1" for c in flags)
    if covered is None:
        covered = [{0} if r else set() for r in relevant]
    return metrics.Judged(relevant, tuple(frozenset(c) for c in covered), evidence)


def test_retrieval_metrics_by_hand() -> None:
    first, second, none = metrics.retrieval_scores(
        [judged("1000000000"), judged("0010000000"), judged("0000000000")]
    )
    assert first["hit@1"] == first["hit@5"] == first["mrr@10"] == first["ndcg@10"] == 1.0
    assert second["hit@1"] == 0.0 and second["hit@5"] == 1.0
    assert second["mrr@10"] == pytest.approx(1 / 3)
    assert second["ndcg@10"] == pytest.approx(1 / math.log2(4))  # one relevant, at rank 3
    assert none == {**none, "hit@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0, "recall@10": 0.0}


def test_recall_counts_evidence_items_and_ndcg_counts_missed_ones() -> None:
    # 3 evidence items; rank 1 holds items 0 and 1, rank 7 holds item 2.
    covered = [{0, 1}, set(), set(), set(), set(), set(), {2}]
    (score,) = metrics.retrieval_scores([judged("1000001", covered, evidence=3)])
    assert score["recall@5"] == pytest.approx(2 / 3)
    assert score["recall@10"] == 1.0
    # Two relevant passages at ranks 1 and 7; ideal ranking puts them at 1 and 2.
    ideal = 1 + 1 / math.log2(3)
    assert score["ndcg@10"] == pytest.approx((1 + 1 / math.log2(8)) / ideal)
    # One evidence item never found: it counts in the ideal ranking.
    (missed,) = metrics.retrieval_scores([judged("1", [{0}], evidence=2)])
    assert missed["ndcg@10"] == pytest.approx(1 / ideal)
    assert missed["recall@5"] == 0.5


def test_token_f1_and_rouge() -> None:
    assert metrics.token_f1("The cat sat.", "a cat sat") == 1.0
    # prediction: cat, sat, down (3); reference: cat, sat (2); common 2 -> P 2/3, R 1
    assert metrics.token_f1("cat sat down", "cat sat") == pytest.approx(0.8)
    assert metrics.token_f1("", "") == 1.0 and metrics.token_f1("dog", "cat") == 0.0
    same = metrics.rouge("Failover takes two minutes.", "Failover takes two minutes.")
    assert same == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    half = metrics.rouge("failover takes", "failover takes two minutes")
    assert half["rouge1"] == pytest.approx(2 * 1 * 0.5 / 1.5)


def test_expert_scores() -> None:
    scores = metrics.expert_scores(
        [["Jane Doe", "Bob"], ["Bob", "Carla", "jane doe"], ["Bob"], ["X"]],
        [["jane doe"], ["Jane Doe"], ["Jane Doe"], []],
    )
    assert scores[0] == {"expert_hit@1": 1.0, "expert_hit@3": 1.0, "expert_mrr": 1.0}
    assert scores[1] == {"expert_hit@1": 0.0, "expert_hit@3": 1.0,
                         "expert_mrr": pytest.approx(1 / 3)}  # fmt: skip
    assert scores[2] == {"expert_hit@1": 0.0, "expert_hit@3": 0.0, "expert_mrr": 0.0}
    assert scores[3] == {}


def test_abstention_and_latency() -> None:
    # abstained on q1, q2, q3; must abstain on q2, q3, q4: precision 2/3, recall 2/3.
    result = metrics.abstention([True, True, True, False], [False, True, True, True])
    assert result["abstain_precision"] == pytest.approx(2 / 3)
    assert result["abstain_recall"] == pytest.approx(2 / 3)
    assert result["abstained"] == 0.75
    assert "abstain_recall" not in metrics.abstention([True], [False])
    assert metrics.latency([10, 20, 30, 40, 1000]) == {
        "latency_p50_ms": 30.0, "latency_p95_ms": pytest.approx(808.0)}  # fmt: skip


def test_evidence_matching() -> None:
    long_quote = "word " * 30 + "the decisive sentence that only the gold passage contains"
    passage = "Speaker: " + " ".join(long_quote.upper().split()[10:])
    assert contains_text(passage, long_quote)  # an 80-character run, case and spaces ignored
    assert not contains_text("unrelated " * 40, long_quote)
    assert contains_text("Run `cachectl flush --region all`", "cachectl   FLUSH")
    assert same_source("/data/corpus/vtt/standup.vtt", "vtt/standup.vtt")
    assert not same_source("/data/corpus/xvtt/standup.vtt", "vtt/standup.vtt")
    span = EvidenceSpan("standup.vtt", start=30.0, end=36.0)
    assert matches("/c/standup.vtt", "", 25.0, 31.0, span)
    assert not matches("/c/standup.vtt", "", 0.0, 30.0, span)  # touching is not overlapping
    assert not matches("/c/standup.vtt", "", None, None, span)
    assert matches("/c/standup.vtt", "anything", None, None, EvidenceSpan("standup.vtt"))
