"""`kenning eval compare`: per-metric deltas between two runs, with a paired test.

Questions are paired by id. For each system in both runs and each per-question metric, the
delta of the means comes with a two-sided p-value from a paired randomisation test
(`scipy.stats.permutation_test`, the sign of each pair's difference flipped at random).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from kenning.eval.runner import RESULTS_FILE

ORDER = ("hit@1", "hit@5", "hit@10", "recall@5", "recall@10", "mrr@10", "ndcg@10", "rouge1",
         "rouge2", "rougeL", "token_f1", "groundedness", "citation_precision", "expert_hit@1",
         "expert_hit@3", "expert_mrr", "abstained", "latency_ms")  # fmt: skip


@dataclass(frozen=True)
class Delta:
    """One metric of one system, compared."""

    system: str
    metric: str
    n: int
    a: float
    b: float
    p_value: float | None

    @property
    def delta(self) -> float:
        """b minus a."""
        return self.b - self.a


def load_run(path: Path) -> dict[str, Any]:
    """A run's results, from its folder or its results.json.

    Raises:
        FileNotFoundError: no results there.
    """
    file = path / RESULTS_FILE if path.is_dir() else path
    if not file.is_file():
        raise FileNotFoundError(f"no {RESULTS_FILE} in {path} (is it an `eval run` folder?)")
    return json.loads(file.read_text(encoding="utf-8"))


def paired_p_value(a: np.ndarray, b: np.ndarray, resamples: int, seed: int = 0) -> float | None:
    """Two-sided p-value of a paired randomisation test on the mean difference."""
    from scipy.stats import permutation_test

    if len(a) < 2 or np.allclose(a, b):
        return None if len(a) < 2 else 1.0
    result = permutation_test(
        (a, b), lambda x, y, axis: np.mean(x - y, axis=axis), permutation_type="samples",
        vectorized=True, n_resamples=resamples, alternative="two-sided",
        rng=np.random.default_rng(seed),
    )  # fmt: skip
    return float(result.pvalue)


def compare_runs(run_a: dict[str, Any], run_b: dict[str, Any], resamples: int = 9999
                 ) -> tuple[list[Delta], list[str]]:  # fmt: skip
    """Deltas for every system and metric both runs have, and notes on what did not pair."""
    notes: list[str] = []
    rows_a = {row["id"]: row for row in run_a["questions"]}
    rows_b = {row["id"]: row for row in run_b["questions"]}
    shared = [qid for qid in rows_a if qid in rows_b]
    if len(shared) < len(rows_a) or len(shared) < len(rows_b):
        notes.append(f"{len(shared)} questions in both runs (A has {len(rows_a)}, "
                     f"B has {len(rows_b)}); only those are compared")  # fmt: skip
    changed = sum(rows_a[q]["question"] != rows_b[q]["question"] for q in shared)
    if changed:
        notes.append(f"{changed} shared ids have different question texts")
    deltas: list[Delta] = []
    systems = [s for s in run_a["systems"] if s in run_b["systems"]]
    for system in systems:
        for metric in ORDER:
            pairs = [(rows_a[q]["systems"][system]["scores"][metric],
                      rows_b[q]["systems"][system]["scores"][metric])
                     for q in shared
                     if metric in rows_a[q]["systems"].get(system, {}).get("scores", {})
                     and metric in rows_b[q]["systems"].get(system, {}).get("scores", {})]
            if not pairs:
                continue
            a, b = (np.array(v, dtype=float) for v in zip(*pairs, strict=True))
            deltas.append(Delta(system, metric, len(pairs), float(a.mean()), float(b.mean()),
                                paired_p_value(a, b, resamples)))  # fmt: skip
    return deltas, notes


def markdown(deltas: list[Delta], notes: list[str], name_a: str, name_b: str) -> str:
    """The comparison as a Markdown table; p < 0.05 marked with *."""
    lines = [f"A: {name_a}", f"B: {name_b}", "",
             "| system | metric | n | A | B | B − A | p |", "|---|---|---|---|---|---|---|"]
    for d in deltas:
        fmt = ".0f" if d.metric.endswith("_ms") else ".3f"
        p = "–" if d.p_value is None else f"{d.p_value:.3f}{' *' if d.p_value < 0.05 else ''}"
        lines.append(f"| {d.system} | {d.metric} | {d.n} | {d.a:{fmt}} | {d.b:{fmt}} | "
                     f"{d.delta:+{fmt}} | {p} |")  # fmt: skip
    lines += ["", "p: paired randomisation test on per-question values (two-sided); "
              "* p < 0.05. latency_ms is the mean per question."]  # fmt: skip
    lines += [f"Note: {n}" for n in notes]
    return "\n".join(lines) + "\n"
