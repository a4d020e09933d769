"""Who-to-ask quality on a golden set, without answering: `python -m kenning.bench.expert_ranking`.

Retrieves `EXPERT_HITS` passages per question as the service does for experts, then reports
expert@1 and expert@3 of the ranking (`rank_all`) and of what a user is shown
(`rank_experts`: above the confidence threshold, at most three), and how often a "strong"
person is right. Much faster than `kenning eval run`, which also answers every question.

Usage:
    python -m kenning.bench.expert_ranking .eval/keps/golden.jsonl --kb .eval/keps/kb
    python -m kenning.bench.expert_ranking demo/questions.jsonl --kb /tmp/demo-kb --corpus demo
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kenning import KnowledgeBase, load_settings
from kenning.eval.golden import load_golden
from kenning.eval.runner import resolve_filters
from kenning.qa import experts
from kenning.schema import Filters

SHOWN = 3


def main(argv: list[str] | None = None) -> None:
    """Ingest the corpus (`--corpus`, by default the `corpus` folder beside the golden set) if
    the knowledge base is empty, then score."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("golden", type=Path)
    parser.add_argument("--kb", type=Path, required=True)
    parser.add_argument("--hits", type=int, default=experts.EXPERT_HITS)
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="source files (default: the `corpus` folder beside the golden set)",
    )
    args = parser.parse_args(argv)
    corpus = args.corpus if args.corpus is not None else args.golden.parent / "corpus"
    questions = [q for q in load_golden(args.golden) if q.experts and not q.must_abstain]
    ranked_1 = ranked_3 = shown_1 = shown_3 = shown = strong = strong_right = 0
    with KnowledgeBase(args.kb, load_settings(home=args.kb, git_history=False)) as kb:
        if kb.store.count_chunks() == 0:
            kb.ingest([corpus.resolve()])
        for question in questions:
            filters = Filters.from_dict(resolve_filters(question.filters, corpus.resolve()))
            retrieval = kb.qa.retrieve(question.question, args.hits, filters)
            ranked = experts.rank_all(retrieval, kb.store, SHOWN, question.question)
            visible = [e for e in ranked if e.confidence >= experts.MIN_CONFIDENCE]
            gold = {name.lower() for name in question.experts}
            names = [e.name.lower() for e in ranked]
            seen = [e.name.lower() for e in visible]
            ranked_1 += bool(names) and names[0] in gold
            ranked_3 += any(n in gold for n in names)
            shown_1 += bool(seen) and seen[0] in gold
            shown_3 += any(n in gold for n in seen)
            shown += len(seen)
            for expert in visible:
                if expert.level == "strong":
                    strong += 1
                    strong_right += expert.name.lower() in gold
    n = len(questions) or 1
    print("| set | questions | expert@1 | expert@3 | shown expert@1 | shown expert@3 "
          "| shown per question | strong | strong precision |\n" + "|---" * 9 + "|\n"
          f"| {args.golden.parent.name} | {len(questions)} | {ranked_1 / n:.3f} | "
          f"{ranked_3 / n:.3f} | {shown_1 / n:.3f} | {shown_3 / n:.3f} | {shown / n:.2f} | "
          f"{strong} | {strong_right / max(strong, 1):.3f} |")  # fmt: skip


if __name__ == "__main__":
    main()
