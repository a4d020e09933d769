"""`python -m kenning.eval.qmsum`: the QMSum benchmark as one command, kept for scripts.

It is `kenning eval prepare qmsum` plus `kenning eval run` (the adapter is
`eval/datasets/qmsum.py`, the runner `eval/runner.py`), with window sweeps: each size in
`--windows` is a fresh knowledge base built with `KENNING_TRANSCRIPT_WINDOW_WORDS` set to it.

Usage:
    python -m kenning.eval.qmsum --split val [--windows 180,250] [--no-answers] [--out FILE]
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from kenning.eval.datasets.qmsum import prepare
from kenning.eval.golden import load_golden
from kenning.eval.report import markdown
from kenning.eval.runner import run_eval

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "qmsum"


def main(argv: list[str] | None = None) -> None:
    """Prepare the split, run every window size, print (and write) the reports."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="val", choices=["train", "val"])
    parser.add_argument("--limit", type=int, default=None, help="only the first N meetings")
    parser.add_argument("--windows", default="250", help="transcript window sizes (words)")
    parser.add_argument("--no-baselines", action="store_true")
    parser.add_argument("--no-answers", action="store_true", help="retrieval only")
    parser.add_argument("--out", type=Path, default=None, help="also write the reports here")
    args = parser.parse_args(argv)

    data = Path(os.environ.get("KENNING_QMSUM_DIR", DEFAULT_DATA)) / args.split
    systems = ["kenning-search" if args.no_answers else "kenning", "kenning-dense", "kenning-bm25"]
    if not args.no_baselines:
        systems += ["langchain", "bm25"]
    os.environ.setdefault("KENNING_GIT_HISTORY", "false")
    tables = []
    with tempfile.TemporaryDirectory(prefix="kenning-qmsum-") as tmp:
        golden = prepare(data, Path(tmp) / "data", args.limit, away=not args.no_answers)
        questions = load_golden(golden)
        for window in (int(w) for w in args.windows.split(",")):
            os.environ["KENNING_TRANSCRIPT_WINDOW_WORDS"] = str(window)
            results = run_eval(golden, questions, Path(tmp) / f"kb-{window}",
                               golden.parent / "corpus", Path(tmp) / f"run-{window}", systems)
            tables.append(markdown(results))
            print(tables[-1])
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("\n".join(tables), encoding="utf-8")


if __name__ == "__main__":
    main()
