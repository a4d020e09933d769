"""Who-to-ask, exactly: save every ranking over a golden set, then check a change against it.

`python -m kenning.bench.expert_snapshot GOLDEN --kb KB --save rankings.json` retrieves
`EXPERT_HITS` passages per question (as the service does for experts) and writes everyone
`rank_all` ranks (names, order, scores, confidence, level, reasons, evidence), once with the
question and once without it; `--check rankings.json` ranks again and counts the questions
whose rankings differ in anything, so a speed-up can be shown to change nothing. It also
prints the milliseconds `rank_experts` took per question (p50, p95, mean), retrieval not
included; `--repeat` ranks each retrieval again that many times (warm caches).

Usage:
    python -m kenning.bench.expert_snapshot .eval/qmsum-val/golden.jsonl \\
        --kb .eval/qmsum-val/kb --save /tmp/qmsum-experts.json
    python -m kenning.bench.expert_snapshot demo/questions.jsonl --kb /tmp/demo-kb \\
        --corpus demo --check /tmp/demo-experts.json
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from kenning import KnowledgeBase, load_settings
from kenning.bench.latency import percentiles
from kenning.eval.golden import load_golden
from kenning.eval.runner import resolve_filters
from kenning.qa import experts
from kenning.schema import Filters

RANKED = 50  # people kept per ranking: everyone, in practice


def rankings(kb: KnowledgeBase, golden: Path, corpus: Path, repeat: int = 1) -> tuple[
        dict[str, Any], list[float]]:  # fmt: skip
    """{question id: {"question": [...], "passages only": [...]}} and the milliseconds of
    each `rank_experts` call with the question."""
    out: dict[str, Any] = {}
    samples: list[float] = []
    for n, question in enumerate(load_golden(golden)):
        filters = Filters.from_dict(resolve_filters(question.filters, corpus.resolve()))
        retrieval = kb.qa.retrieve(question.question, experts.EXPERT_HITS, filters)
        for _ in range(repeat):
            started = time.perf_counter()
            experts.rank_experts(retrieval, kb.store, 5, question=question.question)
            samples.append((time.perf_counter() - started) * 1000)
        out[f"{n}:{question.id}"] = {
            "question": [asdict(e) for e in
                         experts.rank_all(retrieval, kb.store, RANKED, question.question)],
            "passages only": [asdict(e) for e in experts.rank_all(retrieval, kb.store, RANKED)],
        }  # fmt: skip
    return out, samples


def differences(saved: dict[str, Any], now: dict[str, Any]) -> list[str]:
    """The keys (question, and with or without it) whose rankings differ."""
    keys = sorted(set(saved) | set(now))
    return [f"{key} ({way})" for key in keys for way in ("question", "passages only")
            if saved.get(key, {}).get(way) != now.get(key, {}).get(way)]  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Save or check; returns 1 when a check finds a difference."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("golden", type=Path)
    parser.add_argument("--kb", type=Path, required=True)
    parser.add_argument(
        "--corpus",
        type=Path,
        default=None,
        help="source files (default: the `corpus` folder beside the golden set)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="rankings timed per retrieval")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--save", type=Path, help="write the rankings here")
    action.add_argument("--check", type=Path, help="compare with rankings saved here")
    args = parser.parse_args(argv)
    corpus = args.corpus if args.corpus is not None else args.golden.parent / "corpus"
    with KnowledgeBase(args.kb, load_settings(home=args.kb, git_history=False)) as kb:
        now, samples = rankings(kb, args.golden, corpus, max(args.repeat, 1))
    timing = percentiles(samples)
    mean = sum(samples) / len(samples) if samples else float("nan")
    print(f"{len(now)} questions; rank_experts ms: p50 {timing['p50']} p95 {timing['p95']} "
          f"mean {mean:.1f}")  # fmt: skip
    if args.save:
        args.save.write_text(json.dumps(now, ensure_ascii=False), encoding="utf-8")
        return 0
    changed = differences(json.loads(args.check.read_text(encoding="utf-8")), now)
    print(f"{len(changed)} rankings differ" + "".join(f"\n  {key}" for key in changed[:20]))
    return 1 if changed else 0


if __name__ == "__main__":
    raise SystemExit(main())
