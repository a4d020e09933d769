"""Reports of a run: Markdown tables and one self-contained HTML page (plots inline as PNG)."""

from __future__ import annotations

import base64
import html
import io
from typing import Any

TABLES = {
    "Retrieval": ("hit@1", "hit@5", "hit@10", "recall@5", "recall@10", "mrr@10", "ndcg@10"),
    "Answers": ("rouge1", "rouge2", "rougeL", "token_f1", "groundedness", "citation_precision"),
    "Short answers": (
        "contains@25w", "contains@60w", "answer_words_p50", "wrong_abstention", "abstain_recall",
    ),
    "Experts, abstention, latency": (
        "expert_hit@1", "expert_hit@3", "expert_mrr", "abstained", "abstain_precision",
        "abstain_recall", "latency_p50_ms", "latency_p95_ms",
    ),
}  # fmt: skip
MEANINGS = (
    "hit@k: a passage holding gold evidence is in the top k; recall@k: share of evidence items "
    "held by the top k; mrr@10, ndcg@10: rank of the first / all relevant passages. "
    "ROUGE (stemmed F1) and token F1 against the reference answer; groundedness: share of answer "
    "sentences their cited passages support; citation precision: share of cited passages that "
    "hold gold evidence. Short answers (questions whose reference is a span of 10 words or "
    "fewer): contains@25w / @60w, a gold answer (normalised SQuAD-style) inside the answer's "
    "first 25 / 60 words; answer_words_p50, the median length of the answers given; "
    "wrong_abstention, the share of these answerable questions abstained on. "
    "Abstention precision/recall against `must_abstain`. Latency: `ask` for "
    "kenning, search for retrieval-only systems and baselines (kenning-dense and kenning-bm25 "
    "reuse the question's cached embedding)."
)


def _cell(value: float | None, key: str) -> str:
    if value is None:
        return "–"
    if key.endswith("_ms"):
        return f"{value:.0f}"
    if key.startswith("answer_words"):
        return f"{value:.1f}"
    return f"{value:.3f}"


def summary_tables(summary: dict[str, dict[str, float]]) -> list[tuple[str, list[str], list]]:
    """(title, columns, rows) for each table that has any value (the short-answer table only
    when there are short answers: its abstention recall alone repeats the last table)."""
    tables = []
    for title, keys in TABLES.items():
        present = [k for k in keys if any(k in s for s in summary.values())]
        if not present or (title == "Short answers" and present == ["abstain_recall"]):
            continue
        rows = [[name, *[_cell(s.get(k), k) for k in present]]
                for name, s in summary.items() if any(k in s for k in present)]  # fmt: skip
        tables.append((title, ["system", *present], rows))
    return tables


def markdown(results: dict[str, Any]) -> str:
    """The run as Markdown: one table per metric group, then a breakdown by tag."""
    n = len(results["questions"])
    lines = [f"# Evaluation: {results['golden']}", "",
             f"{n} questions; settings: "
             + ", ".join(f"{k}={v}" for k, v in results["settings"].items()), ""]  # fmt: skip
    for title, columns, rows in summary_tables(results["summary"]):
        lines += [f"## {title}", "", _md_row(columns), _md_row(["---"] * len(columns))]
        lines += [_md_row(row) for row in rows] + [""]
    if results.get("by_tag"):
        lines += ["## By tag (kenning)", ""]
        keys: tuple[str, ...] = ("questions", "hit@5", "mrr@10", "rouge1", "token_f1",
                                 "abstained")  # fmt: skip
        if any("contains@25w" in s for b in results["by_tag"].values() for s in b.values()):
            keys += ("contains@25w", "contains@60w")
        lines += [_md_row(["tag", *keys]), _md_row(["---"] * (len(keys) + 1))]
        for tag, by_system in results["by_tag"].items():
            s = by_system.get("kenning") or next(iter(by_system.values()))
            lines.append(_md_row([tag, *[_cell(s.get(k), k) if k != "questions"
                                         else f"{s.get(k, 0):.0f}" for k in keys]]))  # fmt: skip
        lines.append("")
    lines += [MEANINGS, ""]
    lines += [f"Note: {note}" for note in results.get("notes", [])]
    return "\n".join(lines).rstrip() + "\n"


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(str(c).replace("|", "\\|") for c in cells) + " |"


def failure_order(results: dict[str, Any]) -> list[dict[str, Any]]:
    """Questions, failures of the first system first: wrong abstention, then missed evidence,
    then by ascending ROUGE-1 / token F1."""
    first = results["systems"][0] if results["systems"] else None

    def badness(row: dict[str, Any]) -> tuple:
        mine = row["systems"].get(first, {})
        scores = mine.get("scores", {})
        wrong_abstain = "abstained" in scores and bool(scores["abstained"]) != row["must_abstain"]
        missed = scores.get("hit@5", 1.0) == 0.0
        return (not wrong_abstain, not missed, scores.get("rouge1", scores.get("token_f1", 1.0)))

    return sorted(results["questions"], key=badness)


