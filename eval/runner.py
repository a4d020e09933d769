"""`kenning eval run`: ask every golden question of every system and score the answers."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from kenning import KnowledgeBase, load_settings
from kenning.eval import metrics
from kenning.eval.baselines import BaselineIndex, load_texts
from kenning.eval.golden import GoldenQuestion
from kenning.eval.matching import matches, same_source
from kenning.eval.systems import (
    BASELINES,
    SYSTEMS,
    BaselineSystem,
    KenningSystem,
    Outcome,
    Passage,
    System,
)

RESULTS_FILE = "results.json"
SNIPPET = 240


def resolve_filters(filters: dict[str, Any], corpus: Path | None) -> dict[str, Any]:
    """Golden filters with a relative `source_prefix` made absolute under the corpus."""
    prefix = filters.get("source_prefix")
    if not prefix or corpus is None or "://" in prefix or Path(prefix).is_absolute():
        return dict(filters)
    absolute = str((corpus / prefix).resolve())
    return {**filters, "source_prefix": absolute + ("/" if prefix.endswith("/") else "")}


def unknown_sources(questions: list[GoldenQuestion], corpus: Path) -> list[str]:
    """Evidence sources that name no file under the corpus (typos, moved files)."""
    files = [str(f) for f in corpus.rglob("*") if f.is_file()] if corpus.is_dir() else [
        str(corpus)]  # fmt: skip
    wanted = sorted({span.source for q in questions for span in q.evidence})
    return [w for w in wanted if "://" not in w and not any(same_source(f, w) for f in files)]


def judge(passages: list[Passage], question: GoldenQuestion) -> metrics.Judged:
    """Which passages hold which of the question's evidence items."""
    covered = tuple(
        frozenset(i for i, span in enumerate(question.evidence)
                  if matches(p.source, p.text, p.start, p.end, span))
        for p in passages
    )  # fmt: skip
    return metrics.Judged(tuple(bool(c) for c in covered), covered, len(question.evidence))


def score_outcome(question: GoldenQuestion, outcome: Outcome, system: System) -> dict[str, float]:
    """Every metric that applies to this question and system."""
    scores: dict[str, float] = {"latency_ms": outcome.latency_ms}
    if system.can_abstain:
        scores["abstained"] = float(outcome.abstained)
    if question.must_abstain:
        return scores
    if question.evidence:
        scores.update(metrics.retrieval_scores([judge(outcome.passages, question)])[0])
        if outcome.citations:
            cited = judge(outcome.citations, question).relevant
            scores["citation_precision"] = sum(cited) / len(cited)
    if system.answers and question.answer and outcome.answer is not None:
        scores.update(metrics.rouge(outcome.answer, question.answer))
        scores["token_f1"] = metrics.token_f1(outcome.answer, question.answer)
    if outcome.groundedness is not None:
        scores["groundedness"] = outcome.groundedness
    if question.experts and system.answers:
        scores.update(metrics.expert_scores([outcome.experts], [question.experts])[0])
    return scores


def summarise(rows: list[dict[str, Any]], name: str, must: list[bool]) -> dict[str, float]:
    """Means of per-question metrics, abstention precision/recall and latency percentiles."""
    scores = [row["systems"][name]["scores"] for row in rows if name in row["systems"]]
    summary = metrics.mean_by_key([{k: v for k, v in s.items() if k != "latency_ms"}
                                   for s in scores])  # fmt: skip
    summary.pop("abstained", None)
    summary.update(metrics.latency([s["latency_ms"] for s in scores]))
    flags = [(s["abstained"] > 0, m) for s, m in zip(scores, must, strict=True) if "abstained" in s]
    if flags:
        summary.update(metrics.abstention([f for f, _ in flags], [m for _, m in flags]))
    summary["questions"] = float(len(scores))
    return summary


