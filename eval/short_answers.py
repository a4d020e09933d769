"""Short-answer scores of a run: is the gold answer near the start of what a person reads?

For golden questions whose reference answer is a span (at most `SHORT_ANSWER_WORDS` words, as
in SQuAD), every answering system gets `contains@25w`, `contains@60w` (a gold answer,
normalised SQuAD-style, inside the first 25 / 60 words), `answer_words` (its median is
reported as `answer_words_p50`) and, for systems that can abstain, `wrong_abstention` (it
abstained on a question the corpus answers). The gold answers are the reference plus the
question's evidence quotes that are as short (the SQuAD adapter quotes every distinct gold
answer there).
"""

from __future__ import annotations

from typing import Any

from kenning.eval import metrics
from kenning.eval.golden import GoldenQuestion


def short_answer_golds(question: GoldenQuestion) -> tuple[str, ...]:
    """The gold answers of a short-answer question; empty for every other question."""
    if question.must_abstain or not question.answer:
        return ()
    if len(question.answer.split()) > metrics.SHORT_ANSWER_WORDS:
        return ()
    quotes = [span.text for span in question.evidence if span.text
              and len(span.text.split()) <= metrics.SHORT_ANSWER_WORDS]  # fmt: skip
    return tuple(dict.fromkeys([question.answer, *quotes]))


def add_short_answer_scores(
    results: dict[str, Any], questions: list[GoldenQuestion]
) -> int:
    """Add the short-answer scores to each row and to the summaries (overall and by tag),
    in place; returns how many questions were scored."""
    by_id = {q.id: q for q in questions}
    scored: dict[str, list[tuple[tuple[str, ...], dict[str, float]]]] = {}
    count = 0
    for row in results["questions"]:
        question = by_id.get(row["id"])
        golds = short_answer_golds(question) if question else ()
        if not golds:
            continue
        count += 1
        for name, record in row["systems"].items():
            if record.get("answer") is None and not record.get("abstained"):
                continue  # retrieval only
            scores = record["scores"]
            short = metrics.short_answer_scores(record["answer"], golds, record["abstained"])
            if "abstained" not in scores:  # a system that cannot abstain
                short.pop("wrong_abstention")
            scores.update(short)
            scored.setdefault(name, []).append((tuple(row["tags"]), short))
    for name, items in scored.items():
        results["summary"].setdefault(name, {}).update(
            metrics.short_answer_summary([s for _, s in items])
        )
        for tag, by_system in results.get("by_tag", {}).items():
            tagged = [s for tags, s in items if tag in tags]
            if tagged and name in by_system:
                by_system[name].update(metrics.short_answer_summary(tagged))
    return count
