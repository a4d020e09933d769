"""What is actually searched for a question: the question made standalone from the
conversation, its typos corrected against the knowledge base's vocabulary, and the
organisation's acronyms and aliases expanded.

Measured on the demo (2 cores, warm): a standalone question with no history adds ~0.3 ms
(correction and expansion); a follow-up adds the spaCy parses of the rewrite (see
`kenning.qa.conversation`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kenning.qa.conversation import Turn, condense, rewrite, sane_rewrite
from kenning.qa.lexicon import Lexicon
from kenning.qa.question import detect_language


@dataclass(frozen=True)
class PreparedQuestion:
    """A question as searched."""

    question: str  # as asked
    standalone: str  # rewritten from the conversation, then corrected: what answering reads
    rewritten: str  # made standalone (the question itself when it stands alone)
    corrected: str | None  # the standalone question with its typos corrected, if any were
    search: str  # what retrieval searches: standalone + original words + expansions
    previous: str | None  # the previous question, standalone, when this one is a follow-up
    unknown_share: float = 0.0  # of its content words, the share the corpus never uses
    timings_ms: dict[str, float] = field(default_factory=dict)


def prepare_question(
    question: str,
    history: Sequence[Turn],
    lexicon: Lexicon,
    chat_model: Any = None,
    correct: bool = True,
) -> PreparedQuestion:
    """Rewrite, correct and expand a question.

    Args:
        question: the question as asked (validated).
        history: the earlier messages (checked), oldest first.
        lexicon: the knowledge base's words, acronyms and people as the caller may read them.
        chat_model: an LLM to condense follow-ups with (its output is checked), or None.
        correct: correct typos.
    """
    started = time.perf_counter()
    timings: dict[str, float] = {}
    rewritten, previous = question, None
    if history:
        found = rewrite(question, history, lexicon.people)
        rewritten = found.question
        previous = found.previous if found.follow_up else None
        if chat_model is not None:
            condensed = condense(chat_model, question, history)
            if sane_rewrite(condensed, question, history) and condensed is not None:
                rewritten = condensed
                if condensed.strip() != question.strip():
                    previous = found.previous
        timings["rewrite"] = _ms(started)
    mark = time.perf_counter()
    language = detect_language(rewritten)
    corrected, corrections = (lexicon.speller.correct(rewritten, language) if correct
                              else (rewritten, []))  # fmt: skip
    originals = [c.original for c in corrections]
    expansions = lexicon.acronyms.expansions(corrected)
    search = " ".join([corrected, *originals, *expansions])
    timings["correct"] = _ms(mark)
    return PreparedQuestion(
        question=question, standalone=corrected, rewritten=rewritten,
        corrected=corrected if corrections else None, search=search, previous=previous,
        unknown_share=lexicon.unknown_share(corrected, language), timings_ms=timings,
    )  # fmt: skip


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 2)
