"""Typo robustness: typo'd copies of golden questions, made programmatically.

`typo_question` makes one or two character edits (deletion, insertion, substitution by a
keyboard neighbour, transposition) in up to two lower-case content words of at least four
letters, from a seeded random generator, so a run is repeatable. Capitalised words (names)
and words with digits (codes) are left alone: Kenning never corrects those, by design.

Run: `python -m kenning.eval.typos KB_DIR GOLDEN.jsonl [--limit N] [--seed S]` prints hit@5
and contains@60w for the clean and the typo'd questions side by side.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

from kenning.eval.golden import GoldenQuestion, load_golden
from kenning.eval.metrics import contains_within
from kenning.eval.short_answers import short_answer_golds

WORD = re.compile(r"[A-Za-z]+")
STOP = frozenset(
    "a an and are as at be but by can could did do does for from had has have how i if in into "
    "is it its me my of on or our so than that the their them then there these they this to "
    "was we were what when where which who whom why will with would you your about".split()
)
NEIGHBOURS = {
    "a": "qwsz", "b": "vghn", "c": "xdfv", "d": "serfcx", "e": "wsdr", "f": "drtgvc",
    "g": "ftyhbv", "h": "gyujnb", "i": "ujko", "j": "huikmn", "k": "jiolm", "l": "kop",
    "m": "njk", "n": "bhjm", "o": "iklp", "p": "ol", "q": "wa", "r": "edft", "s": "awedxz",
    "t": "rfgy", "u": "yhji", "v": "cfgb", "w": "qase", "x": "zsdc", "y": "tghu", "z": "asx",
}  # fmt: skip


def typo_word(word: str, edits: int, rng: random.Random) -> str:
    """The word with `edits` random character edits."""
    for _ in range(edits):
        i = rng.randrange(len(word))
        op = rng.choice(("delete", "insert", "substitute", "transpose"))
        if op == "delete" and len(word) > 3:
            word = word[:i] + word[i + 1 :]
        elif op == "insert":
            word = word[:i] + rng.choice(NEIGHBOURS.get(word[i], "e")) + word[i:]
        elif op == "transpose" and i < len(word) - 1:
            word = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
        else:
            word = word[:i] + rng.choice(NEIGHBOURS.get(word[i], "e")) + word[i + 1 :]
    return word


def typo_question(question: str, rng: random.Random, max_words: int = 2) -> str:
    """The question with one or two edits in up to `max_words` of its content words."""
    spans = [m for m in WORD.finditer(question)
             if len(m.group()) >= 4 and m.group().islower() and m.group() not in STOP]  # fmt: skip
    if not spans:
        return question
    chosen = sorted(rng.sample(spans, min(len(spans), rng.randint(1, max_words))),
                    key=lambda m: m.start(), reverse=True)  # fmt: skip
    for match in chosen:
        new = typo_word(match.group(), rng.randint(1, 2), rng)
        question = question[: match.start()] + new + question[match.end() :]
    return question


def hit_at_5(hits: list, question: GoldenQuestion) -> float:
    """1.0 when a top-5 passage of a gold source holds a gold evidence text."""
    for hit in hits[:5]:
        for span in question.evidence:
            if span.source and not hit.source.endswith(span.source):
                continue
            if not span.text or " ".join(span.text.split()) in " ".join(hit.text.split()):
                return 1.0
    return 0.0


def run(kb_dir: Path, golden: Path, limit: int, seed: int) -> dict[str, float]:
    """hit@5 and contains@60w, clean and typo'd, over answerable questions.

    hit@5 searches what the answer says was searched (`corrected_question`, else the
    question), through the public API.
    """
    from kenning import KnowledgeBase
    from kenning.config import load_settings

    rng = random.Random(seed)
    questions = [q for q in load_golden(golden) if not q.must_abstain and q.evidence][:limit]
    totals = {k: 0.0 for k in ("hit@5", "hit@5 typo", "contains@60w", "contains@60w typo")}
    short = 0
    changed = 0
    with KnowledgeBase(kb_dir, load_settings(home=kb_dir, git_history=False)) as kb:
        for question in questions:
            typoed = typo_question(question.question, rng)
            changed += typoed != question.question
            golds = short_answer_golds(question)
            short += bool(golds)
            for text, suffix in ((question.question, ""), (typoed, " typo")):
                response = kb.ask(text)
                searched = response.corrected_question or response.rewritten_question or text
                totals["hit@5" + suffix] += hit_at_5(kb.search(searched, k=5), question)
                if golds and not response.abstained:
                    totals["contains@60w" + suffix] += contains_within(response.answer, golds, 60)
    n = len(questions) or 1
    result = {k: round(v / (short or 1) if k.startswith("contains") else v / n, 3)
              for k, v in totals.items()}  # fmt: skip
    return {**result, "questions": len(questions), "short_answer_questions": short,
            "typo_changed": changed}  # fmt: skip


def main() -> None:
    """Command line: print the scores as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kb", type=Path)
    parser.add_argument("golden", type=Path)
    parser.add_argument("--limit", type=int, default=200)
    parser.add_argument("--seed", type=int, default=15)
    args = parser.parse_args()
    print(json.dumps(run(args.kb, args.golden, args.limit, args.seed), indent=2))


if __name__ == "__main__":
    main()
