"""Metrics: pure functions from judged results to numbers, named like `ndcg@10`.

Ranking metrics come from ir-measures (trec_eval underneath), ROUGE from rouge-score and
abstention precision/recall from scikit-learn; only what no library offers in this shape is
written here (token F1, evidence recall, groundedness and citation shares, percentiles).
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

RETRIEVAL_METRICS = ("hit@1", "hit@5", "hit@10", "recall@5", "recall@10", "mrr@10", "ndcg@10")
EXPERT_METRICS = ("expert_hit@1", "expert_hit@3", "expert_mrr")
TOKEN = re.compile(r"\w+")
ARTICLES = {"a", "an", "the"}


@dataclass(frozen=True)
class Judged:
    """One question's ranked passages, judged against its evidence.

    Attributes:
        relevant: for each passage in rank order, whether it holds any gold evidence.
        covered: for each passage in rank order, the indices of the evidence items it holds.
        evidence: how many evidence items the question has.
    """

    relevant: tuple[bool, ...]
    covered: tuple[frozenset[int], ...]
    evidence: int


def retrieval_scores(judged: Sequence[Judged]) -> list[dict[str, float]]:
    """Per question: hit@1/5/10, mrr@10 and ndcg@10 (ir-measures), recall@5/10.

    Relevance is per passage; evidence items no retrieved passage holds count as relevant
    passages that were not found, so nDCG's ideal ranking includes them. Recall@k is the share
    of evidence items held by the top k passages: one passage may hold several, which
    trec_eval's one-document-one-judgement model cannot express.
    """
    import ir_measures
    from ir_measures import RR, Success, nDCG

    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for i, item in enumerate(judged):
        qid = str(i)
        found = set().union(*item.covered) if item.covered else set()
        qrels[qid] = {f"p{r}": 1 for r, rel in enumerate(item.relevant) if rel}
        qrels[qid].update({f"missing{e}": 1 for e in range(item.evidence) if e not in found})
        # Strictly decreasing scores: trec_eval breaks ties by document id, not by our order.
        run[qid] = {f"p{r}": float(len(item.relevant) - r) for r in range(len(item.relevant))}
        if not run[qid]:
            run[qid] = {"none": 0.0}
    measures = {Success @ 1: "hit@1", Success @ 5: "hit@5", Success @ 10: "hit@10",
                RR @ 10: "mrr@10", nDCG @ 10: "ndcg@10"}  # fmt: skip
    scores: list[dict[str, float]] = [dict.fromkeys(measures.values(), 0.0) for _ in judged]
    for metric in ir_measures.iter_calc(list(measures), qrels, run):
        scores[int(metric.query_id)][measures[metric.measure]] = float(metric.value)
    for item, score in zip(judged, scores, strict=True):
        for k in (5, 10):
            held = set().union(*item.covered[:k]) if item.covered[:k] else set()
            score[f"recall@{k}"] = len(held) / item.evidence if item.evidence else 0.0
    return scores


def rouge(prediction: str, reference: str) -> dict[str, float]:
    """ROUGE-1/2/L F1 (stemmed) of one answer against its reference, from rouge-score."""
    scores = _rouge_scorer().score(reference, prediction)
    return {name: scores[name].fmeasure for name in ("rouge1", "rouge2", "rougeL")}


@functools.cache
def _rouge_scorer() -> Any:  # noqa: ANN401 - rouge-score has no type hints
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=True)


def token_f1(prediction: str, reference: str) -> float:
    """SQuAD-style token F1 (lower case, punctuation and articles dropped).

    Written here because the SQuAD script is not packaged on its own (`evaluate` fetches
    it from the Hub at run time).
    """
    pred = [t for t in TOKEN.findall(prediction.lower()) if t not in ARTICLES]
    gold = [t for t in TOKEN.findall(reference.lower()) if t not in ARTICLES]
    common = sum((Counter(pred) & Counter(gold)).values())
    if not pred or not gold or not common:
        return float(pred == gold)
    precision, recall = common / len(pred), common / len(gold)
    return 2 * precision * recall / (precision + recall)


def expert_scores(ranked: Sequence[Sequence[str]], gold: Sequence[Sequence[str]]) -> list[dict]:
    """Per question with gold experts: expert_hit@1, expert_hit@3 and expert_mrr (ir-measures).

    Names are compared case-insensitively; questions without gold experts get an empty dict.
    """
    import ir_measures
    from ir_measures import RR, Success

    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    for i, (names, wanted) in enumerate(zip(ranked, gold, strict=True)):
        if not wanted:
            continue
        qrels[str(i)] = {_name(n): 1 for n in wanted}
        order = list(dict.fromkeys(_name(n) for n in names)) or ["(nobody)"]
        run[str(i)] = {n: float(len(order) - r) for r, n in enumerate(order)}
    measures = {Success @ 1: "expert_hit@1", Success @ 3: "expert_hit@3", RR: "expert_mrr"}
    scores: list[dict] = [
        dict.fromkeys(measures.values(), 0.0) if wanted else {} for wanted in gold
    ]
    for metric in ir_measures.iter_calc(list(measures), qrels, run):
        scores[int(metric.query_id)][measures[metric.measure]] = float(metric.value)
    return scores


def _name(name: str) -> str:
    return " ".join(name.lower().split())


def abstention(abstained: Sequence[bool], must_abstain: Sequence[bool]) -> dict[str, float]:
    """Precision and recall of abstaining (scikit-learn), and the share abstained."""
    from sklearn.metrics import precision_score, recall_score

    if not abstained:
        return {}
    result = {"abstained": float(np.mean(abstained))}
    if any(must_abstain):
        result["abstain_precision"] = float(
            precision_score(must_abstain, abstained, zero_division=0.0)
        )
        result["abstain_recall"] = float(recall_score(must_abstain, abstained, zero_division=0.0))
    return result


def latency(milliseconds: Sequence[float]) -> dict[str, float]:
    """p50 and p95 of latencies in milliseconds."""
    if not milliseconds:
        return {}
    p50, p95 = np.percentile(np.asarray(milliseconds, dtype=float), [50, 95])
    return {"latency_p50_ms": float(p50), "latency_p95_ms": float(p95)}


def mean_by_key(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """The mean of each metric over the rows that have it."""
    values: dict[str, list[float]] = {}
    for row in rows:
        for key, value in row.items():
            if value is not None:
                values.setdefault(key, []).append(float(value))
    return {key: float(np.mean(v)) for key, v in values.items()}


# ---- short answers (SQuAD-style) ------------------------------------------------------------

SHORT_ANSWER_WORDS = 10  # a reference this short is an answer span, not a summary
CONTAINS_WITHIN = (25, 60)  # contains@25w, contains@60w
CITATION_MARKER = re.compile(r"\[\d+\]")
PUNCTUATION = re.compile(r"[^\w\s]")


def normalise_answer(text: str) -> str:
    """SQuAD's answer normalisation: lower case, no punctuation, no articles, single spaces."""
    text = PUNCTUATION.sub(" ", text.lower())
    return " ".join(w for w in text.split() if w not in ARTICLES)


