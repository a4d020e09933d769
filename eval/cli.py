"""`kenning eval ...`: run a golden set, compare two runs, prepare data sets."""

from __future__ import annotations

import datetime as dt
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from kenning.errors import KenningError
from kenning.eval.golden import GoldenError

eval_app = typer.Typer(
    help="Measure answer quality on a golden set and compare runs.", no_args_is_help=True
)
DEFAULT_SYSTEMS = "kenning,kenning-dense,kenning-bm25,langchain,langchain-sentence,bm25"


class Dataset(StrEnum):
    """Data sets `prepare` knows."""

    qmsum = "qmsum"
    beir = "beir"
    sec10q = "sec10q"
    squad = "squad"
    keps = "keps"
    minutes = "minutes"


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.secho(f"error: {message}", fg="red", err=True)
    return typer.Exit(code)


@eval_app.command()
def run(
    golden: Annotated[Path, typer.Argument(help="Golden set (JSONL, one question a line).")],
    kb: Annotated[Path | None, typer.Option(
        "--kb", help="Knowledge base folder (default: OUT/kb when there is a corpus).")] = None,
    corpus: Annotated[Path | None, typer.Option(
        help="Source files to ingest first and to build the baselines from "
             "(default: the `corpus` folder beside the golden file, if any).")] = None,
    answerer: Annotated[str | None, typer.Option(
        help="extractive or llm (default: llm when configured).")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Folder for results.json, report.md, report.html "
             "(default: eval-runs/<golden>-<time>).")] = None,
    systems: Annotated[str, typer.Option(
        help="Comma-separated: kenning, kenning-search (retrieval only), kenning-dense, "
             "kenning-bm25, langchain, langchain-sentence, bm25.")
    ] = DEFAULT_SYSTEMS,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N questions.")] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:  # fmt: skip
    """Ask every golden question of Kenning and the baselines; write JSON, Markdown, HTML."""
    from kenning.eval.golden import load_golden
    from kenning.eval.report import html_page, markdown
    from kenning.eval.runner import RESULTS_FILE, run_eval
    from kenning.eval.short_answers import add_short_answer_scores

    try:
        questions = load_golden(golden)[:limit]
    except (GoldenError, FileNotFoundError) as exc:
        raise _fail(str(exc)) from exc
    if corpus is None and (golden.parent / "corpus").is_dir():
        corpus = golden.parent / "corpus"
    if corpus is not None and not corpus.exists():
        raise _fail(f"corpus not found: {corpus}")
    if out is None:
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        out = Path("eval-runs") / f"{golden.stem}-{stamp}"
    if kb is None:
        if corpus is None:
            raise _fail("give --kb (an existing knowledge base) or --corpus (files to ingest)")
        kb = out / "kb"
    try:
        results = run_eval(golden, questions, kb, corpus.resolve() if corpus else None, out,
                           [s.strip() for s in systems.split(",") if s.strip()], answerer,
                           progress)  # fmt: skip
    except (ValueError, KenningError) as exc:
        raise _fail(str(exc)) from exc
    if add_short_answer_scores(results, questions):
        (out / RESULTS_FILE).write_text(json.dumps(results, indent=1, default=str),
                                        encoding="utf-8")  # fmt: skip
    table = markdown(results)
    (out / "report.md").write_text(table, encoding="utf-8")
    (out / "report.html").write_text(html_page(results), encoding="utf-8")
    typer.echo(table)
    typer.echo(f"Wrote {out}/results.json, report.md, report.html")


@eval_app.command()
def compare(
    run_a: Annotated[Path, typer.Argument(help="The first run (folder or results.json).")],
    run_b: Annotated[Path, typer.Argument(help="The second run.")],
    out: Annotated[Path | None, typer.Option(help="Also write the table here.")] = None,
    resamples: Annotated[int, typer.Option(min=99, help="Randomisation test resamples.")
                         ] = 9999,
) -> None:  # fmt: skip
    """Deltas of every metric (B − A) with a paired randomisation test."""
    from kenning.eval.compare import compare_runs, load_run, markdown

    try:
        a, b = load_run(run_a), load_run(run_b)
    except (FileNotFoundError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    deltas, notes = compare_runs(a, b, resamples)
    if not deltas:
        raise _fail("the runs share no system and question with a metric to compare")
    table = markdown(deltas, notes, str(run_a), str(run_b))
    typer.echo(table)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(table, encoding="utf-8")


@eval_app.command()
def prepare(
    dataset: Annotated[Dataset, typer.Argument(
        help="qmsum, beir, sec10q, squad, keps or minutes.")],
    source: Annotated[Path, typer.Argument(
        help="qmsum: a split folder of meeting JSON; beir: a folder with corpus.jsonl, "
             "queries.jsonl, qrels/; sec10q: the folder with questions.csv and docs/; "
             "squad: the folder with dev-4-articles.json (and distractor-articles.json); "
             "keps: a folder of KEP folders (kep.yaml + README.md); minutes: the "
             "rust-lang-team minutes folder (golden set: eval/golden/).")],
    out: Annotated[Path, typer.Argument(help="Where to write corpus/ and golden.jsonl.")],
    limit: Annotated[int | None, typer.Option(
        min=1, help="qmsum: first N meetings; beir: first N queries; "
                    "squad: the questions of the first N articles; keps: first N KEPs.")
    ] = None,
    split: Annotated[str, typer.Option(help="beir: the qrels split.")] = "test",
    company: Annotated[str | None, typer.Option(help="sec10q: MSFT or INTC only.")] = None,
    away: Annotated[bool, typer.Option(
        help="qmsum: also ask each query against the next meeting (must_abstain).")] = True,
) -> None:  # fmt: skip
    """Turn a data set into a corpus folder and a golden set."""
    from kenning.eval.datasets import beir, keps, minutes, qmsum, sec10q, squad

    try:
        if dataset is Dataset.qmsum:
            golden = qmsum.prepare(source, out, limit, away)
        elif dataset is Dataset.beir:
            golden = beir.prepare(source, out, split, limit)
        elif dataset is Dataset.squad:
            golden = squad.prepare(source, out, limit)
        elif dataset is Dataset.keps:
            golden = keps.prepare(source, out, limit)
        elif dataset is Dataset.minutes:
            golden = minutes.prepare(source, out)
        else:
            golden = sec10q.prepare(source, out, company)
    except (FileNotFoundError, ValueError, KeyError) as exc:
        raise _fail(str(exc)) from exc
    count = sum(1 for line in golden.read_text(encoding="utf-8").splitlines() if line.strip())
    typer.echo(f"Wrote {count} questions to {golden} and the corpus to {out / 'corpus'}")