def run_eval(
    golden: Path, questions: list[GoldenQuestion], kb_path: Path, corpus: Path | None,
    out: Path, systems: list[str], answerer: str | None = None, progress: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """Ingest the corpus (when given), run every system on every question, write the results.

    Returns the results as written to `out/results.json`.

    Raises:
        ValueError: an unknown system, or baselines asked for without a corpus.
    """
    from tqdm import tqdm

    unknown = [s for s in systems if s not in SYSTEMS]
    if unknown:
        raise ValueError(f"unknown system {unknown[0]!r}; valid: {', '.join(SYSTEMS)}")
    notes: list[str] = []
    settings = load_settings(home=kb_path)
    out.mkdir(parents=True, exist_ok=True)
    with KnowledgeBase(kb_path, settings) as kb:
        if corpus is not None:
            report = kb.ingest([corpus])
            failed = [f"{f.path}: {f.reason}" for f in report.failed]
            if failed:
                notes.append(f"{len(failed)} corpus file(s) failed to ingest: {failed[:3]}")
            missing = unknown_sources(questions, corpus)
            if missing:
                notes.append(f"{len(missing)} evidence source(s) match no file in the corpus, "
                             f"so nothing can hit them: {missing[:5]}")  # fmt: skip
        runners: list[System] = []
        for name in systems:
            if name == "kenning":
                runners.append(KenningSystem(kb, answerer=answerer))
            elif name == "kenning-search":
                runners.append(KenningSystem(kb, name, answers=False))
            elif name == "kenning-dense":
                runners.append(KenningSystem(kb, name, weights=(1.0, 0.0)))
            elif name == "kenning-bm25":
                runners.append(KenningSystem(kb, name, weights=(0.0, 1.0)))
        wanted = [s for s in systems if s in BASELINES]
        if wanted and corpus is None:
            notes.append("baselines skipped: they need the source files (--corpus)")
        elif wanted:
            texts, skipped = load_texts(corpus)
            if skipped:
                notes.append(f"baselines read no text from {len(skipped)} file(s) of types "
                             f"{sorted({Path(s).suffix for s in skipped})}")  # fmt: skip
            index = BaselineIndex.build(texts, kb.embedder)
            prefixes = [resolve_filters(q.filters, corpus).get("source_prefix")
                        for q in questions]  # fmt: skip
            index.prepare(wanted, prefixes)
            runners += [BaselineSystem(index, name) for name in wanted]
        rows = []
        bar = tqdm(questions, desc="eval", unit="q", disable=not progress, file=sys.stderr,
                   dynamic_ncols=True)  # fmt: skip
        for question in bar:
            filters = resolve_filters(question.filters, corpus)
            row: dict[str, Any] = {
                "id": question.id, "question": question.question, "tags": list(question.tags),
                "must_abstain": question.must_abstain, "reference": question.answer,
                "experts": list(question.experts), "systems": {},
            }  # fmt: skip
            for system in runners:
                if question.must_abstain and not system.can_abstain:
                    continue
                outcome = system.run(question.question, filters)
                row["systems"][system.name] = _record(outcome, question, system, corpus)
            rows.append(row)
        kenning_settings = {k: getattr(kb.settings, k) for k in (
            "embedding_model", "transcript_window_words", "abstain_threshold", "fusion",
            "answer_sentences")}  # fmt: skip
    must = {row["id"]: row["must_abstain"] for row in rows}
    summary = {}
    for system in runners:
        mine = [row for row in rows if system.name in row["systems"]]
        summary[system.name] = summarise(mine, system.name, [must[r["id"]] for r in mine])
    results = {
        "golden": str(golden), "corpus": str(corpus) if corpus else None, "kb": str(kb_path),
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "settings": kenning_settings, "systems": [s.name for s in runners],
        "summary": summary, "by_tag": _by_tag(rows, [s.name for s in runners]),
        "notes": notes, "questions": rows,
    }  # fmt: skip
    (out / RESULTS_FILE).write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return results


def _record(
    outcome: Outcome, question: GoldenQuestion, system: System, corpus: Path | None
) -> dict[str, Any]:
    relevant = judge(outcome.passages, question).relevant if question.evidence else ()
    return {
        "scores": score_outcome(question, outcome, system),
        "answer": outcome.answer,
        "abstained": outcome.abstained,
        "experts": outcome.experts[:5],
        "passages": [
            {"source": _relative(p.source, corpus), "location": p.location,
             "text": " ".join(p.text.split())[:SNIPPET],
             "relevant": bool(relevant[i]) if relevant else None}
            for i, p in enumerate(outcome.passages[:5])
        ],  # fmt: skip
    }


def _relative(source: str, corpus: Path | None) -> str:
    if corpus is None:
        return source
    try:
        return str(Path(source).relative_to(corpus.resolve()))
    except ValueError:
        return source


def _by_tag(rows: list[dict[str, Any]], systems: list[str]) -> dict[str, dict[str, Any]]:
    tags = sorted({tag for row in rows for tag in row["tags"]})
    result: dict[str, dict[str, Any]] = {}
    for tag in tags:
        tagged = [row for row in rows if tag in row["tags"]]
        result[tag] = {
            name: summarise([r for r in tagged if name in r["systems"]], name,
                            [r["must_abstain"] for r in tagged if name in r["systems"]])
            for name in systems
            if any(name in r["systems"] for r in tagged)
        }  # fmt: skip
    return result