def answer_words(answer: str) -> list[str]:
    """The words a reader reads in an answer: whitespace tokens, `[n]` markers left out."""
    return CITATION_MARKER.sub(" ", answer).split()


def contains_within(answer: str, golds: Sequence[str], words: int) -> float:
    """1.0 when a gold answer, normalised SQuAD-style, is inside the answer's first `words`
    words (whole words only: "10" is not inside "100"), else 0.0."""
    head = f" {normalise_answer(' '.join(answer_words(answer)[:words]))} "
    wanted = [normalise_answer(g) for g in golds]
    return float(any(g and f" {g} " in head for g in wanted))


def short_answer_scores(
    answer: str | None, golds: Sequence[str], abstained: bool
) -> dict[str, float]:
    """One answerable question's `contains@25w`, `contains@60w`, `answer_words` and
    `wrong_abstention`. An abstention contains nothing and has no length."""
    if abstained or answer is None:
        scores = {f"contains@{n}w": 0.0 for n in CONTAINS_WITHIN}
        return {**scores, "wrong_abstention": 1.0}
    scores = {f"contains@{n}w": contains_within(answer, golds, n) for n in CONTAINS_WITHIN}
    return {**scores, "answer_words": float(len(answer_words(answer))), "wrong_abstention": 0.0}


def short_answer_summary(scores: Sequence[dict[str, float]]) -> dict[str, float]:
    """Means of `contains@…` and `wrong_abstention`, and the median of `answer_words`."""
    if not scores:
        return {}
    summary = mean_by_key([{k: v for k, v in s.items() if k != "answer_words"} for s in scores])
    lengths = [s["answer_words"] for s in scores if "answer_words" in s]
    if lengths:
        summary["answer_words_p50"] = float(np.median(lengths))
    return summary