def _plots(results: dict[str, Any]) -> list[str]:
    """PNG plots as data URIs: metric groups by system, and latency by system."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    images = []
    summary = results["summary"]
    for title, keys in list(TABLES.items())[:2]:
        present = [k for k in keys if any(k in s for s in summary.values())]
        names = [n for n, s in summary.items() if any(k in s for k in present)]
        if not present or not names:
            continue
        fig, ax = plt.subplots(figsize=(8, 3.2))
        width = 0.8 / len(names)
        for i, name in enumerate(names):
            values = [summary[name].get(k, 0.0) for k in present]
            ax.bar(np.arange(len(present)) + i * width, values, width, label=name)
        ax.set_xticks(np.arange(len(present)) + 0.4 - width / 2, present)
        ax.set_ylim(0, 1.2)
        ax.set_title(title)
        ax.legend(fontsize=7, ncols=min(len(names), 5), loc="upper center")
        images.append(_png(fig, plt))
    latencies = {name: [row["systems"][name]["scores"]["latency_ms"]
                        for row in results["questions"] if name in row["systems"]]
                 for name in results["systems"]}  # fmt: skip
    latencies = {k: v for k, v in latencies.items() if v}
    if latencies:
        fig, ax = plt.subplots(figsize=(8, 2.8))
        ax.boxplot(list(latencies.values()), tick_labels=list(latencies), vert=False)
        ax.set_xscale("log")
        ax.set_xlabel("latency per question (ms)")
        images.append(_png(fig, plt))
    return images


def _png(fig: Any, plt: Any) -> str:  # noqa: ANN401 - matplotlib objects
    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def html_page(results: dict[str, Any]) -> str:
    """One self-contained HTML page: tables, plots (inline PNG) and the questions,
    failures first. Nothing is fetched from anywhere."""
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Kenning evaluation: {e(results['golden'])}</title><style>",
        "body{font:14px system-ui,sans-serif;margin:2em;max-width:1200px}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 6px;"
        "vertical-align:top}th{background:#f4f4f4}.bad{background:#fde2e2}.ok{background:#e6f4e6}"
        "td.q{max-width:420px}small{color:#555}",
        "</style></head><body>",
        f"<h1>Kenning evaluation</h1><p>{e(results['golden'])} · {len(results['questions'])} "
        f"questions · {e(results['created'])}</p>",
        "<p><small>" + e(", ".join(f"{k}={v}" for k, v in results["settings"].items()))
        + "</small></p>",
    ]
    for title, columns, rows in summary_tables(results["summary"]):
        parts.append(f"<h2>{e(title)}</h2>" + _html_table(columns, rows))
    for uri in _plots(results):
        parts.append(f"<p><img alt='plot' src='{uri}'></p>")
    parts.append(f"<p><small>{e(MEANINGS)}</small></p>")
    parts += [f"<p>Note: {e(n)}</p>" for n in results.get("notes", [])]
    parts.append("<h2>Questions, failures first</h2>")
    systems = results["systems"]
    head = ["id", "question", *[f"{s} hit@5 / rouge1" for s in systems], "answer (first)",
            "top passage (first)"]  # fmt: skip
    parts.append("<table><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr>")
    for row in failure_order(results):
        cells = [f"<td>{e(row['id'])}</td>",
                 f"<td class='q'>{e(row['question'])}"
                 + (" <small>(must abstain)</small>" if row["must_abstain"] else "")
                 + (f"<br><small>reference: {e((row['reference'] or '')[:300])}</small>"
                    if row["reference"] else "") + "</td>"]  # fmt: skip
        for name in systems:
            scores = row["systems"].get(name, {}).get("scores", {})
            hit = scores.get("hit@5")
            css = "" if hit is None else (" class='ok'" if hit else " class='bad'")
            if "abstained" in scores and bool(scores["abstained"]) != row["must_abstain"]:
                css = " class='bad'"
            text = "–" if hit is None else f"{hit:.0f}"
            if "rouge1" in scores:
                text += f" / {scores['rouge1']:.2f}"
            if scores.get("abstained"):
                text += " (abstained)"
            cells.append(f"<td{css}>{e(text)}</td>")
        first = row["systems"].get(systems[0], {}) if systems else {}
        cells.append(f"<td class='q'>{e((first.get('answer') or '')[:400])}</td>")
        passages = first.get("passages") or []
        top = passages[0] if passages else None
        cells.append(
            f"<td class='q'><small>{e(top['source'])} {e(top['location'] or '')}</small><br>"
            f"{e(top['text'])}</td>" if top else "<td></td>"
        )
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</table></body></html>")
    return "\n".join(parts)


def _html_table(columns: list[str], rows: list[list[str]]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)  # fmt: skip
    return f"<table><tr>{head}</tr>{body}</table>"
